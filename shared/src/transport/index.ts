/**
 * The transport layer: the Transport contract, the NATS implementation, and the in-memory bus
 * for unit tests of backends. Exported from the package root by shared/src/index.ts. (Starting
 * a nats-server is the CLI's job: @kindling/cli's NatsServerProcess.)
 */
export * from './transport.js';
export * from './nats-transport.js';
export * from './in-process-transport.js';
export { createUserNKey } from './nkey.js';
export { isRangeFrame, rangeFrames, rangeFrameSlots, RangeReceiver } from './range-frame.js';
