/**
 * The data types of the task contract: the job plan drivers register with executors, the
 * lineage a kernel sees for one partition, and the partial results tasks return. Every wire
 * shape here is inferred from its schema in wire/schema-kit.ts (declared once); only
 * PartitionLineage, which never travels, is written out as an interface.
 *
 * Everything is plain data (no functions travel): an executor runs only the built-in ops of
 * ops/registry.ts, named by the driver.
 */
import type { KitType } from './wire/schema-kit.js';

/** How malformed CSV records are handled (Spark's `mode`). */
export type ParseMode = CsvOptions['mode'];
/** CSV reader options, as Spark names them. */
export type CsvOptions = KitType<'csvOptions'>;

export const DEFAULT_CSV_OPTIONS: CsvOptions = {
  header: true,
  delimiter: ',',
  quote: '"',
  escape: '"',
  nullValue: '',
  mode: 'FAILFAST',
  inferSchema: true,
};

/** A numeric input of the assembler. */
export type NumericFeatureInput = KitType<'numericFeatureInput'>;
/** A string input, StringIndexer'd then one-hot encoded. */
export type OneHotFeatureInput = KitType<'oneHotFeatureInput'>;
export type FeatureInput = KitType<'featureInput'>;
/** How the label column becomes 0/1. */
export type LabelEncoding = KitType<'labelEncoding'>;
/** Everything needed to turn a loaded partition into train/test DesignBlocks. */
export type EncodingPlan = KitType<'encodingPlan'>;
/** One file of a job's input (path, size, format, compression). */
export type InputFile = KitType<'inputFile'>;
/** Format of an input file. */
export type InputFormat = InputFile['format'];
/** Compression of an input file. */
export type InputCompression = InputFile['compression'];
/** One partition of a job plan (a byte range of one input file). */
export type PlanPartition = KitType<'planPartition'>;
/** A job's plan as executors keep it (input, partitions, fitted transforms). */
export type JobPlan = KitType<'jobPlan'>;

/** Summary of one numeric column in one partition (non-null values only). */
export type NumericColumnStats = KitType<'numericColumnStats'>;
/** Value counts of one string column in one partition. */
export type StringColumnStats = KitType<'stringColumnStats'>;
export type ColumnStats = KitType<'columnStats'>;

export type InferPartial = KitType<'inferPartial'>;
export type LoadPartial = KitType<'loadPartial'>;
export type EncodePartial = KitType<'encodePartial'>;
export type SummaryPartial = KitType<'summaryPartial'>;
export type GradientPartial = KitType<'gradientPartial'>;
export type EvaluatePartial = KitType<'evaluatePartial'>;
export type SparkSplitKeysPartial = KitType<'sparkSplitKeysPartial'>;
export type ScorePartial = KitType<'scorePartial'>;
/** A partition's rows column by column, for `kindling convert`. */
export type ExportRowsPartial = KitType<'exportRowsPartial'>;

/** One partition's slice of its source file, as the CSV parser and the Parquet reader read it. */
export interface PartitionSource {
  /** Absolute path of the partition's file. */
  readonly file: string;
  /** Partition index, 0-based, in input order (files by path, then offset). */
  readonly index: number;
  /** First byte of the partition (after the header for a file's first partition). */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /** Number of columns (from the header or the first record). */
  readonly numColumns: number;
  /** Column names, used in error messages. */
  readonly columnNames: readonly string[];
  /** Size of the whole file, so the parser knows whether a range ends the file. */
  readonly fileSize?: number;
  /** Absent: 'csv'. */
  readonly format?: InputFormat;
  /** Absent: 'none'. */
  readonly compression?: InputCompression;
  /** gzip CSV: offset of the first record in the decompressed stream. */
  readonly dataStart?: number;
  /** Parquet: the row groups [first, end) of the partition. */
  readonly rowGroups?: readonly [number, number];
  /** Parquet: first byte of the file's footer. */
  readonly footerStart?: number;
}

/**
 * Lineage of one partition, as kernels see it: enough to rebuild every block of it from the
 * source file. Executors derive it from their copy of the job plan (lineageOf); it never
 * travels on its own.
 */
export interface PartitionLineage {
  readonly source: PartitionSource;
  readonly csv: CsvOptions;
  readonly firstRowId: number;
  readonly firstLine?: number;
  readonly schema?: JobPlan['schema'];
  readonly encoding?: EncodingPlan;
  readonly splitAssignment?: Uint8Array;
  /** Columns the job never reads (JobPlan.skipColumns): parsed for their types only. */
  readonly skipColumns?: readonly number[];
  /** JobPlan.designProducer: what rebuilds this partition's design blocks when they are missing. */
  readonly designProducer?: JobPlan['designProducer'];
}

/** The lineage of partition `index` of a plan. */
export function lineageOf(plan: JobPlan, index: number): PartitionLineage {
  const p = plan.partitions[index];
  if (p === undefined) throw new RangeError(`job plan v${plan.version} has ${plan.partitions.length} partitions, not ${index + 1}`);
  const f = plan.files[p.file];
  if (f === undefined) throw new RangeError(`job plan v${plan.version} has ${plan.files.length} files, not ${p.file + 1}`);
  return {
    source: {
      file: f.path,
      index,
      start: p.start,
      end: p.end,
      numColumns: plan.columnNames.length,
      columnNames: plan.columnNames,
      fileSize: f.size,
      format: f.format,
      compression: f.compression,
      ...(p.dataStart !== undefined && { dataStart: p.dataStart }),
      ...(p.rowGroups !== undefined && { rowGroups: p.rowGroups }),
      ...(f.footerStart !== undefined && { footerStart: f.footerStart }),
    },
    csv: plan.csv,
    firstRowId: p.firstRowId,
    ...(p.firstLine !== undefined && { firstLine: p.firstLine }),
    ...(plan.schema !== undefined && { schema: plan.schema }),
    ...(plan.encoding !== undefined && { encoding: plan.encoding }),
    ...(p.splitAssignment !== undefined && { splitAssignment: p.splitAssignment }),
    ...(plan.skipColumns !== undefined && plan.skipColumns.length > 0 && { skipColumns: plan.skipColumns }),
    ...(plan.designProducer !== undefined && { designProducer: plan.designProducer }),
  };
}

/** Names of the blocks an executor caches per (job, partition). */
export type BlockName = 'rows' | 'train' | 'test';
