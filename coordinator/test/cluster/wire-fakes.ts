/**
 * Fakes for the driver's wire roles, on InProcessTransport with real protocol messages:
 * FakeExecutor answers an executor's subjects and records what it received; ScriptedTransport
 * wraps a transport to inject request errors by subject and connection status changes, which
 * an in-memory bus never produces on its own; RecordingLogger keeps log lines for assertions.
 */
import {
  KindlingError,
  PROTOCOL_VERSION,
  asExecutorId,
  subjects,
  type Ack,
  type DropJob,
  type ExecutorHeartbeat,
  type InProcessBus,
  type InProcessTransport,
  type JobPlan,
  type LaunchTasks,
  type Message,
  type MessageType,
  type RegisterPlan,
  type Subscription,
  type TaskOutcome,
  type TasksAccepted,
  type Transport,
  type TransportStatus,
} from '@kindling/shared';
import type { Logger } from '../../src/logger.js';

/** The part of a tap test the setup helpers need. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Resolves after `rounds` turns of the event loop: enough for in-process requests and replies to land. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A valid executor heartbeat with `over` applied. */
export function heartbeat(executorId: string, over: Partial<ExecutorHeartbeat> = {}): ExecutorHeartbeat {
  return {
    type: 'executor-heartbeat',
    version: PROTOCOL_VERSION,
    executorId,
    slots: 2,
    runningTasks: 0,
    cachedBlocks: 0,
    cachedBytes: 0,
    rssBytes: 1024,
    jobs: [],
    draining: false,
    startedAt: 1000,
    sentAt: 2000,
    ...over,
  };
}

/** A small valid job plan over `file`. */
export function plan(version: number, file = '/data/input.csv', partitions = 4): JobPlan {
  return {
    version,
    files: [{ path: file, size: partitions * 100, format: 'csv', compression: 'none' }],
    csv: { header: true, delimiter: ',', quote: '"', escape: '"', nullValue: '', mode: 'FAILFAST', inferSchema: true },
    columnNames: ['a', 'b'],
    partitions: Array.from({ length: partitions }, (_, i) => ({ file: 0, start: i * 100, end: (i + 1) * 100, firstRowId: i * 10 })),
  };
}

/** A valid csv-infer partial. */
export function inferResult(rowCount: number): { rowCount: number; malformedCount: number; lineCount: number; types: ('int' | null)[] } {
  return { rowCount, malformedCount: 0, lineCount: rowCount, types: ['int', null] };
}

/** An executor process as the driver sees it on the wire: it keeps plans by job and refuses launches without one. */
export class FakeExecutor {
  readonly id;
  readonly plans: RegisterPlan[] = [];
  readonly launches: LaunchTasks[] = [];
  readonly drops: DropJob[] = [];
  /** Plan version held per job, as a real executor keeps it. */
  readonly held = new Map<string, number>();
  /** Overrides the answer to a launch (default: accept if the plan version is held, else E_PLAN_MISSING). */
  onLaunch: ((m: LaunchTasks) => TasksAccepted) | undefined;
  /** Overrides the answer to register-plan (default: keep it, ack ok). */
  onPlan: ((m: RegisterPlan) => Ack) | undefined;
  /** When set, every accepted launch is answered with one tasks-finished holding these outcomes. */
  autoFinish: ((m: LaunchTasks) => TaskOutcome[]) | undefined;
  private readonly transport: InProcessTransport;
  private readonly subs: Subscription[] = [];
  private readonly s;

  constructor(
    bus: InProcessBus,
    id: string,
    prefix = 'kindling',
    private hb: ExecutorHeartbeat = heartbeat(id),
  ) {
    this.id = asExecutorId(id);
    this.transport = bus.connect({ prefix, log: silentTransportLog });
    this.s = subjects(prefix);
    this.subs.push(
      this.transport.subscribe(this.s.registerPlan(id), async (m, reply) => {
        if (m.type !== 'register-plan') return;
        this.plans.push(m);
        const answer = this.onPlan?.(m) ?? okAck;
        if (answer.ok) this.held.set(m.jobId, m.plan.version);
        await reply?.(answer);
      }),
      this.transport.subscribe(this.s.launchTasks(id), async (m, reply) => {
        if (m.type !== 'launch-tasks') return;
        this.launches.push(m);
        const answer =
          this.onLaunch?.(m) ??
          (this.held.get(m.jobId) === m.planVersion
            ? accepted
            : refused({ code: 'E_PLAN_MISSING', name: 'KindlingError', message: `no plan v${m.planVersion} of job ${m.jobId}` }));
        await reply?.(answer);
        if (answer.accepted && this.autoFinish !== undefined) await this.finish(m.driverId, m.jobId, this.autoFinish(m));
      }),
      this.transport.subscribe(this.s.dropJob(id), async (m, reply) => {
        if (m.type !== 'drop-job') return;
        this.drops.push(m);
        this.held.delete(m.jobId);
        await reply?.(okAck);
      }),
      this.transport.subscribe(this.s.discover, async (_m, reply) => {
        await reply?.(this.hb);
      }),
    );
  }

  /** Publishes a heartbeat (and remembers it as the answer to discovery). */
  async beat(over: Partial<ExecutorHeartbeat> = {}): Promise<void> {
    this.hb = { ...this.hb, ...over };
    await this.transport.publish(this.s.executorHeartbeats, this.hb);
  }

  /** Publishes a tasks-finished to `driverId`, as this executor (or as `executorId`). */
  async finish(driverId: string, jobId: string, outcomes: TaskOutcome[], executorId: string = this.id): Promise<void> {
    await this.transport.publish(this.s.taskResults(driverId), {
      type: 'tasks-finished',
      version: PROTOCOL_VERSION,
      executorId,
      jobId,
      outcomes,
    });
  }

  /** The process dies: nothing answers on its subjects any more. */
  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.transport.close();
  }
}

/** Delegates to a real transport; requests to scripted subjects fail with a given error, and status changes can be injected. */
export class ScriptedTransport implements Transport {
  /** Subject → the error every request to it rejects with. */
  readonly requestErrors = new Map<string, Error>();
  private readonly statusListeners = new Set<(status: TransportStatus, detail?: string) => void>();

  constructor(private readonly inner: Transport) {}

  get maxPayload(): number {
    return this.inner.maxPayload;
  }

  publish(subject: string, msg: Message): Promise<void> {
    return this.inner.publish(subject, msg);
  }

  async request<T extends MessageType>(
    subject: string,
    msg: Message,
    opts: { readonly expect: T; readonly timeoutMs: number },
  ): Promise<Extract<Message, { type: T }>> {
    const err = this.requestErrors.get(subject);
    if (err !== undefined) throw err;
    return this.inner.request(subject, msg, opts);
  }

  requestMany(subject: string, msg: Message, opts: { readonly timeoutMs: number }): Promise<Message[]> {
    return this.inner.requestMany(subject, msg, opts);
  }

  fetchRange(...args: Parameters<Transport['fetchRange']>): Promise<void> {
    return this.inner.fetchRange(...args);
  }

  subscribe(...args: Parameters<Transport['subscribe']>): Subscription {
    return this.inner.subscribe(...args);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  onStatus(listener: (status: TransportStatus, detail?: string) => void): () => void {
    this.statusListeners.add(listener);
    const off = this.inner.onStatus(listener);
    return () => {
      this.statusListeners.delete(listener);
      off();
    };
  }

  /** Tells every status listener, as a NATS client does after a reconnect. */
  emitStatus(status: TransportStatus): void {
    for (const l of [...this.statusListeners]) l(status);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A no-responders failure as a transport reports it (by code). */
export function noResponders(subject: string): KindlingError {
  return new KindlingError('E_NO_RESPONDERS', `no responders on ${subject}`, { subject });
}

/** Keeps every log line, for tests that check what was logged. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object | string; msg: string | undefined }> = [];
  debug(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object | string, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  /** Messages logged at `level`. */
  at(level: string): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.msg ?? String(l.obj));
  }
}

/** Drops the transport's own warnings (tests assert on the roles' logs instead). */
export const silentTransportLog = { warn(): void {} };

const okAck: Ack = { type: 'ack', version: PROTOCOL_VERSION, ok: true };
const accepted: TasksAccepted = { type: 'tasks-accepted', version: PROTOCOL_VERSION, accepted: true };

/** A tasks-accepted refusal carrying `error`. */
export function refused(error: NonNullable<TasksAccepted['error']>): TasksAccepted {
  return { type: 'tasks-accepted', version: PROTOCOL_VERSION, accepted: false, error };
}
