/**
 * ExecutorBackend: the executor's side of the wire protocol, and the only module of the
 * executor process that holds the Transport (source-reader.ts only sends FetchRange requests
 * through it). It takes LaunchTask commands (accepts or refuses
 * them, runs them on the TaskRunner, publishes TaskFinished to the launching driver), frees
 * blocks on DropJob and when a driver falls silent, and answers DiscoverExecutors.
 *
 * Created and wired by main.ts. Tasks run concurrently (the pool queues beyond its slots);
 * handlers never wait for a task, so a long task never delays the next command.
 */
import {
  KindlingError,
  PROTOCOL_VERSION,
  asJobId,
  subjects,
  toWireError,
  type ExecutorHeartbeat,
  type JobId,
  type LaunchTask,
  type Message,
  type Subjects,
  type Subscription,
  type TaskFinished,
  type TaskSpec,
  type Transport,
  type WireError,
} from '@kindling/shared';
import type { BlockStore } from './storage/block-store.js';
import type { ExecutorMetrics } from './executor-metrics.js';
import type { SourceReader } from './source-reader.js';
import type { ExecutorLogger } from './executor-logger.js';

export type { ExecutorLogger } from './executor-logger.js';

/** What runs a task: the TaskRunner (which fetches missing input bytes through a SourceReader). */
export interface TaskExecutor {
  run(jobId: JobId, spec: TaskSpec): Promise<unknown>;
}

/** Options of an ExecutorBackend. */
export interface ExecutorBackendOptions {
  readonly executorId: string;
  readonly prefix: string;
  readonly transport: Transport;
  readonly runner: TaskExecutor;
  /** Blocks are freed here on DropJob and driver silence. */
  readonly store: Pick<BlockStore, 'dropJob'>;
  readonly log: ExecutorLogger;
  /** Free a job's blocks when its driver has been silent this long. */
  readonly driverTimeoutMs: number;
  /** A heartbeat of the current state (the reply to DiscoverExecutors). */
  readonly heartbeat: () => ExecutorHeartbeat;
  readonly metrics?: ExecutorMetrics;
  /** The runner's SourceReader: a dropped job's where-is-the-input decision is forgotten. */
  readonly sources?: Pick<SourceReader, 'forgetJob'>;
  /** How often silent drivers are looked for; default min(1 s, driverTimeoutMs / 5). */
  readonly sweepIntervalMs?: number;
}

interface RunningTask {
  readonly msg: LaunchTask;
  abandoned: boolean;
}

interface JobState {
  readonly driverId: string;
  running: number;
  /** DropJob arrived while tasks ran: drop again once they end (they may have cached blocks). */
  dropPending: boolean;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Serves LaunchTask, DropJob, DiscoverExecutors and DriverHeartbeat for one executor. */
export class ExecutorBackend {
  private readonly subjects: Subjects;
  private readonly subs: Subscription[] = [];
  private readonly running = new Map<string, RunningTask>();
  private readonly jobs = new Map<string, JobState>();
  private readonly driverSeen = new Map<string, number>();
  private readonly idleWaiters = new Set<() => void>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(private readonly opts: ExecutorBackendOptions) {
    this.subjects = subjects(opts.prefix);
  }

  /** Subscribes to the executor's subjects and starts the driver-silence sweep. */
  start(): void {
    if (this.subs.length > 0) return;
    const { transport } = this.opts;
    const id = this.opts.executorId;
    // A throwing handler is logged by the transport, which also answers a waiting requester.
    this.subs.push(
      transport.subscribe(this.subjects.launchTask(id), (m, r) => this.onLaunch(m, r)),
      transport.subscribe(this.subjects.dropJob(id), (m, r) => this.onDropJob(m, r)),
      transport.subscribe(this.subjects.discover, (m, r) => this.onDiscover(m, r)),
      transport.subscribe(this.subjects.driverHeartbeats, (m) => this.onDriverHeartbeat(m)),
    );
    const every = this.opts.sweepIntervalMs ?? Math.max(50, Math.min(1000, Math.floor(this.opts.driverTimeoutMs / 5)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Running tasks, known jobs and the draining flag, for heartbeats and metrics. */
  state(): { readonly runningTasks: number; readonly jobs: readonly string[]; readonly draining: boolean } {
    return { runningTasks: this.activeCount(), jobs: [...this.jobs.keys()], draining: this.draining };
  }

  /** From now on every LaunchTask is refused; running tasks go on. */
  drain(): void {
    this.draining = true;
  }

  /** The driver that owns a job on this executor (it serves the job's input bytes). */
  driverOf(jobId: string): string | undefined {
    return this.jobs.get(jobId)?.driverId;
  }

  /** True once drain() was called. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Resolves true once no task runs, or false if some still run after timeoutMs. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.activeCount() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(this.activeCount() === 0), timeoutMs);
      this.idleWaiters.add(onIdle);
    });
  }

  /**
   * Gives up on the tasks still running (shutdown deadline): reports each to its driver as
   * E_EXECUTOR_LOST so it is retried elsewhere at once. Returns how many there were.
   */
  async abandonRunning(why: string): Promise<number> {
    const tasks = [...this.running.values()].filter((t) => !t.abandoned);
    for (const t of tasks) t.abandoned = true;
    await Promise.all(
      tasks.map((t) =>
        this.publishFinished(t.msg, {
          ok: false,
          error: { code: 'E_EXECUTOR_LOST', name: 'KindlingError', message: `executor ${this.opts.executorId} ${why} before the task finished`, details: { executorId: this.opts.executorId } },
        }),
      ),
    );
    this.notifyIdle();
    return tasks.length;
  }

  /** Frees the blocks of every known job; returns the bytes freed. */
  dropAllJobs(): number {
    let freed = 0;
    for (const jobId of [...this.jobs.keys()]) freed += this.dropJob(jobId);
    return freed;
  }

  /** Publishes this executor's heartbeat on the heartbeat subject. */
  publishHeartbeat(hb: ExecutorHeartbeat): Promise<void> {
    return this.opts.transport.publish(this.subjects.executorHeartbeats, hb);
  }

  /** Unsubscribes and stops the sweep; the transport stays open (main.ts closes it). */
  stop(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ── handlers ───────────────────────────────────────────────────────────────────────

  private async onLaunch(msg: Message, reply: ((m: Message) => Promise<void>) | undefined): Promise<void> {
    if (msg.type !== 'launch-task') return this.wrongType('launch', msg, reply);
    const refusal = this.refusal(msg);
    const answer = (accepted: boolean, reason?: string): Promise<void> | undefined =>
      reply?.({ type: 'task-accepted', version: PROTOCOL_VERSION, taskId: msg.taskId, accepted, ...(reason !== undefined && { reason }) });
    if (refusal !== undefined) {
      this.opts.log.info({ jobId: msg.jobId, taskId: msg.taskId, driverId: msg.driverId, reason: refusal }, 'task refused');
      await answer(false, refusal);
      return;
    }
    this.driverSeen.set(msg.driverId, Date.now());
    const key = taskKey(msg);
    // A driver retrying a launch whose acceptance it missed: the attempt already runs.
    if (this.running.has(key)) {
      await answer(true);
      return;
    }
    const task: RunningTask = { msg, abandoned: false };
    this.running.set(key, task);
    const previous = this.jobs.get(msg.jobId);
    if (previous && previous.driverId !== msg.driverId) {
      // Another driver reuses the job id (a restarted driver): the old blocks may not match its data.
      const freed = this.dropJob(msg.jobId);
      this.opts.log.warn({ jobId: msg.jobId, from: previous.driverId, to: msg.driverId, freedBytes: freed }, 'job taken over by another driver: freed its old blocks');
    }
    const job = this.jobs.get(msg.jobId) ?? { driverId: msg.driverId, running: 0, dropPending: false };
    job.running++;
    this.jobs.set(msg.jobId, job);
    this.opts.metrics?.taskStarted(msg.spec.op);
    this.opts.log.debug({ jobId: msg.jobId, taskId: msg.taskId, op: msg.spec.op, partition: msg.spec.lineage.source.index }, 'task started');
    try {
      await answer(true);
    } catch (err) {
      // The driver may have given up waiting; the result is still published and is idempotent.
      this.opts.log.warn({ taskId: msg.taskId, err: errText(err) }, 'task acceptance not delivered');
    }
    void this.execute(task, key, job);
  }

  private refusal(msg: LaunchTask): string | undefined {
    if (msg.version !== PROTOCOL_VERSION) {
      return `protocol version ${msg.version} differs from executor ${this.opts.executorId}'s version ${PROTOCOL_VERSION}`;
    }
    if (this.draining) return `executor ${this.opts.executorId} is draining (shutting down)`;
    if (!TOKEN.test(msg.driverId)) return `driverId ${JSON.stringify(msg.driverId)} is not a subject token`;
    const job = this.jobs.get(msg.jobId);
    if (job && job.driverId !== msg.driverId && job.running > 0) {
      return `job ${msg.jobId} has tasks of driver ${job.driverId} running here, not of ${msg.driverId}`;
    }
    return undefined;
  }

  private async execute(task: RunningTask, key: string, job: JobState): Promise<void> {
    const { msg } = task;
    const started = Date.now();
    let outcome: { ok: true; result: unknown } | { ok: false; error: WireError };
    try {
      const result = await this.opts.runner.run(asJobId(msg.jobId), msg.spec);
      outcome = { ok: true, result };
      this.opts.metrics?.taskSucceeded(msg.spec.op);
      this.opts.log.debug({ jobId: msg.jobId, taskId: msg.taskId, op: msg.spec.op, ms: Date.now() - started }, 'task succeeded');
    } catch (err) {
      const error = toWireError(err);
      outcome = { ok: false, error };
      this.opts.metrics?.taskFailed(msg.spec.op, error.code);
      this.opts.log.warn({ jobId: msg.jobId, taskId: msg.taskId, op: msg.spec.op, code: error.code, err: error.message }, 'task failed');
    }
    try {
      if (!task.abandoned) await this.publishFinished(msg, outcome);
    } finally {
      this.running.delete(key);
      job.running--;
      if (job.running === 0 && job.dropPending) {
        this.opts.store.dropJob(asJobId(msg.jobId));
        this.jobs.delete(msg.jobId);
        this.opts.sources?.forgetJob(msg.jobId);
      }
      this.notifyIdle();
    }
  }

  private async publishFinished(msg: LaunchTask, outcome: { ok: true; result: unknown } | { ok: false; error: WireError }): Promise<void> {
    const base = { type: 'task-finished', version: PROTOCOL_VERSION, executorId: this.opts.executorId, jobId: msg.jobId, taskId: msg.taskId } as const;
    const finished: TaskFinished = outcome.ok ? { ...base, ok: true, result: outcome.result } : { ...base, ok: false, error: outcome.error };
    try {
      await this.opts.transport.publish(this.subjects.taskResults(msg.driverId), finished);
    } catch (err) {
      this.opts.log.error({ jobId: msg.jobId, taskId: msg.taskId, driverId: msg.driverId, err: errText(err) }, 'task result not published');
    }
  }

  private async onDropJob(msg: Message, reply: ((m: Message) => Promise<void>) | undefined): Promise<void> {
    if (msg.type !== 'drop-job') return this.wrongType('drop', msg, reply);
    const freed = this.dropJob(msg.jobId);
    this.opts.log.info({ jobId: msg.jobId, freedBytes: freed }, 'job dropped');
    await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: true });
  }

  private async onDiscover(msg: Message, reply: ((m: Message) => Promise<void>) | undefined): Promise<void> {
    if (msg.type !== 'discover-executors') return this.wrongType('discover', msg, reply);
    const hb = this.opts.heartbeat();
    // Published rather than requested (no reply subject): answer on the heartbeat subject.
    if (reply) await reply(hb);
    else await this.publishHeartbeat(hb);
  }

  private onDriverHeartbeat(msg: Message): void {
    if (msg.type !== 'driver-heartbeat') {
      this.opts.log.warn({ subject: this.subjects.driverHeartbeats, type: msg.type }, 'unexpected message type ignored');
      return;
    }
    this.driverSeen.set(msg.driverId, Date.now());
  }

  private async wrongType(where: string, msg: Message, reply: ((m: Message) => Promise<void>) | undefined): Promise<void> {
    this.opts.log.warn({ subject: where, type: msg.type }, 'unexpected message type ignored');
    const error = toWireError(new KindlingError('E_BAD_MESSAGE', `executor ${this.opts.executorId} does not take ${msg.type} messages on its ${where} subject`));
    await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: false, error });
  }

  // ── blocks and drivers ────────────────────────────────────────────────────────────

  private dropJob(jobId: string): number {
    const freed = this.opts.store.dropJob(asJobId(jobId));
    const job = this.jobs.get(jobId);
    if (job && job.running > 0) {
      job.dropPending = true;
    } else {
      this.jobs.delete(jobId);
      this.opts.sources?.forgetJob(jobId);
    }
    return freed;
  }

  /** Frees the blocks of jobs whose driver has been silent past the timeout. */
  private sweep(): void {
    const now = Date.now();
    for (const [jobId, job] of [...this.jobs]) {
      const silentMs = now - (this.driverSeen.get(job.driverId) ?? 0);
      // A running task means the job is still in use; its end is seen by the next sweep.
      if (silentMs <= this.opts.driverTimeoutMs || job.running > 0) continue;
      const freed = this.dropJob(jobId);
      this.opts.log.warn({ jobId, driverId: job.driverId, silentMs, freedBytes: freed }, 'driver silent: freed its job blocks');
    }
    const owners = new Set([...this.jobs.values()].map((j) => j.driverId));
    for (const [driverId, seen] of this.driverSeen) {
      if (!owners.has(driverId) && now - seen > this.opts.driverTimeoutMs) this.driverSeen.delete(driverId);
    }
  }

  private activeCount(): number {
    let n = 0;
    for (const t of this.running.values()) if (!t.abandoned) n++;
    return n;
  }

  private notifyIdle(): void {
    if (this.activeCount() !== 0) return;
    for (const w of [...this.idleWaiters]) w();
  }
}

function taskKey(msg: LaunchTask): string {
  return `${msg.driverId}/${msg.jobId}/${msg.taskId}`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
