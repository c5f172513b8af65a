/**
 * Reads event logs written by EventLogWriter, whole or incrementally: EventLogParser takes the
 * bytes as they arrive (a history server tails a log from its last offset, never re-reading
 * it), keeps an unfinished last line for later, and records damage — a line that is not JSON,
 * or not an object with an `event` field — with its line number, without stopping. A log
 * whose last line lacks its newline is just truncated (a killed driver), not damaged.
 * Used by the history server and by tests. THREADING: event loop; readEventLog is async I/O.
 */
import { open } from 'node:fs/promises';
import { KindlingError } from '@kindling/shared/compute';

/** One record of a log: `event` names it, `ts` is ms since epoch. */
export type EventLogRecord = { readonly event: string; readonly ts?: number } & Record<string, unknown>;

/** A damaged line: where and why. */
export interface EventLogDamage {
  readonly line: number;
  readonly message: string;
}

/** Parses a log's bytes in order; push() as many chunks as arrive. */
export class EventLogParser {
  /** Lines consumed so far (complete lines only). */
  lines = 0;
  readonly damage: EventLogDamage[] = [];
  private pending = '';

  /** Feeds the next chunk; returns the complete records it finished. */
  push(chunk: string): EventLogRecord[] {
    const text = this.pending + chunk;
    const out: EventLogRecord[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      this.lines++;
      const rec = this.parseLine(text.slice(start, nl), this.lines);
      if (rec) out.push(rec);
      start = nl + 1;
    }
    this.pending = text.slice(start);
    return out;
  }

  /** True when bytes after the last newline are waiting (a truncated or still-written line). */
  get hasPartialLine(): boolean {
    return this.pending.length > 0;
  }

  private parseLine(line: string, lineNo: number): EventLogRecord | undefined {
    if (line.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      this.damage.push({ line: lineNo, message: `not JSON: ${(err as Error).message}` });
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { event?: unknown }).event !== 'string') {
      this.damage.push({ line: lineNo, message: 'not an event record (an object with a string "event" field)' });
      return undefined;
    }
    return value as EventLogRecord;
  }
}

/** A whole log as read from disk. */
export interface EventLog {
  readonly path: string;
  readonly records: EventLogRecord[];
  readonly damage: readonly EventLogDamage[];
  /** The last line had no newline (the writer died mid-line or is still writing). */
  readonly truncated: boolean;
}

/** Reads a log file from `offset` (default 0) to its current end. */
export async function readEventLog(path: string): Promise<EventLog> {
  const parser = new EventLogParser();
  const records: EventLogRecord[] = [];
  await readFrom(path, 0, (chunk) => records.push(...parser.push(chunk)));
  return { path, records, damage: parser.damage, truncated: parser.hasPartialLine };
}

/**
 * Reads `path` from byte `offset` to its end in 1 MiB chunks, handing each chunk to `onChunk`;
 * resolves to the new offset. Multi-byte characters split across chunks are kept whole.
 */
export async function readFrom(path: string, offset: number, onChunk: (text: string) => void): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new KindlingError('E_IO', `cannot read event log ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const decoder = new TextDecoder('utf-8');
    let pos = offset;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      onChunk(decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
    }
    return pos;
  } finally {
    await handle.close();
  }
}
