/**
 * The task-level interface of an executor as the driver sees it. The scheduler only ever
 * talks to executors through this: local mode's in-process executor implements it directly,
 * a remote executor is reached through a transport-backed implementation of the same
 * interface. So local mode, a local cluster and Kubernetes share one code path.
 *
 * A launch is a batch: one op with its params over several partitions of a job, so an
 * iteration costs one message per executor, not one per partition. Each task's outcome is
 * reported on its own (the driver still combines partials by partition index).
 */
import type { WireError } from './errors.js';
import type { ExecutorId, JobId, TaskId } from './ids.js';
import type { TaskOp, TaskParamsByOp, TaskResultByOp } from './ops/registry.js';
import type { BlockName, JobPlan } from './tasks.js';

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

/** One task of a batch: the attempt id and the partition it runs on. */
export interface TaskRef {
  readonly taskId: TaskId;
  readonly partition: number;
}

/** Tasks of one stage for one executor: one op and its params over several partitions. */
export interface TaskBatch<O extends TaskOp = TaskOp> {
  readonly op: O;
  readonly params: TaskParamsByOp[O];
  readonly tasks: readonly TaskRef[];
}

/** One cached block of a partition, as an executor reports it after a task. */
export interface CachedBlock {
  readonly name: BlockName;
  readonly bytes: number;
}

/** How one task of a batch ended. */
export type TaskUpdate<R = unknown> =
  | {
      readonly taskId: TaskId;
      readonly partition: number;
      readonly ok: true;
      readonly value: R;
      /** The executor's time from taking the task to its result (input, worker thread, op), ms. */
      readonly kernelMs?: number;
      /** The partition's blocks cached on the executor once the task ended, with their bytes (the Storage page). */
      readonly blocks?: readonly CachedBlock[];
    }
  | { readonly taskId: TaskId; readonly partition: number; readonly ok: false; readonly error: WireError };

/** Receives each task's outcome, exactly once per task of a launch. */
export type TaskUpdateSink<R = unknown> = (update: TaskUpdate<R>) => void;

/** The driver's handle on one executor. */
export interface ExecutorClient {
  readonly id: ExecutorId;
  /** How many tasks it runs at once (its worker threads). */
  readonly slots: number;
  /**
   * Runs a batch of tasks against `plan` (the executor is given the plan first if it does not
   * hold this version). Never throws: every task's outcome, failures included, goes to `sink`.
   * Failure codes say why (branch on them): data errors (E_CSV_MALFORMED, E_LABEL,
   * E_INVALID_VALUE) are deterministic and not worth a retry; E_EXECUTOR_LOST and E_IO may
   * succeed elsewhere.
   */
  launchTasks<O extends TaskOp>(jobId: JobId, plan: JobPlan, batch: TaskBatch<O>, sink: TaskUpdateSink<TaskResultByOp[O]>): void;
  /** Frees every block and the plan the job has on this executor. */
  dropJob(jobId: JobId): Promise<void>;
  status(): Promise<ExecutorStatus>;
}
