/**
 * @kindling/executor — runs Kindling tasks: a block store of cached partitions, a task runner
 * that rebuilds missing blocks from lineage, and a piscina pool of worker threads.
 *
 * ```ts
 * const executor = new LocalExecutor({ threads: 2 });   // local[2]
 * await runJob(spec, { executors: [executor], … });      // from @kindling/coordinator
 * await executor.close();
 * ```
 * @module
 */
export { LocalExecutor, type LocalExecutorOptions } from './local-executor.js';
export { Executor, type ExecutorOptions, type Launch, type LaunchAnswer, type TaskMetricsSink } from './executor.js';
export { TaskRunner, type SourceBytesProvider } from './task-runner.js';
export { BlockStore, blockBytes, type Block, type BlockKey } from './storage/block-store.js';
export { ThreadPool } from './pool/thread-pool.js';
