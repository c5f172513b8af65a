/**
 * Parquet input: the footer and row-group spans (driver planning), the schema mapping onto
 * Kindling's column types, and the partition reader that builds ColumnBatches (worker).
 */
export { footerLength, parseParquetFooter, rowGroupSpans, PARQUET_TRAILER, type RowGroupSpan } from './parquet-footer.js';
export { columnsDiffer, parquetColumns, schemaOfColumns, type ParquetColumn, type ParquetValueKind } from './parquet-schema.js';
export { formatDate, formatTimestamp, loadParquetPartition, type ParquetPartition } from './parquet-partition-reader.js';
export {
  featureColumnProblem,
  hasColumn,
  KINDLING_FEATURES_KEY,
  readFeatureRows,
  type FeatureColumnNames,
  type FeatureRows,
} from './feature-rows-reader.js';
export { hyparquetLoaded, loadHyparquet } from './hyparquet-library.js';
