/**
 * The wire codec: protocol messages ⇄ msgpack bytes, with validation (parseMessage) on both
 * ways and a size limit, plus the chunking that carries messages larger than the NATS
 * server's max_payload (chunkPayload on the sending side, ChunkAssembler on the receiving
 * side). Transports call it; nothing else touches bytes.
 *
 * Typed arrays travel as msgpackr typed-array extensions, so a Float64Array comes back as a
 * Float64Array (copied, hence aligned), never as a Buffer of its bytes.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { KindlingError, toWireError } from './errors.js';
import { parseMessage, PROTOCOL_VERSION, type Ack, type Message } from './protocol.js';

/** Largest encoded message accepted or produced by default: 256 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Header naming the message a chunk belongs to. */
export const CHUNK_ID_HEADER = 'Kindling-Msg';
/** Header `<i>/<n>`: chunk i (0-based) of n. */
export const CHUNK_INDEX_HEADER = 'Kindling-Chunk';

/** Size limit of encode/decode. */
export interface CodecOptions {
  /** Default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
}

let packrInstance: Packr | undefined;

/**
 * The one Packr, made on the first message. msgpackr is required (its CommonJS build, the same
 * code as its ES one) only then, synchronously: a local-mode job sends no message and should not
 * pay its import (~25 ms, most of it probing for the optional native extractor) at start.
 */
function packr(): Packr {
  if (packrInstance === undefined) {
    const { Packr } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    // moreTypes: typed arrays round-trip as typed arrays; useRecords false: plain msgpack maps
    // (no shared record structures, so each message decodes on its own).
    packrInstance = new Packr({ moreTypes: true, useRecords: false });
  }
  return packrInstance;
}

/** Validates and encodes one message; throws E_BAD_MESSAGE if invalid or larger than the limit. */
export function encodeMessage(msg: Message, opts: CodecOptions = {}): Uint8Array {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const valid = parseMessage(msg);
  let bytes: Uint8Array;
  try {
    bytes = packr().pack(valid);
  } catch (err) {
    throw new KindlingError(
      'E_BAD_MESSAGE',
      `${msg.type}: cannot encode: ${err instanceof Error ? err.message : String(err)}`,
      {},
      { cause: err },
    );
  }
  if (bytes.length > max) {
    throw new KindlingError('E_BAD_MESSAGE', `${msg.type}: encoded size ${bytes.length} bytes exceeds the limit of ${max} bytes`, {
      size: bytes.length,
      limit: max,
    });
  }
  return bytes;
}

/**
 * Decodes and validates one message. Throws E_BAD_MESSAGE for oversized, undecodable or
 * invalid bytes, E_PROTOCOL_VERSION for another protocol version.
 */
export function decodeMessage(bytes: Uint8Array, opts: CodecOptions = {}): Message {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (bytes.length > max) {
    throw new KindlingError('E_BAD_MESSAGE', `message of ${bytes.length} bytes exceeds the limit of ${max} bytes`, {
      size: bytes.length,
      limit: max,
    });
  }
  if (bytes.length === 0) throw new KindlingError('E_BAD_MESSAGE', 'empty message', { size: 0 });
  let value: unknown;
  try {
    value = packr().unpack(bytes);
  } catch (err) {
    throw new KindlingError(
      'E_BAD_MESSAGE',
      `undecodable message (${bytes.length} bytes): ${err instanceof Error ? err.message : String(err)}`,
      {
        size: bytes.length,
      },
    );
  }
  return parseMessage(value);
}

/** A positive Ack. */
export function okAck(): Ack {
  return { type: 'ack', version: PROTOCOL_VERSION, ok: true };
}

/** A negative Ack carrying any thrown value as a WireError (fromWireError rebuilds it). */
export function errorAck(err: unknown): Ack {
  return { type: 'ack', version: PROTOCOL_VERSION, ok: false, error: toWireError(err) };
}

/** Splits bytes into views of at most `maxChunk` bytes each, in order (at least one chunk). */
export function chunkPayload(bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  if (!Number.isInteger(maxChunk) || maxChunk < 1) {
    throw new KindlingError('E_INTERNAL', `chunk size must be a positive integer, got ${maxChunk}`);
  }
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += maxChunk) chunks.push(bytes.subarray(off, Math.min(bytes.length, off + maxChunk)));
  if (chunks.length === 0) chunks.push(bytes.subarray(0, 0));
  return chunks;
}

/** Formats the Kindling-Chunk header value. */
export function formatChunkHeader(index: number, count: number): string {
  return `${index}/${count}`;
}

/** Parses a Kindling-Chunk header value; throws E_BAD_MESSAGE if malformed. */
export function parseChunkHeader(value: string): { index: number; count: number } {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new KindlingError(
      'E_BAD_MESSAGE',
      `bad ${CHUNK_INDEX_HEADER} header ${JSON.stringify(value.slice(0, 40))}: expected <i>/<n> with 0 <= i < n`,
    );
  }
  return { index, count };
}

/** Limits of a ChunkAssembler. */
export interface ChunkAssemblerOptions {
  /** Largest reassembled message; default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
  /** Bytes held across all incomplete messages (a last chunk may pass it); default 2 × maxMessageBytes. */
  readonly maxPendingBytes?: number;
  /** An incomplete message older than this is dropped; default 60 s. */
  readonly timeoutMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface Pending {
  readonly count: number;
  readonly parts: Uint8Array[];
  bytes: number;
  readonly startedAt: number;
}

/** How many dropped message ids are remembered so that their late chunks are ignored quietly. */
const DROPPED_MEMORY = 1024;

/**
 * Reassembles chunked messages. NATS keeps the order of one publisher's messages on one
 * subject, so chunks must arrive in order: a repeated chunk is ignored, a gap drops the
 * message (its remaining chunks are then ignored). Size limits and the timeout bound the
 * memory a sender can make the receiver hold.
 */
export class ChunkAssembler {
  private readonly maxMessageBytes: number;
  private readonly maxPendingBytes: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();
  private readonly dropped = new Set<string>();
  private pendingBytesTotal = 0;

  constructor(opts: ChunkAssemblerOptions = {}) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxPendingBytes = opts.maxPendingBytes ?? 2 * this.maxMessageBytes;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Bytes currently held for incomplete messages. */
  get pendingBytes(): number {
    return this.pendingBytesTotal;
  }

  /** Number of incomplete messages held. */
  get pendingMessages(): number {
    return this.pending.size;
  }

  /**
   * Adds chunk `index` (0-based) of `count` of message `id`. Returns the whole message once
   * its last chunk arrived, otherwise undefined. Throws E_BAD_MESSAGE (and forgets the
   * message) on a gap, an inconsistent count, or a size limit.
   */
  add(id: string, index: number, count: number, data: Uint8Array): Uint8Array | undefined {
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
      this.drop(id);
      throw new KindlingError('E_BAD_MESSAGE', `message ${id}: bad chunk number ${index}/${count}`, { id });
    }
    if (this.dropped.has(id)) return undefined;
    let p = this.pending.get(id);
    if (p === undefined) {
      if (index !== 0) {
        this.drop(id);
        throw new KindlingError(
          'E_BAD_MESSAGE',
          `message ${id}: chunk ${index}/${count} arrived without the chunks before it; message dropped`,
          { id },
        );
      }
      if (count === 1) return this.checkSize(id, data.length) ? data.slice() : undefined;
      p = { count, parts: [], bytes: 0, startedAt: this.now() };
      this.pending.set(id, p);
    }
    if (count !== p.count) {
      this.drop(id);
      throw new KindlingError('E_BAD_MESSAGE', `message ${id}: chunk count changed from ${p.count} to ${count}; message dropped`, { id });
    }
    if (index < p.parts.length) return undefined; // a repeat of a chunk already held
    if (index > p.parts.length) {
      this.drop(id);
      throw new KindlingError(
        'E_BAD_MESSAGE',
        `message ${id}: chunk ${index}/${count} arrived after ${p.parts.length - 1}/${count} (chunks missing); message dropped`,
        { id },
      );
    }
    if (p.bytes + data.length > this.maxMessageBytes) {
      this.drop(id);
      throw new KindlingError('E_BAD_MESSAGE', `message ${id}: exceeds the limit of ${this.maxMessageBytes} bytes; message dropped`, {
        id,
        limit: this.maxMessageBytes,
      });
    }
    // The last chunk is exempt: it releases the message's bytes at once.
    const last = index === p.count - 1;
    if (!last && this.pendingBytesTotal + data.length > this.maxPendingBytes) {
      this.drop(id);
      throw new KindlingError(
        'E_BAD_MESSAGE',
        `message ${id}: incomplete messages would hold more than ${this.maxPendingBytes} bytes; message dropped`,
        {
          id,
          limit: this.maxPendingBytes,
        },
      );
    }
    // Copy: the transport's receive buffer may be reused, and a view would pin all of it.
    p.parts.push(data.slice());
    p.bytes += data.length;
    this.pendingBytesTotal += data.length;
    if (p.parts.length < p.count) return undefined;

    this.pending.delete(id);
    this.pendingBytesTotal -= p.bytes;
    const whole = new Uint8Array(p.bytes);
    let off = 0;
    for (const part of p.parts) {
      whole.set(part, off);
      off += part.length;
    }
    return whole;
  }

  /** Drops incomplete messages older than the timeout; returns their ids. */
  expire(): string[] {
    const limit = this.now() - this.timeoutMs;
    const gone: string[] = [];
    for (const [id, p] of this.pending) {
      if (p.startedAt <= limit) gone.push(id);
    }
    for (const id of gone) this.drop(id);
    return gone;
  }

  /** Forgets every incomplete message. */
  clear(): void {
    this.pending.clear();
    this.pendingBytesTotal = 0;
  }

  private checkSize(id: string, size: number): boolean {
    if (size <= this.maxMessageBytes) return true;
    this.drop(id);
    throw new KindlingError('E_BAD_MESSAGE', `message ${id}: exceeds the limit of ${this.maxMessageBytes} bytes; message dropped`, {
      id,
      limit: this.maxMessageBytes,
    });
  }

  private drop(id: string): void {
    const p = this.pending.get(id);
    if (p !== undefined) {
      this.pending.delete(id);
      this.pendingBytesTotal -= p.bytes;
    }
    this.dropped.add(id);
    if (this.dropped.size > DROPPED_MEMORY) {
      const oldest = this.dropped.values().next();
      if (oldest.done !== true) this.dropped.delete(oldest.value);
    }
  }
}
