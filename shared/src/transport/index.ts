/**
 * The transport layer: the Transport contract, the NATS implementation, the in-memory bus
 * for unit tests of backends, and a managed nats-server process for local clusters and tests.
 * Exported from the package root by shared/src/index.ts.
 */
export * from './transport.js';
export * from './nats-transport.js';
export * from './in-process-transport.js';
export * from './nats-server-process.js';
