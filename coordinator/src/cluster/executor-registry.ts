/**
 * ExecutorRegistry: which executors this driver may use (Spark's executorDataMap). It owns
 * membership only: executors join from heartbeats and discovery, leave when they drain, and
 * are lost when they restart, fall silent past the deadline, or are reported gone (Kubernetes
 * pod deletion, no responders). Reaching them is delegated to an ExecutorConnector (the task
 * launcher), which makes their clients and fails their tasks when they are lost. The cluster
 * backend creates it; the task scheduler reads it as an ExecutorMembership.
 *
 * THREADING: one event loop. Heartbeats and the sweep timer update the map and call listeners
 * synchronously; nothing awaits between reading membership and changing it.
 */
import {
  KindlingError,
  PROTOCOL_VERSION,
  asExecutorId,
  type ExecutorClient,
  type ExecutorHeartbeat,
  type ExecutorId,
  type ExecutorStatus,
  type Message,
  type Subjects,
  type Subscription,
  type Transport,
} from '@kindling/shared';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ExecutorMembership, MembershipChange } from './executor-membership.js';

/**
 * What the registry needs from the module that talks to executors. The registry depends on
 * this interface, never the other way round, so membership and task traffic are wired
 * without a cycle: the connector reports unreachable executors as an event the registry
 * listens to.
 */
export interface ExecutorConnector {
  /** A client for a newly registered executor; `status` reads its latest heartbeat. */
  clientFor(id: ExecutorId, slots: number, status: () => ExecutorStatus): ExecutorClient;
  /** Called once when the registry loses an executor: its tasks in flight must fail. */
  executorLost(id: ExecutorId, reason: string): void;
  /** Subscribes to "no process answers on this executor's subjects" reports. */
  onUnreachable(listener: (id: ExecutorId, reason: string) => void): () => void;
}

/** Tunables of the registry. */
export interface ExecutorRegistryOptions {
  /** An executor silent this long is lost; default 5000 ms. */
  readonly executorTimeoutMs?: number;
  /** How often silent executors are looked for; default 1000 ms. */
  readonly sweepMs?: number;
  /** Time source; default the system clock. */
  readonly clock?: Clock;
}

interface Member {
  readonly client: ExecutorClient;
  heartbeat: ExecutorHeartbeat;
  /** Driver clock time of the last heartbeat (never the executor's sentAt: clocks differ). */
  lastSeen: number;
}

/** Membership of the executor pool, as heartbeats tell it. */
export class ExecutorRegistry implements ExecutorMembership {
  private readonly members = new Map<ExecutorId, Member>();
  private readonly listeners = new Set<(change: MembershipChange) => void>();
  private readonly clock: Clock;
  private readonly executorTimeoutMs: number;
  private readonly subscription: Subscription;
  private readonly sweepTimer: TimerHandle;
  private readonly offUnreachable: () => void;
  private closed = false;

  /** Subscribes to executor heartbeats at once; call close() to stop. */
  constructor(
    private readonly transport: Transport,
    private readonly subjects: Subjects,
    private readonly connector: ExecutorConnector,
    private readonly log: Logger,
    options: ExecutorRegistryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.executorTimeoutMs = options.executorTimeoutMs ?? 5000;
    this.subscription = transport.subscribe(subjects.executorHeartbeats, (m) => this.onHeartbeat(m));
    this.sweepTimer = this.clock.setInterval(() => this.sweep(), options.sweepMs ?? 1000);
    this.offUnreachable = connector.onUnreachable((id, reason) => this.markLost(id, reason));
  }

  /** Executors that take tasks now (registered and not draining). */
  executors(): readonly ExecutorClient[] {
    return [...this.members.values()].filter((m) => !m.heartbeat.draining).map((m) => m.client);
  }

  /** Listens to executors being added, draining (lost: false) and lost (lost: true). */
  onChange(listener: (change: MembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How long ago (driver clock, ms) each registered executor was last heard from. */
  silence(): Array<{ id: ExecutorId; silentMs: number }> {
    const now = this.clock.now();
    return [...this.members].map(([id, m]) => ({ id, silentMs: now - m.lastSeen }));
  }

  /** Latest heartbeat of every known executor, draining ones included. */
  heartbeats(): ExecutorHeartbeat[] {
    return [...this.members.values()].map((m) => m.heartbeat);
  }

  /** Asks every executor for a heartbeat now, registers the answers and returns them. */
  async discover(timeoutMs = 300): Promise<ExecutorHeartbeat[]> {
    const replies = await this.transport.requestMany(
      this.subjects.discover,
      { type: 'discover-executors', version: PROTOCOL_VERSION },
      { timeoutMs },
    );
    const out: ExecutorHeartbeat[] = [];
    for (const m of replies) {
      if (m.type !== 'executor-heartbeat') continue;
      this.onHeartbeat(m);
      out.push(m);
    }
    return out;
  }

  /** Resolves once at least `count` executors take tasks; rejects with E_NO_EXECUTORS after `timeoutMs`. */
  waitForExecutors(count: number, timeoutMs: number): Promise<void> {
    if (this.executors().length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        off();
        reject(
          new KindlingError(
            'E_NO_EXECUTORS',
            `only ${this.executors().length} of ${count} executor(s) registered within ${timeoutMs} ms on ${this.subjects.executorHeartbeats}`,
            {
              wanted: count,
              registered: this.executors().length,
              timeoutMs,
            },
          ),
        );
      }, timeoutMs);
      const off = this.onChange(() => {
        if (this.executors().length < count) return;
        this.clock.clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /**
   * Forgets an executor: listeners hear it is lost (unless it had already drained), then the
   * connector fails its tasks in flight, which the scheduler retries elsewhere. Called by the
   * sweep, on a restart, when Kubernetes reports its pod deleted (faster than the heartbeat
   * deadline) and when a launch finds no responders. Unknown ids are ignored.
   */
  markLost(id: ExecutorId, reason: string): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    this.members.delete(id);
    this.log.warn({ executor: id, reason }, `executor lost: ${reason}`);
    // Listeners first: a scheduler retrying a failed task must already see the executor gone.
    if (!m.heartbeat.draining) this.emit({ type: 'removed', executorId: id, reason, lost: true });
    this.connector.executorLost(id, reason);
  }

  /** Stops listening to heartbeats and sweeping; membership is kept as it was. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.clock.clearInterval(this.sweepTimer);
    this.offUnreachable();
  }

  private onHeartbeat(m: Message): void {
    if (m.type !== 'executor-heartbeat') {
      this.log.warn({ subject: this.subjects.executorHeartbeats, type: m.type }, 'unexpected message type ignored');
      return;
    }
    if (this.closed) return;
    const id = asExecutorId(m.executorId);
    const known = this.members.get(id);
    if (known === undefined) {
      // A draining executor takes no tasks: registering it would only make the scheduler try.
      if (m.draining) return;
      const client = this.connector.clientFor(id, m.slots, () => this.statusOf(id));
      this.members.set(id, { client, heartbeat: m, lastSeen: this.clock.now() });
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
    known.lastSeen = this.clock.now();
    if (m.draining && !wasDraining) {
      // Kept in the map until it goes silent: its running tasks still finish and report.
      this.log.info({ executor: id }, 'executor is draining (scale down or pod deletion)');
      this.emit({ type: 'removed', executorId: id, reason: 'draining', lost: false });
    }
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, m] of [...this.members]) {
      const silent = now - m.lastSeen;
      if (silent > this.executorTimeoutMs) this.markLost(id, `no heartbeat for ${silent} ms`);
    }
  }

  private statusOf(id: ExecutorId): ExecutorStatus {
    const hb = this.members.get(id)?.heartbeat;
    return {
      id,
      slots: hb?.slots ?? 0,
      runningTasks: hb?.runningTasks ?? 0,
      cachedBlocks: hb?.cachedBlocks ?? 0,
      cachedBytes: hb?.cachedBytes ?? 0,
      rssBytes: hb?.rssBytes ?? 0,
    };
  }

  private emit(change: MembershipChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        // One failing listener must not hide the change from the others.
        this.log.error({ change: change.type, err: err instanceof Error ? err.message : String(err) }, 'membership listener failed');
      }
    }
  }
}
