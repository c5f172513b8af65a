/**
 * RunIndex: the history server's index of a folder of event logs — one small RunSummary per log,
 * kept up to date incrementally and (by default) persisted beside the logs in
 * `.kindling-history-index.json`. Per log and refresh: a log whose inode, size and mtime are
 * unchanged is not opened; one that grew is read from where the last read stopped (a torn last
 * line waits for the next read); one that was replaced or truncated (its bytes before that point
 * differ) is read again from the start; one that is gone leaves the index. Logs are read four
 * at a time in 1 MiB chunks, so one large log does not hold the others back. Whole logs are
 * replayed only for one run's pages (replay-cache.ts). A log with garbage lines is damaged; one
 * whose writer is gone without a final record is incomplete. Only regular `*.jsonl` files
 * directly in the folder are read (no symlinks, nothing outside it).
 * Used by history-server.ts. THREADING: event loop; refresh() is async and never overlaps.
 */
import { constants, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import { EventLogParser, type EventLogDamage } from '../events/event-log-reader.js';
import type { RunStatus } from '../ui/status-store.js';
import { loadIndex, saveIndex, INDEX_FILE, LOG_NAME, type IndexEntry } from './index-file.js';
import { tailLog } from './log-tail.js';
import { applyRecord, emptySummary, MAX_DAMAGE, type RunSummary } from './run-summary.js';

/** One indexed run, as the run list and the REST list see it. */
export interface IndexedRun {
  readonly runId: string;
  /** Absolute path of its log. */
  readonly file: string;
  readonly summary: Readonly<RunSummary>;
  readonly status: RunStatus;
  /** The first garbage lines (empty = not damaged). */
  readonly damage: readonly EventLogDamage[];
}

/** What the index has read, for tests and the bench (reads are the observable cost). */
export interface IndexStats {
  /** Log reads (opens) since the server started, and how many of them started at byte 0. */
  reads: number;
  readsFromStart: number;
  bytesRead: number;
  /** Index-file writes. */
  saves: number;
}

/** A writer silent this long with no final record, on another host or with no pid, counts as gone. */
const STALE_MS = 60_000;

/** The index of one history folder. */
export class RunIndex {
  /** Runs by id, each updated as soon as its log is read. */
  readonly runs = new Map<string, IndexedRun>();
  readonly stats: IndexStats = { reads: 0, readsFromStart: 0, bytesRead: 0, saves: 0 };
  /** Why the index file is not written (a read-only folder), once it failed. */
  persistError: string | undefined;
  private readonly readsByName = new Map<string, number>();
  private readonly listeners = new Set<(run: IndexedRun | undefined, file: string) => void>();
  private refreshing: Promise<void> | undefined;
  private dirty = false;
  private lastSave = 0;

  private constructor(
    readonly dir: string,
    private readonly entries: Map<string, IndexEntry>,
    private persist: boolean,
    private readonly saveEveryMs: number,
  ) {}

  /**
   * Opens a history folder; a missing or unreadable one is E_INVALID_VALUE naming it. The index
   * file is written after the first refresh, then at most every `saveEveryMs` (a running job's
   * log changes every second; a file a few seconds old only costs a restart those seconds' reads).
   */
  static async open(dir: string, o: { persist?: boolean; saveEveryMs?: number } = {}): Promise<RunIndex> {
    const abs = resolve(dir);
    let st;
    try {
      st = await fs.stat(abs);
    } catch {
      throw new KindlingError(
        'E_INVALID_VALUE',
        `--dir ${abs}: no such folder (event logs are written to ~/.kindling/history unless --history-dir says otherwise)`,
        { path: abs },
      );
    }
    if (!st.isDirectory()) throw new KindlingError('E_INVALID_VALUE', `--dir ${abs}: not a folder`, { path: abs });
    try {
      await fs.access(abs, constants.R_OK | constants.X_OK);
      await fs.readdir(abs);
    } catch (err) {
      throw new KindlingError(
        'E_INVALID_VALUE',
        `--dir ${abs}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { path: abs },
      );
    }
    const persist = o.persist ?? true;
    return new RunIndex(abs, persist ? await loadIndex(abs) : new Map(), persist, o.saveEveryMs ?? 5000);
  }

  /** The index file's path, or undefined when it is not written. */
  get indexFile(): string | undefined {
    return this.persist ? join(this.dir, INDEX_FILE) : undefined;
  }

  /** Reads what is new in every log (one refresh at a time; callers may share it). */
  refresh(): Promise<void> {
    this.refreshing ??= this.scan().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Waits for a refresh under way, then writes the index file if it is behind (at shutdown). */
  async flush(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
    await this.save();
  }

  /** Runs newest first. */
  list(): IndexedRun[] {
    return [...this.runs.values()].sort(
      (a, b) => (b.summary.startedAt ?? 0) - (a.summary.startedAt ?? 0) || a.runId.localeCompare(b.runId),
    );
  }

  /** How many times this server opened `runId`'s log to index it (tests: an unchanged log stays at its count). */
  readsOf(runId: string): number {
    return this.readsByName.get(`${runId}.jsonl`) ?? 0;
  }

  /** Calls `fn` when a run's log changed, its status changed or it left (run undefined). */
  onChange(fn: (run: IndexedRun | undefined, file: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async scan(): Promise<void> {
    const names = (await fs.readdir(this.dir)).filter((n) => LOG_NAME.test(n));
    const present = new Set(names);
    for (const name of [...this.entries.keys()]) {
      if (present.has(name)) continue;
      this.entries.delete(name);
      this.publish(name, true);
    }
    const queue = [...names];
    const read = new Set<string>();
    // A few logs at a time, each published as soon as it is read: a large one takes one worker
    // and holds back neither the others nor the run list.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift())
          if (await this.tail(name).catch(() => false)) {
            read.add(name);
            this.publish(name, true);
          }
      }),
    );
    // A log that did not change can still change status: its writer died or went silent.
    for (const name of this.entries.keys()) if (!read.has(name)) this.publish(name, false);
    if (Date.now() - this.lastSave >= this.saveEveryMs) await this.save();
  }

  /** Puts a log's entry (or its absence) into `runs`; tells the listeners when it changed or its status did. */
  private publish(name: string, changed: boolean): void {
    const runId = name.slice(0, -'.jsonl'.length);
    const file = join(this.dir, name);
    const e = this.entries.get(name);
    const prev = this.runs.get(runId);
    let run: IndexedRun | undefined;
    if (e) {
      run = { runId, file, summary: e.summary, status: statusOf(e), damage: e.damage };
      this.runs.set(runId, run);
    } else this.runs.delete(runId);
    if (!changed && (!prev || prev.status === run?.status)) return;
    this.dirty = true;
    for (const l of this.listeners) l(run, file);
  }

  private async save(): Promise<void> {
    if (this.dirty && this.persist) {
      try {
        this.lastSave = Date.now();
        await saveIndex(this.dir, this.entries.values());
        this.stats.saves++;
        this.dirty = false;
      } catch (err) {
        // A read-only history folder: serve from memory, do not retry every second.
        this.persist = false;
        this.persistError = `cannot write ${join(this.dir, INDEX_FILE)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    }
  }

  /** Brings one log's entry up to date; true when it changed. */
  private async tail(name: string): Promise<boolean> {
    const file = join(this.dir, name);
    let st;
    try {
      st = await fs.lstat(file);
    } catch {
      return this.entries.delete(name);
    }
    // Symlinks could point anywhere: only regular files in the folder are runs.
    if (!st.isFile()) return this.entries.delete(name);
    const old = this.entries.get(name);
    if (old && old.ino === st.ino && old.size === st.size && old.mtimeMs === st.mtimeMs) return false;
    // Grown in place: go on from the last read. Same size but touched, or smaller: read it all again.
    const resume = old && old.ino === st.ino && st.size > old.size ? old : undefined;
    let next: IndexEntry = resume
      ? { ...resume, summary: structuredClone(resume.summary), damage: [...resume.damage] }
      : { name, ino: st.ino, size: 0, mtimeMs: 0, offset: 0, fingerprint: '', lines: 0, summary: emptySummary(), damage: [] };
    let parser = new EventLogParser();
    parser.lines = next.lines;
    const r = await tailLog(
      file,
      resume && { offset: resume.offset, fingerprint: resume.fingerprint },
      (text) => {
        for (const rec of parser.push(text)) applyRecord(next.summary, rec);
      },
      () => {
        next = { name, ino: st.ino, size: 0, mtimeMs: 0, offset: 0, fingerprint: '', lines: 0, summary: emptySummary(), damage: [] };
        parser = new EventLogParser();
      },
    );
    this.stats.reads++;
    if (r.fromStart) this.stats.readsFromStart++;
    this.stats.bytesRead += r.bytesRead;
    this.readsByName.set(name, (this.readsByName.get(name) ?? 0) + 1);
    for (const d of parser.damage) if (next.damage.length < MAX_DAMAGE) next.damage.push(d);
    // The stat taken before the read: bytes appended during it change size and mtime, so the next refresh reads them.
    Object.assign(next, {
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      offset: r.offset,
      fingerprint: r.fingerprint,
      lines: parser.lines,
    });
    this.entries.set(name, next);
    return true;
  }
}

/** The recorded status, or INCOMPLETE for a run whose writer cannot still be writing. */
function statusOf(e: IndexEntry): RunStatus {
  if (e.summary.recorded !== 'RUNNING') return e.summary.recorded;
  const pid = e.summary.header?.['pid'];
  if (typeof pid === 'number') {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'INCOMPLETE';
    }
  }
  return Date.now() - e.mtimeMs > STALE_MS ? 'INCOMPLETE' : 'RUNNING';
}
