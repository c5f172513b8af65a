/**
 * The task contract between the driver and executors: what a task asks for (TaskSpec) and
 * what it returns (the per-partition partials). Everything here is plain data (no functions
 * travel): an executor runs only the built-in operations named by `op`.
 *
 * Every task carries its partition's lineage (source byte range, schema, encoding plan), so
 * an executor that lacks a cached block rebuilds it instead of failing: losing an executor
 * loses no data.
 */
import type { DesignBlock } from './columnar/design-block.js';
import type { ColumnType, Schema } from './columnar/schema.js';

/** How malformed CSV records are handled (Spark's `mode`). */
export type ParseMode = 'FAILFAST' | 'DROPMALFORMED' | 'PERMISSIVE';

/** CSV reader options, as Spark names them. */
export interface CsvOptions {
  /** First line holds column names. */
  readonly header: boolean;
  /** One character (one UTF-8 byte in this version); default ','. */
  readonly delimiter: string;
  /** Quote character; default '"'. */
  readonly quote: string;
  /** Escape character inside quoted fields; default '"' (RFC 4180: a quote is doubled). */
  readonly escape: string;
  /** Fields equal to this string are null, besides empty fields; default ''. */
  readonly nullValue: string;
  readonly mode: ParseMode;
  /** Infer column types (int, long, double, boolean, string); otherwise every column is string. */
  readonly inferSchema: boolean;
}

export const DEFAULT_CSV_OPTIONS: CsvOptions = {
  header: true,
  delimiter: ',',
  quote: '"',
  escape: '"',
  nullValue: '',
  mode: 'FAILFAST',
  inferSchema: true,
};

/** One partition's slice of the source file. Byte ranges always start at a record start. */
export interface PartitionSource {
  /** Absolute path of the CSV file. */
  readonly file: string;
  /** Partition index, 0-based, in file order. */
  readonly index: number;
  /** First byte of the partition (after the header for partition 0). */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /** Number of columns (from the header or the first record). */
  readonly numColumns: number;
  /** Column names, used in error messages. */
  readonly columnNames: readonly string[];
  /** Size of the whole file, so the parser knows whether a range ends the file. */
  readonly fileSize?: number;
}

/** Result of the schema-inference pass over one partition. */
export interface InferPartial {
  /** Records kept (after DROPMALFORMED). */
  readonly rowCount: number;
  /** Malformed records dropped or kept as nulls (DROPMALFORMED / PERMISSIVE). */
  readonly malformedCount: number;
  /** Newline bytes consumed, so the driver can turn a partition-relative line into a file line. */
  readonly lineCount: number;
  /** Per column, the narrowest type that fits every non-null value seen; null if only nulls. */
  readonly types: readonly (ColumnType | null)[];
}

/** Summary of one numeric column in one partition (non-null values only). */
export interface NumericColumnStats {
  readonly kind: 'numeric';
  readonly count: number;
  readonly nullCount: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean (Welford's M2). */
  readonly m2: number;
}

/** Value counts of one string column in one partition. */
export interface StringColumnStats {
  readonly kind: 'string';
  readonly nullCount: number;
  /** Distinct non-null values and their counts, in any order. */
  readonly values: readonly string[];
  readonly counts: readonly number[];
}

export type ColumnStats = NumericColumnStats | StringColumnStats;

/** Result of loading one partition into the block store. */
export interface LoadPartial {
  readonly rowCount: number;
  readonly malformedCount: number;
  readonly columns: readonly ColumnStats[];
}

/** A numeric input of the assembler. */
export interface NumericFeatureInput {
  readonly kind: 'numeric';
  /** Column index in the schema. */
  readonly column: number;
  readonly name: string;
}

/** A string input, StringIndexer'd then one-hot encoded. */
export interface OneHotFeatureInput {
  readonly kind: 'onehot';
  readonly column: number;
  readonly name: string;
  /** StringIndexer labels in index order (index = position). */
  readonly labels: readonly string[];
  /** Null or unseen values: error, drop the row (skip), or index labels.length (keep). */
  readonly handleInvalid: 'error' | 'skip' | 'keep';
  readonly dropLast: boolean;
  /** Index of this input's first slot in the assembled vector. */
  readonly offset: number;
  /** Number of slots this input occupies. */
  readonly size: number;
}

export type FeatureInput = NumericFeatureInput | OneHotFeatureInput;

/** How the label column becomes 0/1. */
export type LabelEncoding =
  | { readonly kind: 'string'; readonly column: number; readonly name: string; readonly labels: readonly string[] }
  | { readonly kind: 'numeric'; readonly column: number; readonly name: string };

/** Everything needed to turn a loaded partition into train/test DesignBlocks. */
export interface EncodingPlan {
  readonly label: LabelEncoding;
  /** Assembler inputs, in vector order. */
  readonly features: readonly FeatureInput[];
  readonly numFeatures: number;
  /** Null in a numeric feature: error, or drop the row. */
  readonly numericHandleInvalid: 'error' | 'skip';
  /** Deterministic split: a row is in train iff splitDraw(seed, rowId) < trainFraction. */
  readonly split: { readonly seed: number; readonly trainFraction: number };
}

/** Lineage of a partition: enough to rebuild every block of it from the source file. */
export interface PartitionLineage {
  readonly source: PartitionSource;
  readonly csv: CsvOptions;
  /** Global row id of the partition's first record (prefix sum of earlier row counts). */
  readonly firstRowId: number;
  /** Physical line number (1-based) of the partition's first byte, once the inference pass counted lines. */
  readonly firstLine?: number;
  /** Known once the inference pass ran. */
  readonly schema?: Schema;
  /** Known once transforms are fitted. */
  readonly encoding?: EncodingPlan;
  /**
   * Spark-compat split: per loaded row (batch order), 0 = train, 1 = test, 255 = in no split.
   * When present it replaces the hash split of `encoding.split`.
   */
  readonly splitAssignment?: Uint8Array;
}

/** Names of the blocks an executor caches per (job, partition). */
export type BlockName = 'rows' | 'train' | 'test';

/** Result of encoding one partition. */
export interface EncodePartial {
  readonly trainRows: number;
  readonly testRows: number;
  /** Rows dropped by handleInvalid = skip. */
  readonly skippedRows: number;
}

/** Per-feature weighted moments of the training rows of one partition (Welford / Chan). */
export interface SummaryPartial {
  readonly count: number;
  /** Length numFeatures. */
  readonly mean: number[];
  /** Sum of squared deviations, length numFeatures. */
  readonly m2: number[];
  /** Rows with label 0 and label 1. */
  readonly labelCounts: [number, number];
}

/**
 * Unscaled logistic loss and gradient sums over one partition's training rows, at
 * original-space coefficients `beta` and intercept `intercept`:
 *   lossSum = Σ log(1 + e^m) − y·m,  gradSum[j] = Σ (σ(m) − y)·x_j,  interceptGradSum = Σ (σ(m) − y).
 */
export interface GradientPartial {
  readonly count: number;
  readonly lossSum: number;
  readonly gradSum: Float64Array;
  readonly interceptGradSum: number;
}

/**
 * Evaluation of one partition: distinct scores (descending) with positive and negative
 * counts at each — the exact input of BinaryClassificationMetrics — plus confusion counts at
 * the threshold and the log-loss sum.
 */
export interface EvaluatePartial {
  readonly count: number;
  /** Distinct scores, strictly descending. */
  readonly scores: Float64Array;
  readonly positives: Float64Array;
  readonly negatives: Float64Array;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  /** Σ −[y log p + (1−y) log(1−p)], p clipped to [1e-15, 1 − 1e-15]. */
  readonly logLossSum: number;
  /** Present when predictions were asked for: one entry per row, in block order. */
  readonly predictions?: {
    readonly rowIds: Float64Array;
    readonly label: Float64Array;
    readonly probability: Float64Array;
    readonly prediction: Float64Array;
  };
}

/**
 * Spark-compat split keys of one partition: per kept row its id, label, assembled features
 * (CSR, ascending indices, zeros skipped) and the values of the key columns.
 */
export interface SparkSplitKeysPartial {
  readonly count: number;
  readonly rowIds: Float64Array;
  readonly label: Float64Array;
  readonly numFeatures: number;
  readonly featureOffsets: Int32Array;
  readonly featureIndices: Int32Array;
  readonly featureValues: Float64Array;
  readonly columns: ReadonlyArray<
    | { readonly kind: 'numeric'; readonly values: Float64Array; readonly nulls?: Uint8Array }
    | { readonly kind: 'string'; readonly codes: Int32Array; readonly dictionary: readonly string[] }
  >;
}

/** What a task asks an executor to do. */
export type TaskSpec =
  | { readonly op: 'csv-infer'; readonly lineage: PartitionLineage }
  | { readonly op: 'csv-load'; readonly lineage: PartitionLineage }
  | { readonly op: 'encode'; readonly lineage: PartitionLineage }
  | { readonly op: 'spark-split-keys'; readonly lineage: PartitionLineage; readonly keyColumns: readonly number[] }
  | { readonly op: 'summarize'; readonly lineage: PartitionLineage }
  | {
      readonly op: 'gradient';
      readonly lineage: PartitionLineage;
      readonly beta: Float64Array;
      readonly intercept: number;
    }
  | {
      readonly op: 'evaluate';
      readonly lineage: PartitionLineage;
      readonly split: 'train' | 'test';
      readonly beta: Float64Array;
      readonly intercept: number;
      /** Score used for the curves: the margin (rawPrediction[1]) or the probability. */
      readonly score: 'margin' | 'probability';
      /** Probability threshold for the predicted class (Spark: strict >). */
      readonly threshold: number;
      readonly predictions: boolean;
    }
  | {
      /** The cached train or test design block itself (output.features: assembled vectors as Parquet). */
      readonly op: 'features';
      readonly lineage: PartitionLineage;
      readonly split: 'train' | 'test';
    };

export type TaskOp = TaskSpec['op'];

/** Maps each op to the partial it returns. */
export interface TaskResultByOp {
  'csv-infer': InferPartial;
  'csv-load': LoadPartial;
  encode: EncodePartial;
  'spark-split-keys': SparkSplitKeysPartial;
  summarize: SummaryPartial;
  gradient: GradientPartial;
  evaluate: EvaluatePartial;
  features: DesignBlock;
}
