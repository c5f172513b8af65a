/**
 * ExecutorBackend: the executor process's side of the wire protocol (Spark's
 * CoarseGrainedExecutorBackend), and the only module of the process that subscribes on the
 * Transport (source-reader.ts only sends FetchRange requests through it). It keeps each
 * job's plan as its driver registers it, hands launched batches to the Executor core,
 * reports task outcomes to the launching driver (in the answer to a launch that ended within
 * a short hold, else outcomes that end together go out as one TasksFinished), frees a job on DropJob and when its driver falls silent, and answers
 * DiscoverExecutors.
 *
 * Version mismatches never reach it: the codec refuses another protocol version.
 * THREADING: one event loop; handlers never block on a task (a launch's answer waits at most
 * the hold, asynchronously), so a long task never delays the next command.
 */
import {
  asJobId,
  KindlingError,
  PROTOCOL_VERSION,
  subjects,
  toWireError,
  type ExecutorHeartbeat,
  type JobId,
  type Message,
  type Subjects,
  type Subscription,
  type TaskOutcome,
  type TaskUpdate,
  type Transport,
  type WireError,
} from '@kindling/shared';
import type { Executor } from './executor.js';
import type { ExecutorLogger } from './executor-logger.js';
import type { SourceReader } from './source-reader.js';
import { arrayBytes } from './storage/array-bytes.js';

export type { ExecutorLogger } from './executor-logger.js';

/** Options of an ExecutorBackend. */
export interface ExecutorBackendOptions {
  readonly executorId: string;
  readonly prefix: string;
  readonly transport: Transport;
  readonly executor: Executor;
  readonly log: ExecutorLogger;
  /** Free a job's blocks when its driver has been silent this long. */
  readonly driverTimeoutMs: number;
  /** The runner's SourceReader: a dropped job's where-is-the-input decision is forgotten. */
  readonly sources?: Pick<SourceReader, 'forgetJob'>;
  /** How often silent drivers are looked for; default min(1 s, driverTimeoutMs / 5). */
  readonly sweepIntervalMs?: number;
  /**
   * Which driver owns each job here (it serves the job's input bytes and gets its outcomes).
   * Passed in because the SourceReader reads it too; the backend is its only writer.
   */
  readonly owners?: Map<JobId, string>;
  /** Longest a task outcome waits for the rest of its launch before it is published; default 20 ms. */
  readonly outcomeHoldMs?: number;
  /** Longest a launch's answer waits for its tasks to end so it can carry their outcomes; default 20 ms. */
  readonly acceptHoldMs?: number;
  /** Outcomes share one message up to about this many bytes; default 512 KiB. */
  readonly outcomeMessageBytes?: number;
  /**
   * Told the approximate bytes of each outcomes message once published: its arrays are garbage
   * then (main.ts hands them to the MemoryReclaimer).
   */
  readonly notePublished?: (bytes: number) => void;
}

type Reply = ((m: Message) => Promise<void>) | undefined;

/** Outcomes of one (driver, job) waiting to be published, and about how many bytes they take. */
interface OutBox {
  readonly driverId: string;
  readonly jobId: JobId;
  readonly outcomes: TaskOutcome[];
  bytes: number;
}

/** Default longest an outcome waits for the rest of its launch before it is published anyway. */
const OUTBOX_HOLD_MS = 20;
/** Default longest a launch's answer waits for the launch to end. */
const ACCEPT_HOLD_MS = 20;
/**
 * Default size of one outcomes message. A pool thread returns a whole group's outcomes at once
 * (on the 10M-row job, the training split's ~100 evaluate partials per executor, 35 MB): in
 * one message they were packed, chunked and reassembled whole, and msgpackr kept its grown
 * buffer for the life of the process. Below NATS's default max_payload (1 MiB) no message is
 * chunked, and the driver merges partials as they come.
 */
const OUTCOME_MESSAGE_BYTES = 512 * 1024;

/** Full outcomes messages published between two waits for the server. */
const PACE_BYTES = 4 * 1024 * 1024;

/** About what an outcome adds to a message: its arrays' bytes and a little for the rest. */
function outcomeBytes(o: TaskOutcome): number {
  return 64 + (o.ok ? arrayBytes(o.result) : 0);
}

/**
 * The outcomes of one launch while its answer waits: kept for the answer until every task
 * ended or the hold ran out, then (and for a launch answered at once) handed to the outbox.
 */
class HeldLaunch {
  private held: TaskOutcome[] | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private open: number,
    hold: boolean,
    private readonly toOutbox: (o: TaskOutcome, launchDone: boolean) => void,
  ) {
    this.held = hold ? [] : undefined;
  }

  report(o: TaskOutcome): void {
    this.open--;
    if (this.held === undefined) {
      this.toOutbox(o, this.open === 0);
      return;
    }
    this.held.push(o);
    if (this.open === 0) this.wake?.();
  }

  /** Waits until every task ended (resolves with all outcomes) or `holdMs` passed (with none; 0: no wait). */
  async settled(holdMs: number): Promise<TaskOutcome[]> {
    if (this.held !== undefined && this.open > 0 && holdMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, holdMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.open === 0 && this.held !== undefined) {
      const all = this.held;
      this.held = undefined;
      return all;
    }
    this.release();
    return [];
  }

  /** Stops holding: outcomes so far go to the outbox now, later ones as they come. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    held.forEach((o, i) => this.toOutbox(o, this.open === 0 && i === held.length - 1));
    this.wake?.();
  }
}

function outcomeOf(u: TaskUpdate): TaskOutcome {
  return u.ok
    ? {
        taskId: u.taskId,
        partition: u.partition,
        ok: true,
        result: u.value,
        ...(u.kernelMs !== undefined ? { kernelMs: u.kernelMs } : {}),
        ...(u.blocks !== undefined ? { blocks: [...u.blocks] } : {}),
      }
    : { taskId: u.taskId, partition: u.partition, ok: false, error: u.error };
}

/** Serves RegisterPlan, LaunchTasks, DropJob, DiscoverExecutors and DriverHeartbeat for one executor. */
export class ExecutorBackend {
  private readonly subjects: Subjects;
  private readonly subs: Subscription[] = [];
  private readonly owners: Map<JobId, string>;
  private readonly driverSeen = new Map<string, number>();
  /** Outcomes waiting to be published, per (driver, job); flushed once per turn of the event loop. */
  private readonly outbox = new Map<string, OutBox>();
  private flushScheduled = false;
  /** Full outcomes messages, published one after the other (see enqueue). */
  private sending: Promise<void> = Promise.resolve();
  private sentSinceFlush = 0;
  /** Launches holding their answer for their outcomes. */
  private readonly held = new Set<HeldLaunch>();
  private holdTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private heartbeat: () => ExecutorHeartbeat = () => {
    throw new KindlingError('E_INTERNAL', 'ExecutorBackend.start was not called');
  };

  constructor(private readonly opts: ExecutorBackendOptions) {
    this.subjects = subjects(opts.prefix);
    this.owners = opts.owners ?? new Map();
  }

  /** Subscribes to the executor's subjects; `heartbeat` answers DiscoverExecutors. */
  start(heartbeat: () => ExecutorHeartbeat): void {
    if (this.subs.length > 0) return;
    this.heartbeat = heartbeat;
    const { transport } = this.opts;
    const id = this.opts.executorId;
    // A throwing handler is logged by the transport, which also answers a waiting requester.
    this.subs.push(
      transport.subscribe(this.subjects.registerPlan(id), (m, r) => this.onRegisterPlan(m, r)),
      transport.subscribe(this.subjects.launchTasks(id), (m, r) => this.onLaunch(m, r)),
      transport.subscribe(this.subjects.dropJob(id), (m, r) => this.onDropJob(m, r)),
      transport.subscribe(this.subjects.discover, (m, r) => this.onDiscover(m, r)),
      transport.subscribe(this.subjects.driverHeartbeats, (m) => this.onDriverHeartbeat(m)),
    );
    const every = this.opts.sweepIntervalMs ?? Math.max(50, Math.min(1000, Math.floor(this.opts.driverTimeoutMs / 5)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** The driver that owns a job on this executor (it serves the job's input bytes). */
  driverOf(jobId: string): string | undefined {
    return this.owners.get(asJobId(jobId));
  }

  /** Jobs held here, for heartbeats. */
  jobs(): string[] {
    return [...this.opts.executor.jobTasks().keys()];
  }

  /** Publishes this executor's heartbeat on the heartbeat subject. */
  publishHeartbeat(hb: ExecutorHeartbeat): Promise<void> {
    return this.opts.transport.publish(this.subjects.executorHeartbeats, hb);
  }

  /**
   * Gives up on running tasks at the shutdown deadline: each is reported to its driver as
   * E_EXECUTOR_LOST (published before this resolves) so it runs elsewhere at once.
   */
  async abandonRunning(why: string): Promise<number> {
    this.releaseHeld();
    const n = this.opts.executor.abandonRunning(why);
    await this.flush();
    return n;
  }

  /** Frees every job; returns the bytes freed. */
  dropAllJobs(): number {
    const freed = this.opts.executor.dropAllJobs();
    for (const jobId of [...this.owners.keys()]) this.forgetOwner(jobId);
    return freed;
  }

  /** Launches waiting to answer stop waiting: their outcomes so far, and later ones, go to the outbox. */
  private releaseHeld(): void {
    for (const l of [...this.held]) l.release();
    this.held.clear();
  }

  /** Unsubscribes and stops the sweep; the transport stays open (main.ts closes it). */
  stop(): void {
    // Outcomes still held go out now, before main.ts flushes and closes the transport.
    this.releaseHeld();
    if (this.outbox.size > 0) void this.flush();
    for (const s of this.subs.splice(0)) s.unsubscribe();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ── handlers ───────────────────────────────────────────────────────────────────────

  private async onRegisterPlan(msg: Message, reply: Reply): Promise<void> {
    if (msg.type !== 'register-plan') return this.wrongType('plan', msg, reply);
    const jobId = asJobId(msg.jobId);
    this.driverSeen.set(msg.driverId, Date.now());
    const owner = this.owners.get(jobId);
    if (owner !== undefined && owner !== msg.driverId) {
      const running = this.opts.executor.jobTasks().get(jobId) ?? 0;
      if (running > 0) {
        const error = new KindlingError(
          'E_INVALID_VALUE',
          `job ${jobId} has tasks of driver ${owner} running here, not of ${msg.driverId}`,
        );
        await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: false, error: toWireError(error) });
        return;
      }
      // Another driver reuses the job id (a restarted driver): the old blocks may not match its data.
      const freed = this.dropJob(jobId);
      this.opts.log.warn(
        { jobId, from: owner, to: msg.driverId, freedBytes: freed },
        'job taken over by another driver: freed its old blocks',
      );
    }
    this.owners.set(jobId, msg.driverId);
    this.opts.executor.registerPlan(jobId, msg.plan);
    this.opts.log.debug(
      { jobId, driverId: msg.driverId, planVersion: msg.plan.version, partitions: msg.plan.partitions.length },
      'job plan registered',
    );
    await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: true });
  }

  private async onLaunch(msg: Message, reply: Reply): Promise<void> {
    if (msg.type !== 'launch-tasks') return this.wrongType('launch', msg, reply);
    const jobId = asJobId(msg.jobId);
    const { driverId } = msg;
    this.driverSeen.set(driverId, Date.now());
    const owner = this.owners.get(jobId);
    const launch = new HeldLaunch(msg.tasks.length, reply !== undefined, (o, done) => this.enqueue(driverId, jobId, o, done));
    const answer =
      owner !== undefined && owner !== driverId
        ? {
            accepted: false as const,
            error: toWireError(new KindlingError('E_PLAN_MISSING', `job ${jobId} is registered here by driver ${owner}, not ${driverId}`)),
          }
        : this.opts.executor.launch(
            {
              jobId,
              planVersion: msg.planVersion,
              op: msg.batch.op,
              params: msg.batch.params,
              tasks: msg.tasks.map((t) => ({ taskId: t.taskId as never, partition: t.partition })),
            },
            (u) => launch.report(outcomeOf(u)),
          );
    if (!answer.accepted) {
      this.opts.log.info({ jobId, driverId, code: answer.error.code, reason: answer.error.message }, 'launch refused');
      launch.release();
      await this.answerLaunch(reply, jobId, { accepted: false, error: answer.error }, []);
      return;
    }
    this.opts.log.debug({ jobId, op: msg.batch.op, tasks: msg.tasks.length }, 'tasks launched');
    // A launch that ends within the hold (an evaluation over cached blocks) answers with its
    // outcomes: one message per executor per L-BFGS iteration instead of two.
    this.held.add(launch);
    const outcomes = await launch.settled(this.opts.acceptHoldMs ?? ACCEPT_HOLD_MS);
    this.held.delete(launch);
    await this.answerLaunch(reply, jobId, { accepted: true }, outcomes);
  }

  private async answerLaunch(
    reply: Reply,
    jobId: JobId,
    answer: { accepted: true } | { accepted: false; error: WireError },
    outcomes: TaskOutcome[],
  ): Promise<void> {
    // Outcomes too large for one message go through the outbox, which splits them.
    const driverId = this.owners.get(jobId);
    if (driverId !== undefined && outcomes.reduce((n, o) => n + outcomeBytes(o), 0) > this.messageBytes()) {
      outcomes.forEach((o, i) => this.enqueue(driverId, jobId, o, i === outcomes.length - 1));
      outcomes = [];
    }
    try {
      await reply?.({ type: 'tasks-accepted', version: PROTOCOL_VERSION, ...answer, ...(outcomes.length > 0 && { outcomes }) });
    } catch (err) {
      // The driver may have given up waiting; outcomes are still published and are idempotent.
      this.opts.log.warn({ jobId, err: errText(err) }, 'launch answer not delivered');
      if (driverId !== undefined) outcomes.forEach((o, i) => this.enqueue(driverId, jobId, o, i === outcomes.length - 1));
    }
  }

  private enqueue(driverId: string, jobId: JobId, outcome: TaskOutcome, launchDone: boolean): void {
    const k = `${driverId}/${jobId}`;
    const bytes = outcomeBytes(outcome);
    let box = this.outbox.get(k);
    if (box !== undefined && box.bytes + bytes > this.messageBytes()) {
      // Full: this message goes now, the outcome starts the next one. A group's outcomes come
      // all at once: sent one by one, waiting for the server every few MiB, they are not all
      // packed and buffered in this process at the same time.
      this.outbox.delete(k);
      const full = box;
      this.sending = this.sending.then(async () => {
        await this.publishBox(full);
        this.sentSinceFlush += full.bytes;
        if (this.sentSinceFlush < PACE_BYTES) return;
        this.sentSinceFlush = 0;
        await this.opts.transport.flush().catch(() => undefined);
      });
      box = undefined;
    }
    if (!box) this.outbox.set(k, (box = { driverId, jobId, outcomes: [], bytes: 0 }));
    box.outcomes.push(outcome);
    box.bytes += bytes;
    if (launchDone) {
      // Other launches ending in the same turn of the event loop join this message.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
      return;
    }
    this.holdTimer ??= setTimeout(() => void this.flush(), this.opts.outcomeHoldMs ?? OUTBOX_HOLD_MS);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const boxes = [...this.outbox.values()];
    this.outbox.clear();
    await Promise.all([this.sending, ...boxes.map((box) => this.publishBox(box))]);
  }

  private async publishBox({ driverId, jobId, outcomes, bytes }: OutBox): Promise<void> {
    try {
      await this.opts.transport.publish(this.subjects.taskResults(driverId), {
        type: 'tasks-finished',
        version: PROTOCOL_VERSION,
        executorId: this.opts.executorId,
        jobId,
        outcomes,
      });
      this.opts.notePublished?.(bytes);
    } catch (err) {
      this.opts.log.error({ jobId, driverId, tasks: outcomes.length, err: errText(err) }, 'task outcomes not published');
    }
  }

  private messageBytes(): number {
    return this.opts.outcomeMessageBytes ?? OUTCOME_MESSAGE_BYTES;
  }

  private async onDropJob(msg: Message, reply: Reply): Promise<void> {
    if (msg.type !== 'drop-job') return this.wrongType('drop', msg, reply);
    const freed = this.dropJob(asJobId(msg.jobId));
    this.opts.log.info({ jobId: msg.jobId, freedBytes: freed }, 'job dropped');
    await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: true });
  }

  private async onDiscover(msg: Message, reply: Reply): Promise<void> {
    if (msg.type !== 'discover-executors') return this.wrongType('discover', msg, reply);
    const hb = this.heartbeat();
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

  private async wrongType(where: string, msg: Message, reply: Reply): Promise<void> {
    this.opts.log.warn({ subject: where, type: msg.type }, 'unexpected message type ignored');
    const error = toWireError(
      new KindlingError('E_BAD_MESSAGE', `executor ${this.opts.executorId} does not take ${msg.type} messages on its ${where} subject`),
    );
    await reply?.({ type: 'ack', version: PROTOCOL_VERSION, ok: false, error });
  }

  // ── jobs and drivers ──────────────────────────────────────────────────────────────

  private dropJob(jobId: JobId): number {
    const freed = this.opts.executor.dropJob(jobId);
    this.forgetOwner(jobId);
    return freed;
  }

  private forgetOwner(jobId: JobId): void {
    this.owners.delete(jobId);
    this.opts.sources?.forgetJob(jobId);
  }

  /** Frees the jobs whose driver has been silent past the timeout. */
  private sweep(): void {
    const now = Date.now();
    const running = this.opts.executor.jobTasks();
    for (const [jobId, driverId] of [...this.owners]) {
      const silentMs = now - (this.driverSeen.get(driverId) ?? 0);
      // A running task means the job is still in use; its end is seen by the next sweep.
      if (silentMs <= this.opts.driverTimeoutMs || (running.get(jobId) ?? 0) > 0) continue;
      const freed = this.dropJob(jobId);
      this.opts.log.warn({ jobId, driverId, silentMs, freedBytes: freed }, 'driver silent: freed its job blocks');
    }
    const owners = new Set(this.owners.values());
    for (const [driverId, seen] of this.driverSeen) {
      if (!owners.has(driverId) && now - seen > this.opts.driverTimeoutMs) this.driverSeen.delete(driverId);
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
