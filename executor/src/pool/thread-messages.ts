/**
 * Messages between the executor's main thread and its worker threads (not the wire
 * protocol). Only plain data crosses: SharedArrayBuffer-backed blocks (shared, not copied),
 * the lineage (JSON-like), and small parameters. No functions, no transport, no config.
 */
import type {
  ColumnBatch,
  DesignBlock,
  EncodePartial,
  EvaluatePartial,
  GradientPartial,
  InferPartial,
  LoadPartial,
  PartitionLineage,
  SparkSplitKeysPartial,
  SummaryPartial,
  WireError,
} from '@kindling/shared/compute';

/** Main → worker. `bytes`, when present, is the partition's byte range fetched by the executor (no shared file). */
export type WorkerRequest =
  | { readonly type: 'csv-infer'; readonly lineage: PartitionLineage; readonly bytes?: Uint8Array }
  | { readonly type: 'csv-load'; readonly lineage: PartitionLineage; readonly bytes?: Uint8Array }
  | { readonly type: 'encode'; readonly lineage: PartitionLineage; readonly rows: ColumnBatch }
  | { readonly type: 'spark-split-keys'; readonly lineage: PartitionLineage; readonly rows: ColumnBatch; readonly keyColumns: readonly number[] }
  | { readonly type: 'summarize'; readonly lineage: PartitionLineage; readonly train: DesignBlock }
  | {
      readonly type: 'gradient';
      readonly lineage: PartitionLineage;
      readonly train: DesignBlock;
      readonly beta: Float64Array;
      readonly intercept: number;
    }
  | {
      readonly type: 'evaluate';
      readonly lineage: PartitionLineage;
      readonly block: DesignBlock;
      readonly beta: Float64Array;
      readonly intercept: number;
      readonly score: 'margin' | 'probability';
      readonly threshold: number;
      readonly predictions: boolean;
    };

/** Worker → main: the result for each request type. */
export interface WorkerResultByType {
  'csv-infer': InferPartial;
  'csv-load': { readonly rows: ColumnBatch; readonly partial: LoadPartial };
  encode: { readonly train: DesignBlock; readonly test: DesignBlock; readonly partial: EncodePartial };
  'spark-split-keys': SparkSplitKeysPartial;
  summarize: SummaryPartial;
  gradient: GradientPartial;
  evaluate: EvaluatePartial;
}

/**
 * Errors are returned, not thrown: structured clone keeps an Error's message but drops its
 * `code` and details, and the task scheduler branches on the code.
 */
export type WorkerResponse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };
