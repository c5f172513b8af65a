/**
 * Heartbeater: builds the executor's ExecutorHeartbeat from live state and publishes it every
 * heartbeat-ms, once at start (so drivers see a new executor at once) and once more when
 * draining begins (so drivers stop placing tasks on it without waiting a full interval).
 * It never touches the transport: main.ts hands it the backend's publish function.
 */
import { PROTOCOL_VERSION, type ExecutorHeartbeat } from '@kindling/shared';
import type { ExecutorLogger } from './executor-logger.js';

/** The live facts a heartbeat reports. */
export interface HeartbeatState {
  readonly runningTasks: number;
  readonly jobs: readonly string[];
  readonly draining: boolean;
  readonly cachedBlocks: number;
  readonly cachedBytes: number;
  /** The block store's budget and counters (storage/block-store.ts); optional on the wire. */
  readonly memoryBudgetBytes?: number;
  readonly evictions?: number;
  readonly rebuilds?: number;
  readonly peakCachedBytes?: number;
}

/** Options of a Heartbeater. */
export interface HeartbeaterOptions {
  readonly executorId: string;
  readonly slots: number;
  readonly intervalMs: number;
  /** Reads the live state at each beat. */
  readonly state: () => HeartbeatState;
  /** Sends one heartbeat (the backend publishes it on the heartbeat subject). */
  readonly publish: (hb: ExecutorHeartbeat) => Promise<void>;
  readonly log: ExecutorLogger;
  /** ms since epoch; default: now. */
  readonly startedAt?: number;
}

/** Publishes ExecutorHeartbeats on a timer and on demand. */
export class Heartbeater {
  readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly opts: HeartbeaterOptions) {
    this.startedAt = opts.startedAt ?? Date.now();
  }

  /** A heartbeat of the state right now (also the reply to DiscoverExecutors). */
  current(): ExecutorHeartbeat {
    const s = this.opts.state();
    return {
      type: 'executor-heartbeat',
      version: PROTOCOL_VERSION,
      executorId: this.opts.executorId,
      slots: this.opts.slots,
      runningTasks: s.runningTasks,
      cachedBlocks: s.cachedBlocks,
      cachedBytes: s.cachedBytes,
      rssBytes: process.memoryUsage.rss(),
      jobs: [...s.jobs],
      draining: s.draining,
      startedAt: this.startedAt,
      sentAt: Date.now(),
      ...(s.memoryBudgetBytes !== undefined && { memoryBudgetBytes: s.memoryBudgetBytes }),
      ...(s.evictions !== undefined && { evictions: s.evictions }),
      ...(s.rebuilds !== undefined && { rebuilds: s.rebuilds }),
      ...(s.peakCachedBytes !== undefined && { peakCachedBytes: s.peakCachedBytes }),
      cpuMillis: cpuMillis(),
    };
  }

  /** Beats now, then every intervalMs until stop(). */
  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs);
  }

  /** Publishes one heartbeat now; resolves once it is handed to the connection. Never rejects. */
  async beat(): Promise<void> {
    try {
      await this.opts.publish(this.current());
      if (this.failing) this.opts.log.info({}, 'heartbeats are being published again');
      this.failing = false;
    } catch (err) {
      // Logged once per outage: a NATS disconnect would otherwise log every interval.
      if (!this.failing) this.opts.log.warn({ err: errorText(err) }, 'heartbeat not published');
      this.failing = true;
    }
  }

  /** Stops the timer (a beat in flight still completes). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The process's CPU time so far (all threads, user + system), ms. */
function cpuMillis(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
