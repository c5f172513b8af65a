/**
 * @kindling/shared — what the driver and executors must agree on: columnar partitions, the
 * CSV splitter and parser, the task contract, the pure ML kernels, and errors.
 *
 * Everything here is pure (no sockets, no process state); file reads happen in callers.
 *
 * ```ts
 * import { planCsvSplits, parsePartition, runKernel } from '@kindling/shared';
 * ```
 * @module
 */
export * from './errors.js';
export * from './ids.js';
export * from './tasks.js';
export * from './executor-client.js';
export * from './columnar/index.js';
export * from './csv/index.js';
export * from './kernels/index.js';
export * from './ml/index.js';
export * from './spark/index.js';
