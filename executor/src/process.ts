/**
 * @kindling/executor/process — the executor process (`kindling executor`, the
 * kindling-executor bin): NATS backend, heartbeats, health server, drain. A separate entry
 * so that local mode, which only needs LocalExecutor, does not load NATS and prom-client.
 * @module
 */
export { startExecutor, runExecutorCli, jsonLinesLogger, type ExecutorHandle, type ExecutorStopOutcome } from './main.js';
export { readExecutorCommandLine, parseExecutorArgs, natsOptionsOf, type ExecutorCommandLine, type ExecutorConfig, type ExecutorLogLevel } from './config.js';
export type { ExecutorLogger } from './executor-logger.js';
