/**
 * StatusStore: the UI's read model of one run — application, jobs, stages, tasks, executors,
 * iterations, evaluation — built only from event-log records: live ones (attach() turns the
 * EventBus into records) or replayed from a log, so the live UI and the history server show
 * the same thing. It also answers the UI's questions: per-stage task quantiles, per-executor
 * aggregates and a sorted, paginated task list (10,000 tasks: one sort per request).
 * Used by web-ui.ts (live), history/run-index.ts (replay). THREADING: event loop only.
 */
import type { DriverEventType, EventBus } from '../events/event-bus.js';
import type { EventLogRecord } from '../events/event-log-reader.js';

/** One task attempt's outcome. */
export interface TaskRow {
  readonly taskId: number;
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
  readonly executorId: string;
  readonly status: 'SUCCESS' | 'FAILED';
  /** When the outcome arrived (ms since epoch). */
  readonly finishedAt: number;
  readonly queuedMs?: number;
  readonly runMs?: number;
  readonly resultBytes?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** One stage (one attempt: Kindling retries tasks, not stages). */
export interface StageRow {
  readonly stageId: number;
  readonly name: string;
  status: 'ACTIVE' | 'COMPLETE' | 'FAILED';
  numTasks: number;
  completed: number;
  running: number;
  failed: number;
  submittedAt: number;
  completedAt?: number;
  durationMs?: number;
  readonly tasks: TaskRow[];
}

/** One executor as the events and heartbeats describe it. */
export interface ExecutorRow {
  readonly id: string;
  slots: number;
  addedAt: number;
  removedAt?: number;
  removeReason?: string;
  lost: boolean;
  completedTasks: number;
  failedTasks: number;
  totalRunMs: number;
  /** Latest heartbeat figures (cluster mode). */
  heartbeat?: { runningTasks: number; cachedBlocks: number; cachedBytes: number; rssBytes: number; draining: boolean; sentAt: number };
  /** RSS samples over time, [ts, bytes]. */
  readonly rss: Array<[number, number]>;
  /** CPU in cores over time, [ts, cores]: the rate of the heartbeats' CPU time between two beats. */
  readonly cpu: Array<[number, number]>;
  /** metrics-server's figures for the executor's pod (k8s:// masters): [ts, cores] and [ts, bytes]. */
  readonly podCpu: Array<[number, number]>;
  readonly podMemory: Array<[number, number]>;
  /** The last heartbeat's CPU time and send time, for the next rate. */
  lastCpu?: { cpuMillis: number; sentAt: number };
  /** Lifecycle events, for the executors timeline. */
  readonly events: Array<{ ts: number; what: string }>;
}

/** One partition's cached blocks, where the driver last saw them (the executor that last ran a task on it). */
export interface CachedPartitionRow {
  readonly partition: number;
  readonly executorId: string;
  /** Block name → bytes. */
  readonly blocks: ReadonlyMap<string, number>;
  readonly updatedAt: number;
}

/** One cached dataset (Spark's RDD on the Storage page): a block name across the job's partitions. */
export interface CachedDataset {
  readonly name: string;
  readonly numPartitions: number;
  readonly cachedPartitions: number;
  readonly bytes: number;
  /** Per executor: partitions of this dataset it holds and their bytes, by executor id. */
  readonly byExecutor: ReadonlyArray<{ executorId: string; partitions: number; bytes: number }>;
}

/** The datasets a job caches, in the order its stages build them. */
export const CACHED_DATASETS: readonly string[] = ['rows', 'train', 'test'];

/** Overall state of the run. */
export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'INCOMPLETE';

/** Columns the task table sorts by. */
export const TASK_SORT_KEYS = [
  'taskId',
  'partition',
  'attempt',
  'executorId',
  'status',
  'queuedMs',
  'runMs',
  'resultBytes',
  'finishedAt',
] as const;
export type TaskSortKey = (typeof TASK_SORT_KEYS)[number];

/** Quantile figures of one stage's successful tasks, by metric. */
export interface TaskQuantiles {
  readonly quantiles: readonly number[];
  readonly count: number;
  readonly queuedMs: Array<number | null>;
  readonly runMs: Array<number | null>;
  readonly resultBytes: Array<number | null>;
}

/** The read model of one run. */
export class StatusStore {
  header: EventLogRecord | undefined;
  jobId: string | undefined;
  jobName: string | undefined;
  startedAt: number | undefined;
  endedAt: number | undefined;
  status: RunStatus = 'RUNNING';
  failure: { code: string; message: string } | undefined;
  result: EventLogRecord | undefined;
  partitions = 0;
  readonly stages = new Map<number, StageRow>();
  readonly executors = new Map<string, ExecutorRow>();
  readonly iterations: Array<Record<string, unknown>> = [];
  readonly moves: Array<{ ts: number; partition: number; from: string; to: string }> = [];
  /** Partition → its cached blocks as last reported (task-completed records that carry `blocks`). */
  readonly cached = new Map<number, CachedPartitionRow>();
  /** Bumped on every change; the SSE stream sends it as the event id. */
  version = 0;
  private taskSeq = 0;
  private readonly listeners = new Set<() => void>();

  /** Calls `fn` after each change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Feeds the driver's live events in as records (stamped now); returns the unsubscribe function. */
  attach(events: EventBus): () => void {
    const types: DriverEventType[] = [
      'job-started',
      'stage-submitted',
      'stage-progress',
      'stage-completed',
      'task-completed',
      'task-failed',
      'executor-added',
      'executor-removed',
      'partitions-moved',
      'partition-recovered',
      'iteration',
      'job-completed',
      'job-failed',
    ];
    const offs = types.map((t) => events.on(t, (e) => this.apply({ event: t, ts: Date.now(), ...(e as object) })));
    return () => offs.forEach((off) => off());
  }

  /** Applies one record; unknown record types are ignored (newer writers). */
  apply(r: EventLogRecord): void {
    const ts = typeof r.ts === 'number' ? r.ts : Date.now();
    const n = (k: string): number => Number(r[k] ?? 0);
    const s = (k: string): string => String(r[k] ?? '');
    switch (r.event) {
      case 'log-header':
        this.header = r;
        this.jobName = s('name');
        this.startedAt = ts;
        break;
      case 'job-started':
        this.jobId = s('jobId');
        this.jobName = s('name');
        this.partitions = n('partitions');
        this.startedAt ??= ts;
        break;
      case 'stage-submitted':
        this.stages.set(n('stageId'), {
          stageId: n('stageId'),
          name: s('name'),
          status: 'ACTIVE',
          numTasks: n('tasks'),
          completed: 0,
          running: 0,
          failed: 0,
          submittedAt: ts,
          tasks: [],
        });
        break;
      case 'stage-progress': {
        const st = this.stages.get(n('stageId'));
        if (st) {
          st.completed = n('completed');
          st.running = n('running');
          st.numTasks = n('total');
        }
        break;
      }
      case 'stage-completed': {
        const st = this.stages.get(n('stageId'));
        if (st) {
          st.status = 'COMPLETE';
          st.completedAt = ts;
          st.durationMs = n('durationMs');
          st.running = 0;
          st.completed = st.numTasks;
        }
        break;
      }
      case 'task-completed':
      case 'task-failed': {
        const failed = r.event === 'task-failed';
        const row: TaskRow = {
          taskId: this.taskSeq++,
          stageId: n('stageId'),
          partition: n('partition'),
          attempt: n('attempt'),
          executorId: s('executorId'),
          status: failed ? 'FAILED' : 'SUCCESS',
          finishedAt: ts,
          ...(typeof r['queuedMs'] === 'number' && { queuedMs: r['queuedMs'] }),
          ...(typeof r['runMs'] === 'number' && { runMs: r['runMs'] }),
          ...(typeof r['resultBytes'] === 'number' && { resultBytes: r['resultBytes'] }),
          ...(failed && { errorCode: s('code'), errorMessage: s('message') }),
        };
        this.stages.get(row.stageId)?.tasks.push(row);
        if (failed) {
          const st = this.stages.get(row.stageId);
          if (st) st.failed++;
        }
        if (!failed && Array.isArray(r['blocks'])) this.noteBlocks(row.partition, row.executorId, r['blocks'], ts);
        const ex = this.executor(row.executorId, ts);
        if (failed) ex.failedTasks++;
        else ex.completedTasks++;
        ex.totalRunMs += row.runMs ?? 0;
        break;
      }
      case 'executor-added': {
        const ex = this.executor(s('executorId'), ts);
        ex.slots = n('slots');
        ex.removedAt = undefined;
        ex.lost = false;
        ex.events.push({ ts, what: 'joined' });
        break;
      }
      case 'executor-removed': {
        const ex = this.executor(s('executorId'), ts);
        ex.removedAt = ts;
        ex.lost = r['lost'] === true;
        ex.removeReason = s('reason');
        ex.events.push({ ts, what: ex.lost ? `lost: ${ex.removeReason}` : `drained: ${ex.removeReason}` });
        // Its blocks are gone (lost) or leaving (drained): the partitions are cached nowhere until rebuilt.
        for (const [p, c] of this.cached) if (c.executorId === ex.id) this.cached.delete(p);
        break;
      }
      case 'executor-heartbeat': {
        const ex = this.executor(s('executorId'), ts);
        ex.slots = n('slots') || ex.slots;
        ex.heartbeat = {
          runningTasks: n('runningTasks'),
          cachedBlocks: n('cachedBlocks'),
          cachedBytes: n('cachedBytes'),
          rssBytes: n('rssBytes'),
          draining: r['draining'] === true,
          sentAt: n('sentAt') || ts,
        };
        ex.rss.push([ts, n('rssBytes')]);
        if (typeof r['cpuMillis'] === 'number') {
          const now = { cpuMillis: r['cpuMillis'], sentAt: n('sentAt') || ts };
          const prev = ex.lastCpu;
          // A restarted process starts its CPU time again: no rate across the restart.
          if (prev && now.sentAt > prev.sentAt && now.cpuMillis >= prev.cpuMillis)
            ex.cpu.push([ts, (now.cpuMillis - prev.cpuMillis) / (now.sentAt - prev.sentAt)]);
          ex.lastCpu = now;
        }
        break;
      }
      case 'executor-pod-usage': {
        const ex = this.executor(s('executorId'), ts);
        ex.podCpu.push([ts, n('cpuCores')]);
        ex.podMemory.push([ts, n('memoryBytes')]);
        break;
      }
      case 'partitions-moved':
        for (const m of (r['moves'] as Array<{ partition: number; from: string; to: string }> | undefined) ?? [])
          this.moves.push({ ts, ...m });
        break;
      case 'iteration': {
        const { event: _e, ts: _t, ...fields } = r;
        this.iterations.push(fields);
        break;
      }
      case 'job-completed':
        this.status = 'SUCCEEDED';
        this.endedAt = ts;
        break;
      case 'job-failed':
      case 'job-error':
        this.status = 'FAILED';
        this.endedAt = ts;
        this.failure ??= { code: s('code'), message: s('message') };
        for (const st of this.stages.values()) if (st.status === 'ACTIVE') st.status = 'FAILED';
        break;
      case 'job-result':
        this.result = r;
        this.endedAt ??= ts;
        if (this.status === 'RUNNING') this.status = 'SUCCEEDED';
        break;
      default:
        return;
    }
    this.version++;
    for (const l of this.listeners) l();
  }

  /** Marks a replayed log whose writer is gone without a final record (kill -9). */
  markIncomplete(): void {
    if (this.status !== 'RUNNING') return;
    this.status = 'INCOMPLETE';
    for (const st of this.stages.values()) if (st.status === 'ACTIVE') st.status = 'FAILED';
  }

  /** Task quantiles of a stage's successful tasks (linear interpolation, as numpy's default). */
  taskQuantiles(stageId: number, quantiles: readonly number[] = [0, 0.25, 0.5, 0.75, 1]): TaskQuantiles | undefined {
    const st = this.stages.get(stageId);
    if (!st) return undefined;
    const ok = st.tasks.filter((t) => t.status === 'SUCCESS');
    const q = (pick: (t: TaskRow) => number | undefined): Array<number | null> => {
      const xs = ok
        .map(pick)
        .filter((x): x is number => typeof x === 'number')
        .sort((a, b) => a - b);
      return quantiles.map((p) => (xs.length === 0 ? null : quantile(xs, p)));
    };
    return { quantiles, count: ok.length, queuedMs: q((t) => t.queuedMs), runMs: q((t) => t.runMs), resultBytes: q((t) => t.resultBytes) };
  }

  /** Per-executor aggregates of one stage's tasks. */
  stageExecutors(stageId: number): Array<{ executorId: string; succeeded: number; failed: number; runMs: number; queuedMs: number }> {
    const out = new Map<string, { executorId: string; succeeded: number; failed: number; runMs: number; queuedMs: number }>();
    for (const t of this.stages.get(stageId)?.tasks ?? []) {
      let a = out.get(t.executorId);
      if (!a) out.set(t.executorId, (a = { executorId: t.executorId, succeeded: 0, failed: 0, runMs: 0, queuedMs: 0 }));
      if (t.status === 'SUCCESS') a.succeeded++;
      else a.failed++;
      a.runMs += t.runMs ?? 0;
      a.queuedMs += t.queuedMs ?? 0;
    }
    return [...out.values()].sort((a, b) => a.executorId.localeCompare(b.executorId));
  }

  /** One page of a stage's tasks sorted by `sortBy` (ties by taskId); a missing value sorts first. */
  taskPage(
    stageId: number,
    opts: { offset: number; length: number; sortBy: TaskSortKey; desc: boolean },
  ): { total: number; tasks: TaskRow[] } | undefined {
    const st = this.stages.get(stageId);
    if (!st) return undefined;
    const k = opts.sortBy;
    const sign = opts.desc ? -1 : 1;
    const sorted = [...st.tasks].sort((a, b) => {
      const x = a[k],
        y = b[k];
      const c = x === y ? 0 : x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1;
      return c !== 0 ? sign * c : a.taskId - b.taskId;
    });
    return { total: st.tasks.length, tasks: sorted.slice(opts.offset, opts.offset + opts.length) };
  }

  /** The cached datasets (rows, train, test) with per-executor distribution; datasets never cached are left out. */
  storage(): CachedDataset[] {
    const out: CachedDataset[] = [];
    for (const name of CACHED_DATASETS) {
      let cachedPartitions = 0;
      let bytes = 0;
      const by = new Map<string, { executorId: string; partitions: number; bytes: number }>();
      for (const c of this.cached.values()) {
        const b = c.blocks.get(name);
        if (b === undefined) continue;
        cachedPartitions++;
        bytes += b;
        let e = by.get(c.executorId);
        if (!e) by.set(c.executorId, (e = { executorId: c.executorId, partitions: 0, bytes: 0 }));
        e.partitions++;
        e.bytes += b;
      }
      if (cachedPartitions === 0) continue;
      const byExecutor = [...by.values()].sort((a, b) => a.executorId.localeCompare(b.executorId));
      out.push({ name, numPartitions: this.partitions, cachedPartitions, bytes, byExecutor });
    }
    return out;
  }

  /** Cached partitions in partition order, one page of them. */
  cachedPage(offset: number, length: number): { total: number; rows: CachedPartitionRow[] } {
    const rows = [...this.cached.values()].sort((a, b) => a.partition - b.partition);
    return { total: rows.length, rows: rows.slice(offset, offset + length) };
  }

  private noteBlocks(partition: number, executorId: string, blocks: unknown[], ts: number): void {
    const m = new Map<string, number>();
    for (const b of blocks) {
      const { name, bytes } = (b ?? {}) as { name?: unknown; bytes?: unknown };
      if (typeof name === 'string' && typeof bytes === 'number' && Number.isFinite(bytes)) m.set(name, bytes);
    }
    if (m.size === 0) this.cached.delete(partition);
    else this.cached.set(partition, { partition, executorId, blocks: m, updatedAt: ts });
  }

  /** All failed task attempts (retried or final), newest last. */
  failedTasks(): TaskRow[] {
    return [...this.stages.values()].flatMap((s) => s.tasks.filter((t) => t.status === 'FAILED'));
  }

  private executor(id: string, ts: number): ExecutorRow {
    let ex = this.executors.get(id);
    if (!ex)
      this.executors.set(
        id,
        (ex = {
          id,
          slots: 0,
          addedAt: ts,
          lost: false,
          completedTasks: 0,
          failedTasks: 0,
          totalRunMs: 0,
          rss: [],
          cpu: [],
          podCpu: [],
          podMemory: [],
          events: [],
        }),
      );
    return ex;
  }
}

/** Quantile p of sorted xs, interpolating linearly between closest ranks. */
export function quantile(xs: readonly number[], p: number): number {
  const pos = (xs.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}
