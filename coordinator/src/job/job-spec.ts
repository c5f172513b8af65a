/**
 * The validated, normalised form of a job: what `kindling submit job.yaml` runs and what the
 * TypeScript API takes. A YAML job file is parsed into exactly this (see job-spec-parser.ts),
 * with every default filled in and every path resolved, so the driver never re-validates.
 */
import type { CsvOptions } from '@kindling/shared/compute';

/** Reading the input table (docs/inputs.md). */
/** input.maxPartitionBytes when the job file leaves it out (4 MiB). */
export const DEFAULT_MAX_PARTITION_BYTES = 4 * 1024 * 1024;

export interface InputSpec {
  /**
   * Absolute path(s), as given: a file, a folder of part files (Spark's output layout), a
   * glob, or a list of these. Resolved into files, sorted by path, when the job plans its input.
   */
  readonly path: string | readonly string[];
  /**
   * `auto` decides per file from its magic bytes and extension; `csv` or `parquet` insist.
   * `features`: the path is a folder of saved assembled features (`train/` and `test/` Parquet
   * parts of `(label, features: VectorUDT)`), trained on with no feature pipeline.
   */
  readonly format: 'auto' | 'csv' | 'parquet' | 'features';
  /** CSV reader options (ignored for Parquet, whose schema is in the file). */
  readonly csv: CsvOptions;
  /** Fixed partition count; when absent it follows from the file size (never from executors). */
  readonly partitions?: number;
  /** Target bytes per partition when `partitions` is absent. */
  readonly maxPartitionBytes: number;
}

export type StringOrderType = 'frequencyDesc' | 'frequencyAsc' | 'alphabetDesc' | 'alphabetAsc';

/** The feature pipeline: drop → StringIndexer + OneHotEncoder → VectorAssembler, label indexing. */
export interface PipelineSpec {
  /** Columns removed right after reading (must exist). */
  readonly drop: readonly string[];
  /** Label column; never a feature. String labels are StringIndexer'd; numeric ones must be integers 0..K−1. */
  readonly label: string;
  /** String columns to index + one-hot encode; 'auto' = every string column but the label. */
  readonly categorical: readonly string[] | 'auto';
  /** Numeric columns assembled as-is; 'auto' = every numeric column but the label. */
  readonly numeric: readonly string[] | 'auto';
  /** Assembler order: one-hot inputs first then numeric (the Spark tutorial), or file order. */
  readonly featureOrder: 'categorical-first' | 'file';
  readonly stringIndexer: {
    readonly orderType: StringOrderType;
    readonly handleInvalid: 'error' | 'skip' | 'keep';
  };
  readonly oneHotEncoder: { readonly dropLast: boolean };
  /** Null in a numeric feature: fail (Spark's default) or drop the row. */
  readonly assembler: { readonly handleInvalid: 'error' | 'skip' };
  /** Numeric column of instance weights (Spark's weightCol): finite and >= 0; never a feature. Absent: weight 1. */
  readonly weight?: string;
}

/** Train/test split: exactly two weights, normalised. */
export interface SplitSpec {
  readonly weights: readonly [number, number];
  readonly seed: number;
}

/** Logistic regression, Spark MLlib's parameters and defaults. */
export interface LogisticRegressionSpec {
  /** `none`: fit the feature pipeline only (write its stages and the features), train nothing. */
  readonly type: 'logistic-regression' | 'none';
  /** Spark's `family`: auto = binomial for ≤ 2 label classes, else multinomial (softmax). */
  readonly family: 'auto' | 'binomial' | 'multinomial';
  readonly maxIter: number;
  readonly regParam: number;
  readonly elasticNetParam: number;
  readonly tol: number;
  readonly fitIntercept: boolean;
  readonly standardization: boolean;
  readonly threshold: number;
}

/** Where and what to write. */
export interface OutputSpec {
  /** Absolute path of the output folder. */
  readonly path: string;
  /** `error` refuses an existing folder (Spark's ErrorIfExists); `overwrite` replaces it atomically. */
  readonly mode: 'error' | 'overwrite';
  /** Write predictions/ (row id, label, probability, prediction) for the test split. */
  readonly predictions: boolean;
  /** Write features/ (assembled sparse vectors + label) for every row. */
  readonly features: boolean;
  /** Write test-split/: the test split's raw rows (every input column, with rowId) as Parquet. */
  readonly testSplit: boolean;
}

/** Spark-compatibility switch (split, optimizer variant, evaluator binning). */
export type CompatMode = 'kindling' | 'spark-2.3' | 'spark-3.2';

export interface JobSpec {
  readonly name: string;
  /** The job file the spec came from, if any (for error messages and the run record). */
  readonly specFile?: string;
  readonly input: InputSpec;
  readonly pipeline: PipelineSpec;
  readonly split: SplitSpec;
  readonly model: LogisticRegressionSpec;
  readonly output: OutputSpec;
  readonly compat: CompatMode;
  /** Local mode's executor: its block-store budget in bytes (`executor.memory`); absent = unbounded. */
  readonly executor?: { readonly memoryBytes?: number };
}
