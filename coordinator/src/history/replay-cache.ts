/**
 * ReplayCache: the full read model (StatusStore) of the few runs whose pages are being looked
 * at, replayed from their logs on demand and kept per log while its inode, size and mtime stay
 * the same. A log that grew is read on from where the replay stopped, into the same store, so
 * a live page's SSE stream sees the new records; a replaced or truncated one is replayed anew.
 * Bounded by entry count and by the bytes of log held, least recently used first out (runs
 * still RUNNING last, as a live page may be following them). Concurrent requests for one log
 * share one replay. Used by history-server.ts. THREADING: event loop; async I/O only.
 */
import { promises as fs } from 'node:fs';
import { EventLogParser } from '../events/event-log-reader.js';
import { StatusStore } from '../ui/status-store.js';
import { tailLog } from './log-tail.js';

interface Entry {
  ino: number;
  size: number;
  mtimeMs: number;
  offset: number;
  fingerprint: string;
  parser: EventLogParser;
  store: StatusStore;
}

/** What the cache did, for tests and the bench. */
export interface ReplayStats {
  /** Requests answered from a cached store without reading. */
  hits: number;
  /** Whole replays from byte 0, and reads that went on from a cached replay's end. */
  replays: number;
  tails: number;
  bytesRead: number;
}

export class ReplayCache {
  readonly stats: ReplayStats = { hits: 0, replays: 0, tails: 0, bytesRead: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<StatusStore>>();

  constructor(
    private readonly maxEntries = 16,
    private readonly maxBytes = 256 * 2 ** 20,
  ) {}

  /** The replayed store of the log at `file` as it is now (file must be a regular file the index found). */
  store(file: string): Promise<StatusStore> {
    let p = this.inflight.get(file);
    if (!p) {
      p = this.load(file).finally(() => this.inflight.delete(file));
      this.inflight.set(file, p);
    }
    return p;
  }

  /** Brings a cached store up to date (a live page follows it); nothing when the log is not cached. */
  async advance(file: string): Promise<void> {
    if (this.entries.has(file)) await this.store(file);
  }

  /** The cached store of `file`, if any, as last read (no I/O). */
  peek(file: string): StatusStore | undefined {
    return this.entries.get(file)?.store;
  }

  /** Forgets a log that left the folder. */
  drop(file: string): void {
    this.entries.delete(file);
  }

  /** Number of cached stores. */
  get size(): number {
    return this.entries.size;
  }

  private async load(file: string): Promise<StatusStore> {
    const st = await fs.lstat(file);
    const old = this.entries.get(file);
    if (old && old.ino === st.ino && old.size === st.size && old.mtimeMs === st.mtimeMs) {
      this.stats.hits++;
      this.touch(file, old);
      return old.store;
    }
    const resume = old && old.ino === st.ino && st.size > old.size ? old : undefined;
    let e: Entry = resume ?? {
      ino: st.ino,
      size: 0,
      mtimeMs: 0,
      offset: 0,
      fingerprint: '',
      parser: new EventLogParser(),
      store: new StatusStore(),
    };
    const r = await tailLog(
      file,
      resume && { offset: resume.offset, fingerprint: resume.fingerprint },
      (text) => {
        for (const rec of e.parser.push(text)) e.store.apply(rec);
      },
      () => {
        e = { ino: st.ino, size: 0, mtimeMs: 0, offset: 0, fingerprint: '', parser: new EventLogParser(), store: new StatusStore() };
      },
    );
    if (r.fromStart) this.stats.replays++;
    else this.stats.tails++;
    this.stats.bytesRead += r.bytesRead;
    Object.assign(e, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, offset: r.offset, fingerprint: r.fingerprint });
    this.touch(file, e);
    this.evict(file);
    return e.store;
  }

  private touch(file: string, e: Entry): void {
    this.entries.delete(file);
    this.entries.set(file, e);
  }

  private evict(keep: string): void {
    const bytes = (): number => [...this.entries.values()].reduce((a, e) => a + e.offset, 0);
    while (this.entries.size > 1 && (this.entries.size > this.maxEntries || bytes() > this.maxBytes)) {
      const order = [...this.entries.keys()].filter((f) => f !== keep);
      const victim = order.find((f) => this.entries.get(f)!.store.status !== 'RUNNING') ?? order[0]!;
      this.entries.delete(victim);
    }
  }
}
