/**
 * The history server's index, persisted beside the logs as `.kindling-history-index.json`, so a
 * restarted server reads no log that has not changed since (Spark's History Server keeps a
 * listing DB for the same reason: restarts over thousands of logs took hours). Written through
 * a temporary file and a rename, so a reader (or a second server) sees the old index or the
 * new one, never half of one. An index that is missing, from another format or garbage is
 * ignored (every log is read again); a malformed entry drops only that log's entry.
 * Used by run-index.ts. THREADING: event loop; async I/O only.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { EventLogDamage } from '../events/event-log-reader.js';
import type { RunSummary } from './run-summary.js';

export const INDEX_FILE = '.kindling-history-index.json';
/** The names of logs the server reads: `<runId>.jsonl`, no path separators. */
export const LOG_NAME = /^[A-Za-z0-9_.-]+\.jsonl$/;
const FORMAT = 1;

/** One log's entry: its identity when read, where the read stopped, and the summary. */
export interface IndexEntry {
  /** File name in the folder (`<runId>.jsonl`). */
  readonly name: string;
  ino: number;
  size: number;
  mtimeMs: number;
  offset: number;
  fingerprint: string;
  /** Complete lines read (damage line numbers continue from here). */
  lines: number;
  summary: RunSummary;
  damage: EventLogDamage[];
}

/** Reads the index of `dir`; entries by file name (empty when there is none or it cannot be used). */
export async function loadIndex(dir: string): Promise<Map<string, IndexEntry>> {
  const out = new Map<string, IndexEntry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(join(dir, INDEX_FILE), 'utf8'));
  } catch {
    return out;
  }
  const doc = parsed as { format?: unknown; runs?: unknown };
  if (doc?.format !== FORMAT || !Array.isArray(doc.runs)) return out;
  for (const e of doc.runs as Array<Partial<IndexEntry>>) {
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (
      typeof e?.name === 'string' &&
      LOG_NAME.test(e.name) &&
      num(e.ino) &&
      num(e.size) &&
      num(e.mtimeMs) &&
      num(e.offset) &&
      num(e.lines) &&
      typeof e.fingerprint === 'string' &&
      typeof e.summary === 'object' &&
      e.summary !== null &&
      ['RUNNING', 'SUCCEEDED', 'FAILED'].includes(e.summary.recorded) &&
      Array.isArray(e.damage)
    )
      out.set(e.name, e as IndexEntry);
  }
  return out;
}

/** Writes the index of `dir` atomically; rejects when the folder cannot be written. */
export async function saveIndex(dir: string, entries: Iterable<IndexEntry>): Promise<void> {
  const file = join(dir, INDEX_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const body = JSON.stringify({ format: FORMAT, runs: [...entries] });
  try {
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
