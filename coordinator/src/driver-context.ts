/**
 * DriverContext: the driver's composition root (Spark's SparkContext). It owns the driver's
 * collaborators — the executors it may use (a fixed list in local mode, the live membership
 * of a cluster), the event bus, the logger, the scheduling policy — and runs jobs on them:
 * for each job it makes the job id and the job's TaskScheduler, hands them to runJob, and
 * afterwards frees what the job left on the executors and on the driver.
 *
 * The CLI, the test harness, the benchmarks and the chaos script all build drivers through
 * it, so local mode and cluster mode run one code path.
 * THREADING: one event loop; jobs may run concurrently on one context.
 */
import { randomBytes } from 'node:crypto';
import { asJobId, KindlingError, type ExecutorClient, type JobId, type Transport } from '@kindling/shared';
import type { ClusterBackend, ClusterBackendOptions } from './cluster/cluster-backend.js';
import { StaticMembership, type ExecutorMembership } from './cluster/executor-membership.js';
import { systemClock, type Clock } from './clock.js';
import { EventBus } from './events/event-bus.js';
import type { JobSpec } from './job/job-spec.js';
import { silentLogger, type Logger } from './logger.js';
import { runJob, type JobResult, type RunContext } from './pipeline/job-runner.js';
import { TaskScheduler } from './scheduler/task-scheduler.js';

/** How a driver schedules tasks (Spark's spark.task.maxFailures and friends). */
export interface SchedulingPolicy {
  /** Attempts per task before the job fails; local mode uses 1, like Spark, a cluster 4. */
  readonly maxTaskFailures: number;
  /** How long a stage waits for an executor when none is left before failing; default 0. */
  readonly executorWaitMs?: number;
  /** Task attempts in flight per executor slot (2 over NATS hides a round trip); default 1. */
  readonly tasksPerSlot?: number;
}

/** Options common to every driver. */
export interface DriverContextOptions extends Partial<SchedulingPolicy> {
  readonly events?: EventBus;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** The driver: executors, events and policy, and the jobs run on them. */
export class DriverContext {
  readonly events: EventBus;
  readonly logger: Logger;
  private readonly policy: SchedulingPolicy;
  private readonly clock: Clock;
  private closed = false;
  /** The schedulers of the jobs running now (interrupt() closes them). */
  private readonly running = new Set<TaskScheduler>();

  private constructor(
    readonly membership: ExecutorMembership,
    options: DriverContextOptions,
    defaults: SchedulingPolicy,
    /** The cluster backend, when the executors are reached over NATS. */
    readonly backend: ClusterBackend | undefined,
    private readonly release: () => Promise<void>,
  ) {
    this.events = options.events ?? new EventBus();
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.policy = {
      maxTaskFailures: options.maxTaskFailures ?? defaults.maxTaskFailures,
      executorWaitMs: options.executorWaitMs ?? defaults.executorWaitMs ?? 0,
      tasksPerSlot: options.tasksPerSlot ?? defaults.tasksPerSlot ?? 1,
    };
  }

  /**
   * A driver over a fixed set of executors (local mode: one in-process LocalExecutor).
   * `release` runs on close (e.g. stopping the executors' threads).
   */
  static withExecutors(
    executors: readonly ExecutorClient[],
    options: DriverContextOptions & { readonly release?: () => Promise<void> } = {},
  ): DriverContext {
    // Spark's local mode does not retry tasks (max failures 1).
    return new DriverContext(
      new StaticMembership(executors),
      options,
      { maxTaskFailures: 1 },
      undefined,
      options.release ?? (async () => undefined),
    );
  }

  /**
   * A driver of a cluster: executors found and followed over `transport` (joins, drains,
   * losses). Tasks are retried elsewhere up to 4 times, as spark.task.maxFailures, and two
   * attempts are kept in flight per slot to hide the network round trip. The transport stays
   * the caller's.
   */
  static async onCluster(
    transport: Transport,
    options: DriverContextOptions & { readonly cluster?: ClusterBackendOptions } = {},
  ): Promise<DriverContext> {
    // Loaded here so that local mode never loads the wire layer.
    const { ClusterBackend } = await import('./cluster/cluster-backend.js');
    const backend = await ClusterBackend.start(transport, options.logger ?? silentLogger, {
      ...options.cluster,
      ...(options.clock && { clock: options.clock }),
    });
    return new DriverContext(backend, options, { maxTaskFailures: 4, tasksPerSlot: 2 }, backend, () => backend.close());
  }

  /** Runs a job end to end; rejects with a KindlingError, leaving nothing at the output path. */
  runJob(spec: JobSpec): Promise<JobResult> {
    return this.runStages(spec.name, (ctx) => runJob(spec, ctx));
  }

  /**
   * Runs `work` as one job on the driver's executors (training, or scoring in predict-job.ts):
   * its own job id and TaskScheduler under this driver's scheduling policy, and the blocks and
   * plans it left on the executors freed afterwards.
   */
  async runStages<T>(name: string, work: (ctx: RunContext) => Promise<T>): Promise<T> {
    if (this.closed) throw new KindlingError('E_INTERNAL', 'the driver is closed');
    if (this.membership.executors().length === 0 && !this.policy.executorWaitMs) {
      throw new KindlingError('E_NO_EXECUTORS', 'no executors to run the job on');
    }
    const jobId = newJobId(name);
    const scheduler = new TaskScheduler(this.membership, jobId, this.events, this.logger, this.policy, this.clock);
    this.running.add(scheduler);
    try {
      return await work({ jobId, scheduler, membership: this.membership, events: this.events, logger: this.logger });
    } finally {
      this.running.delete(scheduler);
      scheduler.close();
      // Free what the job left: blocks and plans on the executors, its input on the driver.
      this.backend?.forgetJob(jobId);
      await Promise.all(this.membership.executors().map((x) => x.dropJob(jobId).catch(() => undefined)));
    }
  }

  /**
   * Stops every job running on this driver (Ctrl-C): their stages fail at once, and each job
   * then frees its blocks and plans on the executors as any ending job does, rather than
   * leaving them until the executors find the driver silent.
   */
  interrupt(): void {
    for (const scheduler of [...this.running]) scheduler.close();
  }

  /** Stops following the cluster (or the local executors); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}

function newJobId(name: string): JobId {
  // Job ids become NATS subject tokens on the executors' side: keep them to [A-Za-z0-9_-].
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'job';
  return asJobId(`${safe}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
}
