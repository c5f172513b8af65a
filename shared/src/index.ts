/**
 * @kindling/shared — what the driver and executors must agree on: columnar partitions, the
 * CSV splitter and parser, the task contract, the pure ML kernels, and errors.
 *
 * The compute half (columnar, CSV, kernels, ML math) is pure and also available alone as
 * `@kindling/shared/compute` for worker threads; the wire half (protocol, codec, NATS
 * transport) does I/O.
 *
 * ```ts
 * import { planCsvSplits, parsePartition, logisticGradient } from '@kindling/shared';
 * ```
 * @module
 */
export * from './errors.js';
export * from './byte-size.js';
export * from './ids.js';
export * from './tasks.js';
export * from './executor-client.js';
export * from './protocol.js';
export * from './codec.js';
export * from './ops/index.js';
export * from './wire/subject-token.js';
export * from './wire/schema-kit.js';
export * from './zod-issues.js';
export * from './transport/index.js';
export * from './columnar/index.js';
export * from './csv/index.js';
export * from './input/index.js';
export * from './parquet/index.js';
export * from './kernels/index.js';
export * from './ml/index.js';
export * from './spark/index.js';
