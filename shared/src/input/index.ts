/**
 * Input files beyond one plain CSV: format detection (driver), which bytes a partition needs
 * (executor and driver), and the gzip step before the CSV parser (worker).
 */
export { detectInputFormat, MAGIC_BYTES, type DeclaredFormat, type DetectedFormat } from './input-format.js';
export { partitionByteLength, partitionByteRanges } from './partition-bytes.js';
export { inputChangedError } from './input-changed.js';
export { csvPartitionInput, gunzipFile, type CsvPartitionInput } from './csv-source.js';
