/**
 * Reads an event log's complete lines from a byte offset, for the history server's index and its
 * page cache. Only bytes up to the last newline count as read: a torn last line (a writer mid-
 * write, or killed) is left on disk and read again, whole, next time. A fingerprint of the bytes
 * before the offset (the first and the last 128) tells a log that grew from one that was
 * replaced or truncated under the same name, which must be read again from the start.
 * Used by run-index.ts and replay-cache.ts. THREADING: event loop; async I/O only.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { KindlingError } from '@kindling/shared/compute';

/** Where a previous read of a log stopped. */
export interface TailPoint {
  /** Bytes consumed: the end of the last complete line. */
  readonly offset: number;
  readonly fingerprint: string;
}

/** What one read did. */
export interface TailResult extends TailPoint {
  /** Bytes read from disk by this call (the torn tail included). */
  readonly bytesRead: number;
  /** True when the log was read from the start (new, or its bytes before `from` changed). */
  readonly fromStart: boolean;
}

const PROBE = 128;
const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Reads `path` from `from` (or the start) to its end, handing whole lines to `onLines`. When the
 * bytes before `from` are not what they were, calls `onRestart` first and reads from the start.
 */
export async function tailLog(
  path: string,
  from: TailPoint | undefined,
  onLines: (text: string) => void,
  onRestart: () => void = () => undefined,
): Promise<TailResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new KindlingError('E_IO', `cannot read event log ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  try {
    let start = 0;
    if (from && from.offset > 0) {
      if ((await fingerprintAt(handle, from.offset)) === from.fingerprint) start = from.offset;
      else onRestart();
    }
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    let pos = start;
    let consumed = start;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      // A newline byte never occurs inside a UTF-8 multi-byte character: cutting there is safe.
      const last = data.lastIndexOf(NEWLINE);
      if (last >= 0) {
        onLines(data.toString('utf8', 0, last + 1));
        consumed += last + 1;
      }
      carry = Buffer.from(data.subarray(last + 1));
    }
    return { offset: consumed, fingerprint: await fingerprintAt(handle, consumed), bytesRead: pos - start, fromStart: start === 0 };
  } finally {
    await handle.close();
  }
}

/** A hash of the first and the last PROBE bytes before `offset` ('' past the end of the file). */
async function fingerprintAt(handle: FileHandle, offset: number): Promise<string> {
  const headLen = Math.min(PROBE, offset);
  const tailLen = Math.min(PROBE, offset);
  const probe = Buffer.alloc(headLen + tailLen);
  const a = await handle.read(probe, 0, headLen, 0);
  const b = await handle.read(probe, headLen, tailLen, offset - tailLen);
  if (a.bytesRead < headLen || b.bytesRead < tailLen) return '';
  return createHash('sha1').update(String(offset)).update(probe).digest('hex');
}
