/**
 * @kindling/executor/process — the executor process (`kindling executor`, the
 * kindling-executor bin): NATS backend, heartbeats, health server, drain, and those parts on
 * their own for the integration tests that run them against a real nats-server. A separate
 * entry so that local mode, which only needs LocalExecutor, does not load NATS and prom-client.
 * @module
 */
export { startExecutor, runExecutorCli, jsonLinesLogger, type ExecutorHandle, type ExecutorStopOutcome } from './main.js';
export {
  readExecutorCommandLine,
  parseExecutorArgs,
  natsOptionsOf,
  type ExecutorCommandLine,
  type ExecutorConfig,
  type ExecutorLogLevel,
} from './config.js';
export { ExecutorBackend } from './executor-backend.js';
export type { ExecutorLogger } from './executor-logger.js';
export { Heartbeater } from './heartbeater.js';
export { SourceReader } from './source-reader.js';
