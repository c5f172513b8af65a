/**
 * LocalExecutor: an executor inside the driver's process (Spark's local mode). It is the
 * ExecutorClient the scheduler talks to in `local[N]`: a block store plus a pool of N worker
 * threads, with no transport in between. Remote executors run the very same TaskRunner.
 *
 * THREADING: main thread; tasks run on the pool's threads.
 */
import {
  asExecutorId,
  type ExecutorClient,
  type ExecutorId,
  type ExecutorStatus,
  type JobId,
  type TaskId,
  type TaskOp,
  type TaskResultByOp,
  type TaskSpec,
} from '@kindling/shared/compute';
import { ThreadPool } from './pool/thread-pool.js';
import { BlockStore } from './storage/block-store.js';
import { TaskRunner } from './task-runner.js';

/** Options of an in-process executor. */
export interface LocalExecutorOptions {
  /** Executor id shown in logs and the run record; default 'driver' as in Spark's local mode. */
  readonly id?: string;
  /** Worker threads = task slots. */
  readonly threads: number;
}

/** An in-process executor with its own block store and worker-thread pool. */
export class LocalExecutor implements ExecutorClient {
  readonly id: ExecutorId;
  readonly slots: number;
  private readonly store = new BlockStore();
  private readonly pool: ThreadPool;
  private readonly runner: TaskRunner;
  private running = 0;

  constructor(options: LocalExecutorOptions) {
    this.id = asExecutorId(options.id ?? 'driver');
    this.slots = Math.max(1, Math.floor(options.threads));
    this.pool = new ThreadPool(this.slots);
    this.runner = new TaskRunner(this.store, this.pool);
  }

  async runTask<O extends TaskOp>(jobId: JobId, _taskId: TaskId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]> {
    this.running++;
    try {
      return await this.runner.run(jobId, spec);
    } finally {
      this.running--;
    }
  }

  async dropJob(jobId: JobId): Promise<void> {
    this.store.dropJob(jobId);
  }

  async status(): Promise<ExecutorStatus> {
    const { blocks, bytes } = this.store.stats();
    return {
      id: this.id,
      slots: this.slots,
      runningTasks: this.running,
      cachedBlocks: blocks,
      cachedBytes: bytes,
      rssBytes: process.memoryUsage().rss,
    };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
