/**
 * Executor: the executor's core, the same in local mode and in an executor process (Spark's
 * Executor). It keeps each job's plan, runs launched batches of tasks on the TaskRunner,
 * holds the table of running tasks, and frees a job's blocks and plan on request. It knows
 * nothing of the wire: ExecutorBackend (process) and LocalExecutor (in the driver's process)
 * adapt it to NATS and to the ExecutorClient interface.
 *
 * Each task's outcome is reported once through the launch's callback, failures included.
 * THREADING: main thread; tasks run concurrently (the pool queues beyond its slots), and
 * nothing here waits for a task while handling a launch.
 */
import {
  KindlingError,
  toWireError,
  type JobId,
  type JobPlan,
  type TaskId,
  type TaskOp,
  type TaskRef,
  type TaskUpdate,
  type WireError,
} from '@kindling/shared/compute';
import type { BlockStore } from './storage/block-store.js';
import type { TaskRunner } from './task-runner.js';

/** Task counters an executor reports (prom-client in the process, nothing in local mode). */
export interface TaskMetricsSink {
  taskStarted(op: string): void;
  taskSucceeded(op: string): void;
  taskFailed(op: string, code: string): void;
}

/** A launch: one op with its params over some partitions of a job, at a plan version. */
export interface Launch {
  readonly jobId: JobId;
  readonly planVersion: number;
  readonly op: TaskOp;
  readonly params: unknown;
  readonly tasks: readonly TaskRef[];
}

/** The answer to a launch: taken, or refused with the code of why. */
export type LaunchAnswer = { readonly accepted: true } | { readonly accepted: false; readonly error: WireError };

interface RunningTask {
  readonly jobId: JobId;
  readonly ref: TaskRef;
  readonly report: (update: TaskUpdate) => void;
  abandoned: boolean;
}

interface JobState {
  plan: JobPlan;
  running: number;
  /** dropJob arrived while tasks ran: drop again once they end (they may have cached blocks). */
  dropPending: boolean;
}

/** Options of an Executor. */
export interface ExecutorOptions {
  readonly id: string;
  readonly runner: Pick<TaskRunner, 'runMany'>;
  readonly store: Pick<BlockStore, 'dropJob' | 'partitionBlocks'>;
  readonly metrics?: TaskMetricsSink;
}

/** Plans, running tasks and job lifetimes of one executor. */
export class Executor {
  private readonly jobs = new Map<JobId, JobState>();
  private readonly running = new Map<string, RunningTask>();
  private readonly idleWaiters = new Set<() => void>();
  private draining = false;

  constructor(private readonly opts: ExecutorOptions) {}

  /** Keeps `plan` for the job, replacing an older version. */
  registerPlan(jobId: JobId, plan: JobPlan): void {
    const job = this.jobs.get(jobId);
    if (job) {
      job.plan = plan;
      job.dropPending = false;
    } else this.jobs.set(jobId, { plan, running: 0, dropPending: false });
  }

  /** The plan version held for a job, if any. */
  planVersion(jobId: JobId): number | undefined {
    return this.jobs.get(jobId)?.plan.version;
  }

  /**
   * Starts the tasks of a launch; `report` receives each task's outcome once. Refused while
   * draining (E_EXECUTOR_LOST: run it elsewhere) or without the plan version it names
   * (E_PLAN_MISSING: the driver registers it and launches again).
   */
  launch(launch: Launch, report: (update: TaskUpdate) => void): LaunchAnswer {
    if (this.draining)
      return refuse('E_EXECUTOR_LOST', `executor ${this.opts.id} is draining (shutting down)`, { executorId: this.opts.id });
    const job = this.jobs.get(launch.jobId);
    if (!job || job.plan.version !== launch.planVersion || job.dropPending) {
      const held = job && !job.dropPending ? `version ${job.plan.version}` : 'no plan';
      return refuse('E_PLAN_MISSING', `executor ${this.opts.id} holds ${held} of job ${launch.jobId}, not version ${launch.planVersion}`, {
        executorId: this.opts.id,
      });
    }
    for (const ref of launch.tasks) {
      if (ref.partition >= job.plan.partitions.length) {
        return refuse(
          'E_BAD_MESSAGE',
          `job ${launch.jobId} has ${job.plan.partitions.length} partitions; no partition ${ref.partition}`,
          {},
        );
      }
    }
    const started: Array<{ task: RunningTask; k: string }> = [];
    for (const ref of launch.tasks) {
      const k = taskKey(launch.jobId, ref.taskId);
      // A driver re-sending a launch whose acceptance it missed: the attempt already runs.
      if (this.running.has(k) || started.some((s) => s.k === k)) continue;
      started.push({ task: { jobId: launch.jobId, ref, report, abandoned: false }, k });
    }
    const t0 = performance.now();
    // The whole launch goes to the runner at once: tasks over cached blocks share thread round trips.
    const values = this.runAll(
      launch,
      job.plan,
      started.map((s) => s.task.ref.partition),
    );
    started.forEach(({ task, k }, i) => {
      this.running.set(k, task);
      job.running++;
      this.opts.metrics?.taskStarted(launch.op);
      void this.execute(task, k, job, launch, values[i]!, t0);
    });
    return { accepted: true };
  }

  /** The runner's promise for each partition; a runner throwing at once fails every task. */
  private runAll(launch: Launch, plan: JobPlan, partitions: number[]): Array<Promise<unknown>> {
    try {
      return this.opts.runner.runMany(launch.jobId, plan, launch.op, launch.params, partitions);
    } catch (err) {
      return partitions.map(() => Promise.reject(err));
    }
  }

  private async execute(task: RunningTask, k: string, job: JobState, launch: Launch, result: Promise<unknown>, t0: number): Promise<void> {
    const { ref } = task;
    let update: TaskUpdate;
    try {
      const value = await result;
      const kernelMs = performance.now() - t0;
      const blocks = this.opts.store.partitionBlocks(launch.jobId, ref.partition);
      update = { taskId: ref.taskId, partition: ref.partition, ok: true, value, kernelMs, blocks };
      this.opts.metrics?.taskSucceeded(launch.op);
    } catch (err) {
      const error = toWireError(err);
      update = { taskId: ref.taskId, partition: ref.partition, ok: false, error };
      this.opts.metrics?.taskFailed(launch.op, error.code);
    }
    this.running.delete(k);
    job.running--;
    if (job.running === 0 && job.dropPending) this.forget(launch.jobId);
    if (!task.abandoned) task.report(update);
    this.notifyIdle();
  }

  /** Frees a job's blocks and plan (after its running tasks end); returns the bytes freed now. */
  dropJob(jobId: JobId): number {
    const freed = this.opts.store.dropJob(jobId);
    const job = this.jobs.get(jobId);
    if (job && job.running > 0) job.dropPending = true;
    else this.jobs.delete(jobId);
    return freed;
  }

  /** Frees every job; returns the bytes freed. */
  dropAllJobs(): number {
    let freed = 0;
    for (const jobId of [...this.jobs.keys()]) freed += this.dropJob(jobId);
    return freed;
  }

  private forget(jobId: JobId): void {
    this.opts.store.dropJob(jobId);
    this.jobs.delete(jobId);
  }

  /** From now on every launch is refused; running tasks go on. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Jobs with a plan here, and how many tasks run for each. */
  jobTasks(): ReadonlyMap<JobId, number> {
    return new Map([...this.jobs].map(([id, j]) => [id, j.running]));
  }

  /** Tasks running (not abandoned). */
  runningTasks(): number {
    let n = 0;
    for (const t of this.running.values()) if (!t.abandoned) n++;
    return n;
  }

  /** Resolves true once no task runs, or false if some still run after timeoutMs. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.runningTasks() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(this.runningTasks() === 0), timeoutMs);
      this.idleWaiters.add(onIdle);
    });
  }

  /**
   * Gives up on the tasks still running (shutdown deadline): reports each as E_EXECUTOR_LOST
   * so its driver retries it elsewhere at once. Returns how many there were.
   */
  abandonRunning(why: string): number {
    const tasks = [...this.running.values()].filter((t) => !t.abandoned);
    for (const t of tasks) {
      t.abandoned = true;
      t.report({
        taskId: t.ref.taskId,
        partition: t.ref.partition,
        ok: false,
        error: toWireError(
          new KindlingError('E_EXECUTOR_LOST', `executor ${this.opts.id} ${why} before the task finished`, { executorId: this.opts.id }),
        ),
      });
    }
    this.notifyIdle();
    return tasks.length;
  }

  private notifyIdle(): void {
    if (this.runningTasks() !== 0) return;
    for (const w of [...this.idleWaiters]) w();
  }
}

function refuse(
  code: 'E_EXECUTOR_LOST' | 'E_PLAN_MISSING' | 'E_BAD_MESSAGE',
  message: string,
  details: Record<string, unknown>,
): LaunchAnswer {
  return { accepted: false, error: toWireError(new KindlingError(code, message, details)) };
}

function taskKey(jobId: JobId, taskId: TaskId): string {
  return `${jobId}/${taskId}`;
}
