/**
 * The CSV reader's public surface, re-exported by the package root: options (job-spec side),
 * split planning (driver side), per-partition inference and parsing (executor side), and the
 * schema merge and line-number helpers the driver uses between the two passes. Tokenizer and
 * type-code internals stay in their modules.
 */
export { resolveCsvOptions, validateCsvOptions } from './csv-options.js';
export {
  defaultPartitionCount,
  headerNames,
  planCsvSplits,
  type ByteRangeReader,
  type CsvPlan,
  type PlanCsvSplitsArgs,
} from './csv-split-planner.js';
export { mergeInferPartials } from './csv-type-inference.js';
export {
  countNewlines,
  inferPartition,
  parsePartition,
  scanPartition,
  withAbsoluteLine,
  type ParsedPartition,
} from './csv-partition-parser.js';
export { conformable, conformBatch } from './provisional-batch.js';
export { batchStatistics } from './batch-statistics.js';
