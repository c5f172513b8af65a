/**
 * ClusterBackend: the driver's side of the wire (Spark's CoarseGrainedSchedulerBackend). It
 * is the only coordinator module that holds a Transport. It keeps the executor registry from
 * heartbeats (new, draining, lost), launches task attempts and matches their TaskFinished
 * results, serves input byte ranges to executors that lack the file, and announces the
 * driver so executors can free the blocks of drivers that died.
 *
 * The task scheduler sees none of this: it gets RemoteExecutorClients and membership changes.
 * THREADING: one event loop; NATS callbacks only update maps and settle promises.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  asExecutorId,
  fromWireError,
  KindlingError,
  PROTOCOL_VERSION,
  subjects,
  validateTaskResult,
  type ExecutorClient,
  type ExecutorHeartbeat,
  type ExecutorId,
  type ExecutorStatus,
  type JobId,
  type Message,
  type Subjects,
  type Subscription,
  type TaskFinished,
  type TaskId,
  type TaskOp,
  type TaskResultByOp,
  type TaskSpec,
  type Transport,
} from '@kindling/shared';
import type { Logger } from '../logger.js';
import type { ExecutorMembership, MembershipChange } from './executor-membership.js';

/** Tunables of the driver's cluster backend. */
export interface ClusterBackendOptions {
  /** Subject prefix shared with the executors; default 'kindling'. */
  readonly prefix?: string;
  /** This driver's id (subject token); default `driver-<random>`. */
  readonly driverId?: string;
  /** Driver heartbeat period and executor sweep period; default 1000 ms. */
  readonly heartbeatMs?: number;
  /** An executor silent this long is lost; default 5000 ms. */
  readonly executorTimeoutMs?: number;
  /** A task attempt with no result after this long fails with E_TASK_TIMEOUT; default 30 min. */
  readonly taskTimeoutMs?: number;
  /** How long LaunchTask waits for the executor's acceptance; default 5000 ms. */
  readonly launchTimeoutMs?: number;
}

interface PendingTask {
  readonly executorId: ExecutorId;
  readonly op: TaskOp;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Registered {
  readonly client: RemoteExecutorClient;
  heartbeat: ExecutorHeartbeat;
  lastSeen: number;
}

/** The driver's connection to the executor pool. */
export class ClusterBackend implements ExecutorMembership {
  readonly driverId: string;
  private readonly subjects: Subjects;
  private readonly registry = new Map<ExecutorId, Registered>();
  private readonly pending = new Map<string, PendingTask>();
  private readonly listeners = new Set<(c: MembershipChange) => void>();
  private readonly jobInputs = new Map<string, string>();
  private readonly subscriptions: Subscription[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly opts: Required<Omit<ClusterBackendOptions, 'driverId' | 'prefix'>>;
  private closed = false;
  private readonly offStatus: () => void;

  private constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
    options: ClusterBackendOptions,
  ) {
    this.driverId = options.driverId ?? `driver-${randomBytes(6).toString('hex')}`;
    this.subjects = subjects(options.prefix ?? 'kindling');
    this.opts = {
      heartbeatMs: options.heartbeatMs ?? 1000,
      executorTimeoutMs: options.executorTimeoutMs ?? 5000,
      taskTimeoutMs: options.taskTimeoutMs ?? 30 * 60_000,
      launchTimeoutMs: options.launchTimeoutMs ?? 5000,
    };
    this.subscriptions.push(
      transport.subscribe(this.subjects.executorHeartbeats, (m) => this.onHeartbeat(m)),
      transport.subscribe(this.subjects.taskResults(this.driverId), (m) => this.onTaskFinished(m)),
      transport.subscribe(this.subjects.fetchRange(this.driverId), (m, reply) => this.onFetchRange(m, reply)),
    );
    this.timer = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
    this.offStatus = transport.onStatus((status) => {
      if (status !== 'reconnected') return;
      // Results published while we were away may be lost (the server may have restarted and
      // our subscriptions with it): fail the attempts in flight so they run again. Tasks are
      // idempotent and a late duplicate result is ignored by task id.
      this.log.warn({ inFlight: this.pending.size }, 'reconnected to NATS; retrying the task attempts in flight');
      for (const id of [...this.pending.keys()]) this.settle(id, new KindlingError('E_EXECUTOR_LOST', `task ${id}: connection to NATS was lost while it ran`));
      this.announce();
    });
  }

  /** Connects the backend and learns the executors that are already up. */
  static async start(transport: Transport, log: Logger, options: ClusterBackendOptions = {}): Promise<ClusterBackend> {
    const backend = new ClusterBackend(transport, log, options);
    await transport.flush();
    await backend.discover();
    backend.announce();
    return backend;
  }

  // ── membership ──────────────────────────────────────────────────────────────────

  executors(): readonly ExecutorClient[] {
    return [...this.registry.values()].filter((r) => !r.heartbeat.draining).map((r) => r.client);
  }

  onChange(listener: (change: MembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Latest heartbeat of every known executor (draining ones included). */
  heartbeats(): ExecutorHeartbeat[] {
    return [...this.registry.values()].map((r) => r.heartbeat);
  }

  /** Asks every executor for a heartbeat now and registers the answers. */
  async discover(timeoutMs = 300): Promise<ExecutorHeartbeat[]> {
    const replies = await this.transport.requestMany(this.subjects.discover, { type: 'discover-executors', version: PROTOCOL_VERSION }, { timeoutMs });
    const out: ExecutorHeartbeat[] = [];
    for (const m of replies) {
      if (m.type !== 'executor-heartbeat') continue;
      this.onHeartbeat(m);
      out.push(m);
    }
    return out;
  }

  /** Resolves once at least `count` executors are registered, or rejects after `timeoutMs`. */
  async waitForExecutors(count: number, timeoutMs: number): Promise<void> {
    if (this.executors().length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new KindlingError('E_NO_EXECUTORS', `only ${this.executors().length} of ${count} executor(s) registered within ${timeoutMs} ms on ${this.subjects.executorHeartbeats}`));
      }, timeoutMs);
      const off = this.onChange(() => {
        if (this.executors().length >= count) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
  }

  // ── jobs and tasks ──────────────────────────────────────────────────────────────

  /** Allows executors to fetch byte ranges of this job's input file from the driver. */
  registerJobInput(jobId: string, file: string): void {
    this.jobInputs.set(jobId, file);
  }

  unregisterJob(jobId: string): void {
    this.jobInputs.delete(jobId);
  }

  /** Sends one task attempt to an executor; resolves with its (validated) partial result. */
  launch<O extends TaskOp>(executorId: ExecutorId, jobId: JobId, taskId: TaskId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]> {
    if (!this.jobInputs.has(jobId)) this.registerJobInput(jobId, spec.lineage.source.file);
    return new Promise<TaskResultByOp[O]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(taskId, new KindlingError('E_TASK_TIMEOUT', `task ${taskId} on ${executorId}: no result within ${this.opts.taskTimeoutMs} ms`));
      }, this.opts.taskTimeoutMs);
      this.pending.set(taskId, { executorId, op: spec.op, resolve: resolve as (v: unknown) => void, reject, timer });
      this.transport
        .request(
          this.subjects.launchTask(executorId),
          { type: 'launch-task', version: PROTOCOL_VERSION, driverId: this.driverId, jobId, taskId, spec },
          { expect: 'task-accepted', timeoutMs: this.opts.launchTimeoutMs },
        )
        .then(
          (ack) => {
            if (!ack.accepted) {
              this.settle(taskId, new KindlingError('E_EXECUTOR_LOST', `executor ${executorId} refused task ${taskId}: ${ack.reason ?? 'no reason given'}`, { executorId }));
            }
          },
          (err: Error) => {
            this.settle(taskId, new KindlingError('E_EXECUTOR_LOST', `executor ${executorId} did not take task ${taskId}: ${err.message}`, { executorId }, { cause: err }));
            // Nobody listens on its launch subject: the process is gone, whatever its last heartbeat said.
            if (/no responders/i.test(err.message)) this.markLost(executorId, 'no process answers on its launch subject');
          },
        );
    });
  }

  /** Asks an executor to free a job's blocks. */
  async dropJob(executorId: ExecutorId, jobId: JobId): Promise<void> {
    await this.transport.request(this.subjects.dropJob(executorId), { type: 'drop-job', version: PROTOCOL_VERSION, jobId }, { expect: 'ack', timeoutMs: 2000 });
  }

  status(executorId: ExecutorId): ExecutorStatus {
    const r = this.registry.get(executorId);
    const hb = r?.heartbeat;
    return {
      id: executorId,
      slots: hb?.slots ?? 0,
      runningTasks: hb?.runningTasks ?? 0,
      cachedBlocks: hb?.cachedBlocks ?? 0,
      cachedBytes: hb?.cachedBytes ?? 0,
      rssBytes: hb?.rssBytes ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.offStatus();
    for (const s of this.subscriptions) s.unsubscribe();
    for (const id of [...this.pending.keys()]) this.settle(id, new KindlingError('E_EXECUTOR_LOST', 'the driver is shutting down'));
  }

  // ── wire handlers ───────────────────────────────────────────────────────────────

  private onHeartbeat(m: Message): void {
    if (m.type !== 'executor-heartbeat') return;
    if (m.version !== PROTOCOL_VERSION) {
      this.log.error({ executor: m.executorId, version: m.version }, `executor speaks protocol ${m.version}, this driver ${PROTOCOL_VERSION}: ignored`);
      return;
    }
    const id = asExecutorId(m.executorId);
    const known = this.registry.get(id);
    if (!known) {
      if (m.draining) return;
      const client = new RemoteExecutorClient(id, m.slots, this);
      this.registry.set(id, { client, heartbeat: m, lastSeen: Date.now() });
      this.log.info({ executor: id, slots: m.slots }, 'executor registered');
      this.emit({ type: 'added', executor: client });
      return;
    }
    if (m.startedAt !== known.heartbeat.startedAt) {
      // Same id, new process (a StatefulSet restarts a pod under its old name): the old one
      // died with whatever it ran and cached, maybe before its heartbeat deadline passed.
      this.markLost(id, `executor ${id} restarted (new process started at ${new Date(m.startedAt).toISOString()})`);
      this.onHeartbeat(m);
      return;
    }
    const wasDraining = known.heartbeat.draining;
    known.heartbeat = m;
    known.lastSeen = Date.now();
    if (m.draining && !wasDraining) {
      this.log.info({ executor: id }, 'executor is draining (scale down or pod deletion)');
      this.emit({ type: 'removed', executorId: id, reason: 'draining', lost: false });
    }
  }

  private onTaskFinished(m: Message): void {
    if (m.type !== 'task-finished') return;
    const p = this.pending.get(m.taskId);
    if (!p) {
      // A late or duplicate attempt: its task was retried or already finished.
      this.log.debug({ task: m.taskId, executor: m.executorId }, 'result for an unknown task attempt ignored');
      return;
    }
    if (p.executorId !== m.executorId) {
      this.log.warn({ task: m.taskId, expected: p.executorId, got: m.executorId }, 'result from the wrong executor ignored');
      return;
    }
    if (!m.ok) {
      this.settle(m.taskId, fromWireError(m.error));
      return;
    }
    try {
      this.settle(m.taskId, undefined, validateTaskResult(p.op, m.result));
    } catch (err) {
      this.settle(m.taskId, err as Error);
    }
  }

  private async onFetchRange(m: Message, reply: ((answer: Message) => Promise<void>) | undefined): Promise<void> {
    if (m.type !== 'fetch-range' || !reply) return;
    const allowed = this.jobInputs.get(m.jobId);
    if (allowed !== m.file) {
      // Never serve a file that is not the input of one of this driver's jobs.
      await reply({ type: 'ack', version: PROTOCOL_VERSION, ok: false, error: { code: 'E_IO', name: 'KindlingError', message: `job ${m.jobId} has no input ${m.file} on driver ${this.driverId}` } });
      return;
    }
    const fh = await open(m.file, 'r');
    try {
      const len = Math.max(0, m.end - m.start);
      const bytes = new Uint8Array(len);
      let at = 0;
      while (at < len) {
        const { bytesRead } = await fh.read(bytes, at, len - at, m.start + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      await reply({ type: 'range-data', version: PROTOCOL_VERSION, bytes: at === len ? bytes : bytes.subarray(0, at) });
    } finally {
      await fh.close();
    }
  }

  private tick(): void {
    if (this.closed) return;
    this.announce();
    const now = Date.now();
    for (const [id, r] of this.registry) {
      if (now - r.lastSeen > this.opts.executorTimeoutMs) this.markLost(id, `no heartbeat for ${now - r.lastSeen} ms`);
    }
  }

  /**
   * Forgets an executor: its attempts in flight fail (and are retried elsewhere), its
   * partitions move. Also called from outside when Kubernetes reports its pod deleted,
   * which is faster than waiting for the heartbeat deadline.
   */
  markLost(id: ExecutorId, reason: string): void {
    const r = this.registry.get(id);
    if (!r) return;
    this.registry.delete(id);
    this.log.warn({ executor: id }, `executor lost: ${reason}`);
    for (const [taskId, p] of this.pending) {
      if (p.executorId === id) this.settle(taskId, new KindlingError('E_EXECUTOR_LOST', `executor ${id} lost (${reason}) while running task ${taskId}`, { executorId: id }));
    }
    if (!r.heartbeat.draining) this.emit({ type: 'removed', executorId: id, reason, lost: true });
  }

  private announce(): void {
    this.transport
      .publish(this.subjects.driverHeartbeats, {
        type: 'driver-heartbeat',
        version: PROTOCOL_VERSION,
        driverId: this.driverId,
        jobs: [...this.jobInputs.keys()],
        sentAt: Date.now(),
      })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'driver heartbeat not sent'));
  }

  private settle(taskId: string, err: Error | undefined, value?: unknown): void {
    const p = this.pending.get(taskId);
    if (!p) return;
    this.pending.delete(taskId);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private emit(change: MembershipChange): void {
    for (const l of this.listeners) l(change);
  }
}

/** An executor of the pool as the scheduler sees it; every call goes through the backend. */
export class RemoteExecutorClient implements ExecutorClient {
  constructor(
    readonly id: ExecutorId,
    readonly slots: number,
    private readonly backend: ClusterBackend,
  ) {}

  runTask<O extends TaskOp>(jobId: JobId, taskId: TaskId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]> {
    return this.backend.launch(this.id, jobId, taskId, spec);
  }

  dropJob(jobId: JobId): Promise<void> {
    return this.backend.dropJob(this.id, jobId);
  }

  async status(): Promise<ExecutorStatus> {
    return this.backend.status(this.id);
  }
}
