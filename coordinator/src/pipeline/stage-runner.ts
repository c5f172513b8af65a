/**
 * StageRunner: what the job runner's steps run stages on — one op with its params over every
 * partition of a plan, results in partition order. The TaskScheduler implements it; the
 * pipeline steps (job-runner.ts, evaluate-model.ts) depend only on this, not on each other.
 */
import type { JobId, JobPlan, TaskOp, TaskParamsByOp, TaskResultByOp } from '@kindling/shared/compute';
import type { ExecutorMembership } from '../cluster/executor-membership.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';

/** One stage: an op with its params over every partition of the plan. */
export interface StageRequest<O extends TaskOp> {
  readonly name: string;
  readonly op: O;
  readonly params: TaskParamsByOp[O];
  readonly partitions: number;
}

/** What runs stages: the TaskScheduler (or a test double). results[i] is partition i's partial. */
export interface StageRunner {
  runStage<O extends TaskOp>(stage: StageRequest<O>, plan: JobPlan): Promise<TaskResultByOp[O][]>;
}

/** Collaborators of a job run, built by DriverContext. */
export interface RunContext {
  readonly jobId: JobId;
  readonly scheduler: StageRunner;
  /** The executors the job may use (for the log line and the run record). */
  readonly membership: ExecutorMembership;
  readonly events: EventBus;
  readonly logger: Logger;
}
