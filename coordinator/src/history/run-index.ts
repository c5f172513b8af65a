/**
 * RunIndex: the history server's index of a folder of event logs. Each log is tailed from the
 * offset it was last read to (never replayed per request) into its own StatusStore; logs are
 * read concurrently in 1 MiB chunks, so one large log does not hold the others back, and
 * requests are answered from what is indexed so far. A log with garbage lines is marked
 * damaged; one whose writer is gone without a final record is incomplete. Only regular
 * `*.jsonl` files directly in the folder are read (no symlinks, nothing outside it).
 * Used by history-server.ts. THREADING: event loop; refresh() is async and never overlaps.
 */
import { constants, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import { EventLogParser, readFrom, type EventLogDamage } from '../events/event-log-reader.js';
import { StatusStore } from '../ui/status-store.js';

/** One indexed run. */
export interface IndexedRun {
  readonly runId: string;
  readonly file: string;
  readonly store: StatusStore;
  readonly parser: EventLogParser;
  offset: number;
  size: number;
  mtimeMs: number;
  /** The first garbage lines (empty = not damaged). */
  readonly damage: readonly EventLogDamage[];
}

/** A writer silent this long with no final record, on another host or with no pid, counts as gone. */
const STALE_MS = 60_000;

/** The index of one history folder. */
export class RunIndex {
  readonly runs = new Map<string, IndexedRun>();
  private refreshing: Promise<void> | undefined;

  private constructor(readonly dir: string) {}

  /** Opens a history folder; a missing or unreadable one is E_INVALID_VALUE naming it. */
  static async open(dir: string): Promise<RunIndex> {
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
    return new RunIndex(abs);
  }

  /** Reads what is new in every log (one refresh at a time; callers may share it). */
  refresh(): Promise<void> {
    this.refreshing ??= this.scan().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Runs newest first. */
  list(): IndexedRun[] {
    return [...this.runs.values()].sort((a, b) => (b.store.startedAt ?? 0) - (a.store.startedAt ?? 0) || a.runId.localeCompare(b.runId));
  }

  private async scan(): Promise<void> {
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.jsonl') && /^[A-Za-z0-9_.-]+$/.test(n));
    const queue = [...names];
    // A few logs at a time: a large one takes one worker, the others keep going.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) await this.tail(name).catch(() => undefined);
      }),
    );
  }

  private async tail(name: string): Promise<void> {
    const file = join(this.dir, name);
    const st = await fs.lstat(file);
    // Symlinks could point anywhere: only regular files in the folder are runs.
    if (!st.isFile()) return;
    const runId = name.slice(0, -'.jsonl'.length);
    let run = this.runs.get(runId);
    if (!run) {
      const parser = new EventLogParser();
      run = { runId, file, store: new StatusStore(), parser, offset: 0, size: 0, mtimeMs: 0, damage: parser.damage };
      this.runs.set(runId, run);
    }
    if (st.size > run.offset) {
      const r = run;
      r.offset = await readFrom(file, r.offset, (chunk) => {
        for (const rec of r.parser.push(chunk)) r.store.apply(rec);
      });
    }
    run.size = st.size;
    run.mtimeMs = st.mtimeMs;
    if (run.store.status === 'RUNNING' && writerGone(run)) run.store.markIncomplete();
  }
}

/** True when the log's writer cannot still be writing: its pid is dead here, or it has been silent too long. */
function writerGone(run: IndexedRun): boolean {
  const pid = run.store.header?.['pid'];
  if (typeof pid === 'number') {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  return Date.now() - run.mtimeMs > STALE_MS;
}
