/**
 * RemoteExecutorClient: one executor of the pool as the task scheduler sees it (the
 * ExecutorClient of shared/), so local mode and a cluster share the scheduler's code path. It
 * owns nothing but the executor's id and slots: launches and drops go to the task traffic
 * (TaskLauncher), status to the registry's latest heartbeat. TaskLauncher.clientFor makes
 * them when the registry admits an executor.
 *
 * THREADING: none of its own; every call returns at once and work continues in the launcher.
 */
import type {
  ExecutorClient,
  ExecutorId,
  ExecutorStatus,
  JobId,
  JobPlan,
  TaskBatch,
  TaskOp,
  TaskResultByOp,
  TaskUpdateSink,
} from '@kindling/shared';

/** What a client needs from whoever carries task traffic on the wire (TaskLauncher). */
export interface TaskTraffic {
  /** Runs `batch` on `executorId`; never throws, one outcome per task to `sink`. */
  launch<O extends TaskOp>(
    executorId: ExecutorId,
    jobId: JobId,
    plan: JobPlan,
    batch: TaskBatch<O>,
    sink: TaskUpdateSink<TaskResultByOp[O]>,
  ): void;
  /** Frees a job's plan and blocks on `executorId`. */
  dropJob(executorId: ExecutorId, jobId: JobId): Promise<void>;
}

/** An executor of the pool, reached over the transport. */
export class RemoteExecutorClient implements ExecutorClient {
  /** Use TaskLauncher.clientFor. */
  constructor(
    readonly id: ExecutorId,
    readonly slots: number,
    private readonly traffic: TaskTraffic,
    private readonly statusOf: () => ExecutorStatus,
  ) {}

  /** See ExecutorClient.launchTasks: never throws, one outcome per task to `sink`. */
  launchTasks<O extends TaskOp>(jobId: JobId, plan: JobPlan, batch: TaskBatch<O>, sink: TaskUpdateSink<TaskResultByOp[O]>): void {
    this.traffic.launch(this.id, jobId, plan, batch, sink);
  }

  /** Frees the job's plan and blocks on this executor. */
  dropJob(jobId: JobId): Promise<void> {
    return this.traffic.dropJob(this.id, jobId);
  }

  /** What its latest heartbeat said. */
  async status(): Promise<ExecutorStatus> {
    return this.statusOf();
  }
}
