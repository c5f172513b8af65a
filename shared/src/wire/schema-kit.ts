/**
 * The data schemas of the wire contract, as one factory over zod: the building blocks
 * (counts, doubles, typed arrays, subject tokens), the CSV options, the job plan that drivers
 * register with executors, and the data shapes that task ops share. protocol.ts builds the
 * message schemas from it; every TypeScript type of these shapes is inferred from it (see
 * tasks.ts), so a shape is declared once.
 *
 * Why a factory instead of module-level schemas: kernels and worker threads import these
 * *types* only (erased at run time), and the factory keeps zod itself (~120 ms to load) out of
 * every worker thread. Only the main thread's codec calls makeSchemaKit with the real zod.
 */
import type { z as Zod } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { SUBJECT_TOKEN } from './subject-token.js';
import type { CountArray } from '../columnar/shared-arrays.js';

/** Builds the data schemas with the given zod. */
export function makeSchemaKit(z: typeof Zod) {
  /** Counts, offsets, indices: safe non-negative integers. */
  const count = z.number().int().nonnegative();
  /** Any IEEE double, NaN and ±Infinity included (statistics of empty or NaN-holding columns). */
  const float = z.custom<number>((v) => typeof v === 'number', { error: 'expected number' });
  /** A finite double. */
  const finite = z.number();
  const nonEmpty = z.string().min(1);
  /** Ids that become NATS subject tokens (see subjects() in protocol.ts). */
  const subjectToken = z.string().regex(SUBJECT_TOKEN, { error: 'expected a subject token ([A-Za-z0-9_-]+)' });
  const float64Array = z.custom<Float64Array>((v) => v instanceof Float64Array, { error: 'expected Float64Array' });
  const int32Array = z.custom<Int32Array>((v) => v instanceof Int32Array, { error: 'expected Int32Array' });
  const uint8Array = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'expected Uint8Array' });
  const int16Array = z.custom<Int16Array>((v) => v instanceof Int16Array, { error: 'expected Int16Array' });
  const int8Array = z.custom<Int8Array>((v) => v instanceof Int8Array, { error: 'expected Int8Array' });
  const uint32Array = z.custom<Uint32Array>((v) => v instanceof Uint32Array, { error: 'expected Uint32Array' });
  /** Per-score counts: Float64Array (summed weights), or the narrowest unsigned array holding integer counts. */
  const countArray = z.custom<CountArray>(
    (v) => v instanceof Float64Array || v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array,
    { error: 'expected Float64Array, Uint8Array, Uint16Array or Uint32Array' },
  );
  const strings = z.array(z.string()).readonly();

  const wireError = z.object({
    code: z.enum(ERROR_CODES),
    name: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  });

  const columnType = z.enum(['int', 'long', 'double', 'boolean', 'string']);
  const field = z.object({ name: z.string(), type: columnType });
  const schema = z.array(field).readonly();

  /** CSV reader options, as Spark names them. */
  const csvOptions = z.object({
    /** First line holds column names. */
    header: z.boolean(),
    /** One character (one UTF-8 byte in this version); default ','. */
    delimiter: z.string(),
    /** Quote character; default '"'. */
    quote: z.string(),
    /** Escape character inside quoted fields; default '"' (RFC 4180: a quote is doubled). */
    escape: z.string(),
    /** Fields equal to this string are null, besides empty fields; default ''. */
    nullValue: z.string(),
    /** How malformed records are handled (Spark's `mode`). */
    mode: z.enum(['FAILFAST', 'DROPMALFORMED', 'PERMISSIVE']),
    /** Infer column types (int, long, double, boolean, string); otherwise every column is string. */
    inferSchema: z.boolean(),
  });

  const numericFeatureInput = z.object({
    kind: z.literal('numeric'),
    /** Column index in the schema. */
    column: count,
    name: z.string(),
  });
  const oneHotFeatureInput = z.object({
    kind: z.literal('onehot'),
    column: count,
    name: z.string(),
    /** StringIndexer labels in index order (index = position). */
    labels: strings,
    /** Null or unseen values: error, drop the row (skip), or index labels.length (keep). */
    handleInvalid: z.enum(['error', 'skip', 'keep']),
    dropLast: z.boolean(),
    /** Index of this input's first slot in the assembled vector. */
    offset: count,
    /** Number of slots this input occupies. */
    size: count,
  });
  const featureInput = z.discriminatedUnion('kind', [numericFeatureInput, oneHotFeatureInput]);
  const labelEncoding = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('string'), column: count, name: z.string(), labels: strings }),
    z.object({ kind: z.literal('numeric'), column: count, name: z.string() }),
  ]);

  /** Everything needed to turn a loaded partition into train/test DesignBlocks. */
  const encodingPlan = z.object({
    label: labelEncoding,
    /** Label classes K: labels are 0..K−1. Absent for binomial jobs (K = 2). */
    numClasses: count.optional(),
    /** Instance-weight column (pipeline.weight): numeric, finite, >= 0. Absent: weight 1. */
    weight: z.object({ column: count, name: z.string() }).optional(),
    /** Assembler inputs, in vector order. */
    features: z.array(featureInput).readonly(),
    numFeatures: count,
    /** Null in a numeric feature: error, or drop the row. */
    numericHandleInvalid: z.enum(['error', 'skip']),
    /** Deterministic split: a row is in train iff splitDraw(seed, rowId) < trainFraction. */
    split: z.object({ seed: finite, trainFraction: z.number().min(0).max(1) }),
  });

  /**
   * One file of a job's input, as the driver found it: files are in path order (byte-wise),
   * so partitions and row ids depend only on the data. `format` and `compression` were
   * decided from the file's magic bytes (and extension, see docs/inputs.md).
   */
  const inputFile = z.object({
    /** Absolute path, as the driver sees it (executors open it, or fetch it by this name). */
    path: nonEmpty,
    size: count,
    format: z.enum(['csv', 'parquet']),
    /** gzip files are read whole: one partition, decompressed by the executor. */
    compression: z.enum(['none', 'gzip']),
    /** Parquet: first byte of the footer (metadata + length + magic), which every partition reads too. */
    footerStart: count.optional(),
  });

  /**
   * One partition of a job plan: a byte range of one input file. CSV: it starts at a record
   * start. gzip CSV: the whole (compressed) file. Parquet: the span of its row groups.
   */
  const planPartition = z
    .object({
      /** Index of the partition's file in the plan's `files`. */
      file: count,
      /** First byte (after the header for a file's first partition). */
      start: count,
      /** One past the last byte. */
      end: count,
      /** Global row id of the partition's first record (prefix sum of earlier row counts, across files). */
      firstRowId: count,
      /** Physical line number (1-based) of the first record's line in its file, when known. */
      firstLine: z.number().int().positive().optional(),
      /** gzip CSV: offset in the decompressed stream where the records start (after the header). */
      dataStart: count.optional(),
      /** Parquet: the row groups [first, end) this partition reads. */
      rowGroups: z.tuple([count, count]).optional(),
      /**
       * Spark-compat split: per loaded row (batch order), 0 = train, 1 = test, 255 = in no split.
       * When present it replaces the hash split of `encoding.split`.
       */
      splitAssignment: uint8Array.optional(),
    })
    .refine((p) => p.start <= p.end, { error: 'expected start <= end', path: ['end'] })
    .refine((p) => p.rowGroups === undefined || p.rowGroups[0] <= p.rowGroups[1], {
      error: 'expected rowGroups [first, end) with first <= end',
      path: ['rowGroups'],
    });

  /**
   * A job's plan as executors keep it: the input files, each partition's lineage and the
   * fitted transforms. Drivers register it once per version (it grows at stage boundaries:
   * schema, then encoding, then the compat split); tasks then name only a partition index.
   */
  const jobPlan = z
    .object({
      /** Increases whenever the driver changes the plan. */
      version: count,
      /** The input files, in path order. */
      files: z.array(inputFile).min(1).readonly(),
      csv: csvOptions,
      /** Column names (from the header, the first record or the Parquet schema), used in error messages. */
      columnNames: strings,
      partitions: z.array(planPartition).readonly(),
      /** Known once the inference pass ran (Parquet: from the footer at once). */
      schema: schema.optional(),
      /** Known once transforms are fitted. */
      encoding: encodingPlan.optional(),
      /**
       * Columns no op of the job reads (pipeline.drop): a CSV read infers their types, for the
       * schema, but keeps no values and computes no statistics for them.
       */
      skipColumns: z.array(count).readonly().optional(),
      /**
       * The op that rebuilds a partition's design blocks from its source when an executor lacks
       * them (a features input has no rows to encode); absent: encode, from the rows block.
       * Its params are checked against the op's schema where the plan crosses the wire.
       */
      designProducer: z.object({ op: z.literal('features-load'), params: z.unknown() }).optional(),
    })
    .refine((p) => p.partitions.every((q) => q.file < p.files.length && q.end <= p.files[q.file]!.size), {
      error: 'expected every partition to name one of the files and end within its size',
      path: ['partitions'],
    })
    .refine((p) => (p.skipColumns ?? []).every((c) => c < p.columnNames.length), {
      error: 'expected skipped columns to be columns of the table',
      path: ['skipColumns'],
    });

  /** A train or test block of encoded rows (the cached input of gradient and evaluation passes). */
  const designBlock = z
    .object({
      numRows: count,
      /** Data record numbers; Uint32Array when all are below 2^32 (storage: columnar/design-block.ts). */
      rowIds: z.union([float64Array, uint32Array]),
      /** Class index 0..K−1 (0 or 1 for binomial jobs); storage: columnar/design-block.ts. */
      label: z.union([float64Array, uint8Array]),
      /** Row-major numRows × numNumeric values of the numeric inputs, in assembler order. */
      numeric: z.union([float64Array, int32Array]),
      numNumeric: count,
      /** Row-major numRows × numCategorical feature indices (or -1). */
      categorical: z.union([int32Array, int16Array, int8Array]),
      numCategorical: count,
      /** Instance weights (pipeline.weight), finite and >= 0; absent means weight 1 for every row. */
      weight: float64Array.optional(),
    })
    .refine(
      (b) =>
        b.rowIds.length === b.numRows &&
        (b.weight === undefined || b.weight.length === b.numRows) &&
        b.label.length === b.numRows &&
        b.numeric.length === b.numRows * b.numNumeric &&
        b.categorical.length === b.numRows * b.numCategorical,
      { error: 'expected arrays sized numRows (× inputs)' },
    );

  const numericColumnStats = z.object({
    kind: z.literal('numeric'),
    count,
    nullCount: count,
    min: float,
    max: float,
    mean: float,
    /** Sum of squared deviations from the mean (Welford's M2). */
    m2: float,
  });
  const stringColumnStats = z
    .object({
      kind: z.literal('string'),
      nullCount: count,
      /** Distinct non-null values and their counts, in any order. */
      values: strings,
      counts: z.array(count).readonly(),
    })
    .refine((s) => s.values.length === s.counts.length, { error: 'expected one count per value', path: ['counts'] });
  /** A column the job skips (JobPlan.skipColumns): no values were kept, so nothing to count. */
  const skippedColumnStats = z.object({ kind: z.literal('skipped') });
  const columnStats = z.discriminatedUnion('kind', [numericColumnStats, stringColumnStats, skippedColumnStats]);

  /** Result of the schema-inference pass over one partition. */
  const inferPartial = z.object({
    /** Records kept (after DROPMALFORMED). */
    rowCount: count,
    /** Malformed records dropped or kept as nulls (DROPMALFORMED / PERMISSIVE). */
    malformedCount: count,
    /** Newline bytes consumed, so the driver can turn a partition-relative line into a file line. */
    lineCount: count,
    /** Per column, the narrowest type that fits every non-null value seen; null if only nulls. */
    types: z.array(columnType.nullable()).readonly(),
  });

  /** Result of loading one partition into the block store. */
  const loadPartial = z.object({ rowCount: count, malformedCount: count, columns: z.array(columnStats).readonly() });

  /** Result of encoding one partition. */
  const encodePartial = z.object({
    trainRows: count,
    testRows: count,
    /** Rows dropped by handleInvalid = skip. */
    skippedRows: count,
  });

  /** Per-feature moments of the training rows of one partition (Welford / Chan). */
  const summaryPartial = z
    .object({
      count,
      /** Length numFeatures. */
      mean: z.array(float),
      /** Sum of squared deviations, length numFeatures. */
      m2: z.array(float),
      /** Rows with label 0 and label 1. */
      labelCounts: z.tuple([count, count]),
      /** Multinomial plans: (weighted) count of each class 0..K−1. */
      classCounts: z.array(float).optional(),
      /** Weighted blocks: Σ w and Σ w² (mean and m2 are then weighted). */
      weightSum: float.optional(),
      weightSqSum: float.optional(),
    })
    .refine((s) => s.mean.length === s.m2.length, { error: 'expected as many m2 entries as mean entries', path: ['m2'] });

  /**
   * Unscaled logistic loss and gradient sums over one partition's training rows, at
   * original-space coefficients `beta` and intercept `intercept`:
   *   lossSum = Σ log(1 + e^m) − y·m,  gradSum[j] = Σ (σ(m) − y)·x_j,  interceptGradSum = Σ (σ(m) − y).
   */
  const gradientPartial = z.object({
    count,
    lossSum: float,
    gradSum: float64Array,
    interceptGradSum: float,
    /** Weighted blocks only: Σ w (the sums above are then weighted). */
    weightSum: float.optional(),
  });

  /**
   * Evaluation of one partition: distinct scores (descending) with positive and negative
   * counts at each — the exact input of BinaryClassificationMetrics — plus confusion counts at
   * the threshold and the log-loss sum.
   */
  const evaluatePartial = z
    .object({
      count,
      /** Distinct scores, strictly descending. */
      scores: float64Array,
      /**
       * Per distinct score: rows with label 1 and 0, in the narrowest unsigned array that holds
       * them (or, for a weighted block, summed weights in Float64Array).
       */
      positives: countArray,
      negatives: countArray,
      /** Confusion cells at the threshold: rows, or summed weights for a weighted block. */
      tp: finite.nonnegative(),
      fp: finite.nonnegative(),
      tn: finite.nonnegative(),
      fn: finite.nonnegative(),
      /** Σ weights of a weighted block (pipeline.weight); absent: every row weighs 1 (weightSum = count). */
      weightSum: finite.nonnegative().optional(),
      /** Σ −[y log p + (1−y) log(1−p)], p clipped to [1e-15, 1 − 1e-15]. */
      logLossSum: float,
      /** Present when predictions were asked for: one entry per row, in block order. */
      predictions: z
        .object({
          /** Uint32Array when every row id is below 2^32 (kernels/evaluate.ts predictionColumns). */
          rowIds: z.union([float64Array, uint32Array]),
          /** Uint8Array when the block's labels are (under 256 classes), as the prediction always is. */
          label: z.union([float64Array, uint8Array]),
          probability: float64Array,
          prediction: z.union([float64Array, uint8Array]),
        })
        .refine(
          (p) => p.label.length === p.rowIds.length && p.probability.length === p.rowIds.length && p.prediction.length === p.rowIds.length,
          { error: 'expected rowIds, label, probability and prediction of equal length' },
        )
        .optional(),
    })
    .refine((e) => e.positives.length === e.scores.length && e.negatives.length === e.scores.length, {
      error: 'expected scores, positives and negatives of equal length',
    });

  /** One column of a partition's rows sent to the driver: numbers with null flags, or dictionary codes with their dictionary. */
  const rowColumn = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('numeric'), values: float64Array, nulls: uint8Array.optional() }),
    z.object({ kind: z.literal('string'), codes: int32Array, dictionary: strings }),
  ]);

  /**
   * Spark-compat split keys of one partition: per kept row its id, label, assembled features
   * (CSR, ascending indices, zeros skipped) and the values of the key columns.
   */
  const sparkSplitKeysPartial = z
    .object({
      count,
      rowIds: float64Array,
      label: float64Array,
      numFeatures: count,
      featureOffsets: int32Array,
      featureIndices: int32Array,
      featureValues: float64Array,
      columns: z.array(rowColumn).readonly(),
    })
    .refine((p) => p.label.length === p.rowIds.length, { error: 'expected one label per row id', path: ['label'] })
    .refine((p) => p.featureValues.length === p.featureIndices.length, {
      error: 'expected as many feature values as feature indices',
      path: ['featureValues'],
    });

  /**
   * Scored rows of one partition (`kindling predict`): per kept row its id, rawPrediction and
   * probability (numRows × numClasses, row-major; binomial [−m, m] and [1 − p, p] as Spark),
   * prediction (class index as a double) and the pass-through columns asked for, in that order.
   */
  /** A partition's rows as they are, column by column (`kindling convert`); row ids as loaded. */
  const exportRowsPartial = z
    .object({
      count,
      rowIds: float64Array,
      columns: z.array(rowColumn).readonly(),
    })
    .refine(
      (p) => p.rowIds.length === p.count && p.columns.every((c) => (c.kind === 'numeric' ? c.values.length : c.codes.length) === p.count),
      {
        error: 'expected arrays sized count',
      },
    );

  const scorePartial = z
    .object({
      count,
      /** Rows dropped by handleInvalid = skip. */
      skipped: count,
      numClasses: count,
      rowIds: float64Array,
      rawPrediction: float64Array,
      probability: float64Array,
      prediction: float64Array,
      columns: z.array(rowColumn).readonly(),
    })
    .refine(
      (p) =>
        p.rowIds.length === p.count &&
        p.prediction.length === p.count &&
        p.rawPrediction.length === p.count * p.numClasses &&
        p.probability.length === p.count * p.numClasses &&
        p.columns.every((c) => (c.kind === 'numeric' ? c.values.length : c.codes.length) === p.count),
      { error: 'expected arrays sized count (× numClasses)' },
    );

  return {
    count,
    float,
    finite,
    nonEmpty,
    subjectToken,
    float64Array,
    int32Array,
    uint8Array,
    strings,
    wireError,
    columnType,
    field,
    schema,
    csvOptions,
    numericFeatureInput,
    oneHotFeatureInput,
    featureInput,
    labelEncoding,
    encodingPlan,
    inputFile,
    planPartition,
    jobPlan,
    designBlock,
    numericColumnStats,
    stringColumnStats,
    columnStats,
    inferPartial,
    loadPartial,
    encodePartial,
    summaryPartial,
    gradientPartial,
    evaluatePartial,
    sparkSplitKeysPartial,
    scorePartial,
    exportRowsPartial,
  };
}

/** The schemas makeSchemaKit returns. */
export type SchemaKit = ReturnType<typeof makeSchemaKit>;

/** The TypeScript type a kit schema accepts (readonly where the schema says so). */
export type KitType<K extends keyof SchemaKit> = Zod.infer<SchemaKit[K]>;
