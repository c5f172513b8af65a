/**
 * Driver-side ML math: merging load statistics, fitting StringIndexers, the feature layout,
 * the split draw and binary-classification metrics. Pure functions.
 */
export * from './string-indexer.js';
export * from './column-stats.js';
export * from './random-split.js';
export * from './feature-layout.js';
export * from './binary-metrics.js';
export * from './multiclass-metrics.js';
