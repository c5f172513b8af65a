/**
 * Job artifacts: the output committer that publishes a job's folder atomically, and the
 * writers (and model reader) for what goes in it, all in Spark's on-disk layouts. The driver's
 * save step is the caller; coordinator/src/index.ts re-exports what the public API needs.
 */
export * from './output-committer.js';
export * from './model-writer.js';
export * from './model-reader.js';
export * from './predictions-writer.js';
export * from './features-writer.js';
export {
  MATRIX_UDT_CLASS,
  SPARK_ROW_METADATA_KEY,
  SPARK_VERSION_METADATA_KEY,
  VECTOR_UDT_CLASS,
  readParquetFile,
} from './spark-parquet.js';
export type * from './pipeline-model-data.js';
export * from './pipeline-model-writer.js';
export * from './pipeline-model-reader.js';
export * from './parquet-table-writer.js';
export * from './pipeline-model-builder.js';
