/**
 * Per-partition ML kernels that executors run on cached blocks: encode (ColumnBatch →
 * train/test DesignBlocks), Spark-compat split keys, summarize, logistic gradient and
 * evaluate. Pure functions.
 */
export * from './encode.js';
export * from './spark-split-keys.js';
export * from './summarize.js';
export * from './logistic-gradient.js';
export * from './weighted-logistic-gradient.js';
export * from './evaluate.js';
export * from './softmax-gradient.js';
export * from './evaluate-multiclass.js';
export * from './score.js';
export * from './export-rows.js';
