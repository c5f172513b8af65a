/**
 * @kindling/shared/compute — the pure compute half of @kindling/shared (columnar format, CSV
 * parsing, kernels, ML math, errors, task types) without the wire layer. Executor worker
 * threads import this entry: loading NATS, zod and the codec in every thread would cost
 * ~200 ms per thread start and buy nothing there.
 * @module
 */
export * from './errors.js';
export * from './zod-issues.js';
export * from './byte-size.js';
export * from './ids.js';
export * from './tasks.js';
export * from './executor-client.js';
export * from './columnar/index.js';
export * from './csv/index.js';
export * from './input/index.js';
export * from './parquet/index.js';
export * from './kernels/index.js';
export * from './ml/index.js';
export * from './spark/index.js';
export * from './ops/index.js';
export * from './wire/subject-token.js';
