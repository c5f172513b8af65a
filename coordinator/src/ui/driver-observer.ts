/**
 * DriverObserver: everything a person can watch a driver through, wired around one job — the
 * event log in the history folder (EventLogWriter), the read model (StatusStore) and the live
 * web UI (WebUi), plus a sampler of the executors' heartbeats (cluster mode) into both. The
 * CLI's `submit` starts one before the job and calls finish() after; benchmarks do the same.
 * A default history folder or UI port that cannot be used costs a warning, never the job; an
 * explicit one is an error before the job starts. THREADING: event loop.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExecutorHeartbeat } from '@kindling/shared';
import type { EventBus } from '../events/event-bus.js';
import { EventLogWriter, type EventLogHeader } from '../events/event-log-writer.js';
import type { Logger } from '../logger.js';
import type { JobResult } from '../pipeline/job-runner.js';
import { StatusStore } from './status-store.js';
import { WebUi } from './web-ui.js';

/** The default history folder: $KINDLING_HISTORY_DIR, else ~/.kindling/history. */
export function defaultHistoryDir(): string {
  return process.env['KINDLING_HISTORY_DIR'] || join(homedir(), '.kindling', 'history');
}

/** What to observe and how. */
export interface DriverObserverOptions {
  readonly events: EventBus;
  readonly header: EventLogHeader;
  readonly logger: Logger;
  /** false = no event log; a string = that folder (an error if unusable); undefined = the default (a warning if unusable). */
  readonly historyDir?: string | false;
  /** false = no UI; otherwise where to serve it (port undefined = 4040 and up, a warning if none is free). */
  readonly ui: false | { readonly port?: number; readonly host?: string };
  /** How often to sample heartbeats, ms (default 2000). */
  readonly sampleMs?: number;
}

/** A driver's event log, read model and UI for one job. */
export class DriverObserver {
  private readonly offs: Array<() => void> = [];
  private sampler: NodeJS.Timeout | undefined;
  private podSampler: NodeJS.Timeout | undefined;

  private constructor(
    readonly store: StatusStore,
    readonly log: EventLogWriter | undefined,
    readonly ui: WebUi | undefined,
    private readonly sampleMs: number,
  ) {}

  /** Opens the log and starts the UI; rejects (before any work) on an explicit unusable folder or port. */
  static async start(o: DriverObserverOptions): Promise<DriverObserver> {
    let log: EventLogWriter | undefined;
    if (o.historyDir !== false) {
      const dir = resolve(o.historyDir ?? defaultHistoryDir());
      try {
        log = EventLogWriter.open(dir, o.header);
      } catch (err) {
        if (o.historyDir !== undefined) throw err;
        o.logger.warn({ dir }, `no event log for this run: ${(err as Error).message}`);
      }
    }
    let ui: WebUi | undefined;
    const store = new StatusStore();
    if (o.ui !== false) {
      try {
        ui = await WebUi.start({
          store,
          runId: log?.runId ?? o.header.name,
          ...(o.ui.port !== undefined && { port: o.ui.port }),
          ...(o.ui.host !== undefined && { host: o.ui.host }),
        });
      } catch (err) {
        if (o.ui.port !== undefined) {
          log?.close();
          throw err;
        }
        o.logger.warn(`no web UI for this run: ${(err as Error).message}`);
      }
    }
    const obs = new DriverObserver(store, log, ui, o.sampleMs ?? 2000);
    // The store sees what the log records: the header first, then every event.
    store.apply(
      log?.header ?? {
        event: 'log-header',
        ts: Date.now(),
        name: o.header.name,
        master: o.header.master,
        conf: o.header.conf,
        spec: o.header.spec,
      },
    );
    log?.attach(o.events);
    obs.offs.push(store.attach(o.events));
    return obs;
  }

  /** Samples `heartbeats()` into the log and the store until finish() (cluster mode). */
  watchHeartbeats(heartbeats: () => readonly ExecutorHeartbeat[]): void {
    const last = new Map<string, number>();
    const sample = (): void => {
      for (const h of heartbeats()) {
        if (last.get(h.executorId) === h.sentAt) continue;
        last.set(h.executorId, h.sentAt);
        const rec = {
          event: 'executor-heartbeat',
          ts: Date.now(),
          executorId: h.executorId,
          slots: h.slots,
          runningTasks: h.runningTasks,
          cachedBlocks: h.cachedBlocks,
          cachedBytes: h.cachedBytes,
          rssBytes: h.rssBytes,
          draining: h.draining,
          sentAt: h.sentAt,
          ...(h.cpuMillis !== undefined && { cpuMillis: h.cpuMillis }),
        };
        this.log?.append(rec);
        this.store.apply(rec);
      }
    };
    sample();
    this.sampler = setInterval(sample, this.sampleMs);
    this.sampler.unref();
  }

  /**
   * Samples executor pods' usage as metrics-server reports it (k8s:// masters) into the log and
   * the store until finish(): `usage()` gives CPU cores and memory bytes per executor (pod name),
   * or undefined while metrics are unavailable. metrics-server refreshes about every 15 s.
   */
  watchPodUsage(usage: () => Promise<ReadonlyMap<string, { cpuCores: number; memoryBytes: number }> | undefined>, everyMs = 15_000): void {
    let busy = false;
    const sample = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (const [executorId, u] of (await usage()) ?? []) {
          const rec = { event: 'executor-pod-usage', ts: Date.now(), executorId, cpuCores: u.cpuCores, memoryBytes: u.memoryBytes };
          this.log?.append(rec);
          this.store.apply(rec);
        }
      } catch {
        // A failed sample leaves a gap in the chart; the next one may succeed.
      } finally {
        busy = false;
      }
    };
    void sample();
    this.podSampler = setInterval(() => void sample(), everyMs);
    this.podSampler.unref();
  }

  /** Records the job's outcome, copies the log into a committed output folder, stops sampling. */
  finish(outcome: { result: JobResult } | { error: unknown }, logger: Logger): void {
    if (this.sampler) clearInterval(this.sampler);
    if (this.podSampler) clearInterval(this.podSampler);
    this.sampler = undefined;
    this.podSampler = undefined;
    for (const off of this.offs.splice(0)) off();
    if ('result' in outcome) {
      this.log?.finishWith(outcome.result);
      this.store.apply({
        event: 'job-result',
        ts: Date.now(),
        metrics: outcome.result.metrics,
        trainRows: outcome.result.trainRows,
        testRows: outcome.result.testRows,
        coefficients: outcome.result.featureNames.map((name, i) => ({ name, value: outcome.result.coefficients[i] })),
        intercept: outcome.result.intercept,
        objectiveHistory: outcome.result.objectiveHistory,
      });
      try {
        this.log?.copyInto(outcome.result.outputPath);
      } catch (err) {
        logger.warn(`event log not copied into the output folder: ${(err as Error).message}`);
      }
    } else {
      this.log?.finishWithError(outcome.error);
      const e = outcome.error as { code?: string; message?: string };
      this.store.apply({ event: 'job-error', ts: Date.now(), code: e?.code ?? 'E_INTERNAL', message: e?.message ?? String(outcome.error) });
    }
    this.log?.close();
    this.ui?.markDone();
  }

  /** Stops the UI (after finish()). */
  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    if (this.podSampler) clearInterval(this.podSampler);
    this.log?.close();
    await this.ui?.close();
  }
}
