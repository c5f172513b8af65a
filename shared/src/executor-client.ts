/**
 * The task-level interface of an executor as the driver sees it. The scheduler only ever
 * talks to executors through this: the in-process executor of local mode implements it
 * directly, and a remote executor is reached through a transport-backed implementation of
 * the same interface. So local mode, a local cluster and Kubernetes share one code path.
 */
import type { ExecutorId, JobId, TaskId } from './ids.js';
import type { TaskOp, TaskResultByOp, TaskSpec } from './tasks.js';

/** A snapshot of what an executor holds and runs, for status displays and tests. */
export interface ExecutorStatus {
  readonly id: ExecutorId;
  readonly slots: number;
  readonly runningTasks: number;
  readonly cachedBlocks: number;
  readonly cachedBytes: number;
  /** Resident set size of the executor's process, bytes. */
  readonly rssBytes: number;
}

/** The driver's handle on one executor. */
export interface ExecutorClient {
  readonly id: ExecutorId;
  /** How many tasks it runs at once (its worker threads). */
  readonly slots: number;
  /**
   * Runs one task. Rejects with a KindlingError whose `code` says why (branch on it): data
   * errors (E_CSV_MALFORMED, E_LABEL, E_INVALID_VALUE) are deterministic and not worth a retry;
   * E_EXECUTOR_LOST and E_IO may succeed elsewhere.
   */
  runTask<O extends TaskOp>(jobId: JobId, taskId: TaskId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]>;
  /** Frees every block the job cached on this executor. */
  dropJob(jobId: JobId): Promise<void>;
  status(): Promise<ExecutorStatus>;
}
