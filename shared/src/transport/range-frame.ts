/**
 * Range frames: how a RangeData reply to a FetchRange crosses the wire. The bytes of a file
 * range are the NATS payload after a small fixed header, cut at the server's max_payload: no
 * msgpack encoding, no chunk reassembly. The receiver validates each frame's header against
 * the request it answers and writes the frame's bytes straight at their offset in the
 * destination buffer, so a range costs one copy on each side beyond the NATS client's own.
 *
 * Layout (little-endian), 42 bytes + the job id:
 *   0  0xc1, a byte msgpack never uses, so a frame cannot be taken for an encoded message
 *   1  0x52 ('R'), the frame kind
 *   2  u16 protocol version
 *   4  u32 frame index, 8 u32 frame count, 12 u32 frame size (every frame but the last
 *      carries exactly this many bytes, so the offset of frame i is i × frame size)
 *  16  f64 range start, 24 f64 range end (as requested), 32 f64 bytes in the reply
 *  40  u16 job id length, then the job id in UTF-8, then the bytes
 *
 * Both transports (NATS and the in-process bus) use this module, so tests without a server
 * exercise the same framing and the same refusals.
 */
import { KindlingError, fromWireError } from '../errors.js';
import { PROTOCOL_VERSION, type FetchRange, type Message } from '../protocol.js';
import type { RangeReplySource } from './transport.js';

const MAGIC = 0xc1;
const KIND_RANGE = 0x52;
const FIXED = 42;
const MAX_JOB_ID_BYTES = 0xffff;
const encoder = new TextEncoder();

/** True when a payload is a range frame rather than an encoded message. */
export function isRangeFrame(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === MAGIC && data[1] === KIND_RANGE;
}

/** One frame of a reply, header written: `body` (a view of `frame`) is where bytes [offset, offset + body.length) go. */
export interface RangeFrameSlot {
  readonly frame: Uint8Array;
  readonly body: Uint8Array;
  readonly offset: number;
}

/**
 * The frames of a reply carrying `total` bytes for the request `req`, each at most
 * `maxPayload` bytes, headers written and bodies to fill. Yielded one at a time so a sender
 * fills and publishes a frame before the next exists. A reply whose length is not the
 * request's is framed as it is: the receiver decides.
 */
export function* rangeFrameSlots(
  req: Pick<FetchRange, 'jobId' | 'start' | 'end'>,
  total: number,
  maxPayload: number,
): Generator<RangeFrameSlot> {
  const job = encoder.encode(req.jobId);
  if (job.length > MAX_JOB_ID_BYTES) throw new KindlingError('E_INVALID_VALUE', `job id of ${job.length} bytes cannot be framed`);
  const head = FIXED + job.length;
  const frameSize = maxPayload - head;
  if (!Number.isInteger(frameSize) || frameSize < 1) {
    throw new KindlingError('E_INTERNAL', `max_payload ${maxPayload} leaves no room for range bytes after a ${head}-byte header`);
  }
  const count = Math.max(1, Math.ceil(total / frameSize));
  for (let i = 0; i < count; i++) {
    const offset = i * frameSize;
    const frame = new Uint8Array(head + Math.min(frameSize, total - offset));
    const dv = new DataView(frame.buffer, frame.byteOffset, head);
    frame[0] = MAGIC;
    frame[1] = KIND_RANGE;
    dv.setUint16(2, PROTOCOL_VERSION, true);
    dv.setUint32(4, i, true);
    dv.setUint32(8, count, true);
    dv.setUint32(12, frameSize, true);
    dv.setFloat64(16, req.start, true);
    dv.setFloat64(24, req.end, true);
    dv.setFloat64(32, total, true);
    dv.setUint16(40, job.length, true);
    frame.set(job, FIXED);
    yield { frame, body: frame.subarray(head), offset };
  }
}

/** The frames of a reply carrying `bytes` (copied into them) for the request `req`. */
export function* rangeFrames(
  req: Pick<FetchRange, 'jobId' | 'start' | 'end'>,
  bytes: Uint8Array,
  maxPayload: number,
): Generator<Uint8Array> {
  for (const slot of rangeFrameSlots(req, bytes.length, maxPayload)) {
    slot.body.set(bytes.subarray(slot.offset, slot.offset + slot.body.length));
    yield slot.frame;
  }
}

/**
 * Sends a reply to `req` as frames of at most `maxPayload` bytes: `answer`'s bytes copied into
 * each frame, or read straight into it by a RangeReplySource, one frame after the other
 * (`publish` may wait, to pace the sender). Rejects when a read or a publish fails, after
 * which the caller tells the requester.
 */
export async function publishRangeReply(
  req: Pick<FetchRange, 'jobId' | 'start' | 'end'>,
  answer: Uint8Array | RangeReplySource,
  maxPayload: number,
  publish: (frame: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const bytes = answer instanceof Uint8Array ? answer : undefined;
  const source = answer instanceof Uint8Array ? undefined : answer;
  for (const slot of rangeFrameSlots(req, answer.length, maxPayload)) {
    if (bytes !== undefined) slot.body.set(bytes.subarray(slot.offset, slot.offset + slot.body.length));
    else await source!.read(slot.body, slot.offset);
    await publish(slot.frame);
  }
}

/**
 * Gathers the frames of one reply into a buffer. Every frame is checked before any byte of it
 * is written: version, job, range, reply length, frame index and size; a bad frame throws
 * E_BAD_MESSAGE (E_PROTOCOL_VERSION for another version) and the caller fails the request.
 * With a destination (fetchRange) the reply must carry exactly the range asked for; without
 * one (a plain request) it may be shorter, as a range past the end of the file is.
 */
export class RangeReceiver {
  private readonly job: Uint8Array;
  private readonly length: number;
  private seen: Uint8Array | undefined;
  private frameSize = 0;
  private missing = 0;
  private out: Uint8Array | undefined;
  private readonly strict: boolean;

  /**
   * `into`: where the bytes go (`req.end - req.start` long); without it a buffer is allocated
   * at the first valid frame, refused above `maxBytes`.
   */
  constructor(
    private readonly req: Pick<FetchRange, 'jobId' | 'start' | 'end'>,
    into: Uint8Array | undefined,
    private readonly maxBytes = Infinity,
  ) {
    this.job = encoder.encode(req.jobId);
    this.length = req.end - req.start;
    if (into !== undefined && into.length !== this.length) {
      throw new KindlingError('E_INTERNAL', `destination of ${into.length} bytes for a range of ${this.length}`);
    }
    this.out = into;
    this.strict = into !== undefined;
  }

  /** The reply's bytes once complete(). */
  get bytes(): Uint8Array {
    return this.out ?? new Uint8Array(0);
  }

  /** Adds one frame; returns true once every frame of the reply has arrived. */
  add(frame: Uint8Array): boolean {
    const bad = (why: string): KindlingError =>
      new KindlingError('E_BAD_MESSAGE', `range-data for ${this.req.start}–${this.req.end} of job ${this.req.jobId}: ${why}`, {
        jobId: this.req.jobId,
        start: this.req.start,
        end: this.req.end,
      });
    if (frame.length < FIXED || !isRangeFrame(frame)) throw bad(`not a range frame (${frame.length} bytes)`);
    const dv = new DataView(frame.buffer, frame.byteOffset, FIXED);
    const version = dv.getUint16(2, true);
    if (version !== PROTOCOL_VERSION) {
      throw new KindlingError(
        'E_PROTOCOL_VERSION',
        `range-data: protocol version ${version}, this side speaks version ${PROTOCOL_VERSION}`,
        {
          type: 'range-data',
          received: version,
          expected: PROTOCOL_VERSION,
        },
      );
    }
    const jobLength = dv.getUint16(40, true);
    const head = FIXED + jobLength;
    if (frame.length < head) throw bad(`header of ${head} bytes in a frame of ${frame.length}`);
    if (!sameBytes(frame.subarray(FIXED, head), this.job)) throw bad('the frame is for another job');
    const start = dv.getFloat64(16, true);
    const end = dv.getFloat64(24, true);
    if (start !== this.req.start || end !== this.req.end) throw bad(`the frame is for the range ${start}–${end}`);
    const total = dv.getFloat64(32, true);
    const fits = this.strict ? total === this.length : Number.isSafeInteger(total) && total >= 0 && total <= this.length;
    if (!fits) throw bad(`the driver sent ${total} bytes (${this.length} expected)`);
    const index = dv.getUint32(4, true);
    const count = dv.getUint32(8, true);
    const frameSize = dv.getUint32(12, true);
    if (this.seen === undefined) {
      if (frameSize < 1 || count !== Math.max(1, Math.ceil(total / frameSize))) throw bad(`${count} frames of ${frameSize} bytes`);
      if (this.out === undefined) {
        if (total > this.maxBytes) throw bad(`${total} bytes exceed the limit of ${this.maxBytes}`);
        this.out = new Uint8Array(total);
      }
      this.seen = new Uint8Array(count);
      this.missing = count;
      this.frameSize = frameSize;
    } else if (count !== this.seen.length || frameSize !== this.frameSize) {
      throw bad(`frame ${index} says ${count} frames of ${frameSize} bytes, the first said ${this.seen.length} of ${this.frameSize}`);
    }
    if (index >= count || this.seen[index] === 1) throw bad(`frame ${index} of ${count} is out of range or repeated`);
    const at = index * frameSize;
    const expected = Math.min(frameSize, total - at);
    if (frame.length - head !== expected) throw bad(`frame ${index} carries ${frame.length - head} bytes (${expected} expected)`);
    this.out!.set(frame.subarray(head), at);
    this.seen[index] = 1;
    return --this.missing === 0;
  }
}

/**
 * The end of a fetchRange: the frames already filled `into`; a RangeData that came through
 * the codec instead (a responder replying outside the FetchRange handler's reply) is checked
 * and copied; a negative Ack rejects with its error.
 */
export function settleRangeReply(subject: string, req: FetchRange, into: Uint8Array, reply: Message | undefined): void {
  if (reply === undefined) throw new KindlingError('E_IO', `request to ${subject} got no reply`, { subject });
  if (reply.type === 'range-data') {
    if (reply.bytes === into) return;
    if (reply.bytes.length !== into.length) {
      throw new KindlingError(
        'E_BAD_MESSAGE',
        `range-data for ${req.start}–${req.end} of job ${req.jobId}: the driver sent ${reply.bytes.length} bytes (${into.length} expected)`,
        { jobId: req.jobId, start: req.start, end: req.end },
      );
    }
    into.set(reply.bytes);
    return;
  }
  if (reply.type === 'ack' && !reply.ok && reply.error !== undefined) throw fromWireError(reply.error);
  throw new KindlingError('E_BAD_MESSAGE', `reply to ${subject}: expected range-data, received ${reply.type}`, { subject });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
