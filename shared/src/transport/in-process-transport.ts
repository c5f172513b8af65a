/**
 * InProcessTransport: a tiny in-memory message bus implementing Transport, for unit tests of
 * the NATS-facing backends without a server. Every message is encoded and decoded through
 * the codec (a RangeData answering a FetchRange as range frames, as over NATS), so tests
 * exercise validation, framing and size limits as over NATS; delivery is
 * asynchronous and keeps each publisher's order, subjects match NATS-style (`*`, `>`), and
 * queue groups hand each message to one member (round robin).
 */
import { DEFAULT_MAX_MESSAGE_BYTES, decodeMessage, encodeMessage, errorAck, type CodecOptions } from '../codec.js';
import { KindlingError, fromWireError } from '../errors.js';
import { PROTOCOL_VERSION, subjects, type FetchRange, type Message, type MessageType, type Subjects } from '../protocol.js';
import type { MessageHandler, ReplyAnswer, Subscription, Transport, TransportStatus } from './transport.js';
import { stderrTransportLogger, type TransportLogger } from './nats-transport.js';
import { RangeReceiver, isRangeFrame, publishRangeReply, settleRangeReply } from './range-frame.js';
import { ReplyCollector } from './reply-collector.js';

interface BusSubscription {
  readonly pattern: readonly string[];
  readonly queue: string | undefined;
  readonly deliver: (bytes: Uint8Array, replyTo: string | undefined) => void;
}

/** The shared medium several InProcessTransports talk over (one per simulated cluster). */
export class InProcessBus {
  private readonly subs = new Set<BusSubscription>();
  private readonly queueTurns = new Map<string, number>();
  private inboxSerial = 0;

  constructor(
    /** Reported as maxPayload by every transport on this bus. */
    readonly maxPayload = 1024 * 1024,
    readonly codec: CodecOptions = {},
  ) {}

  /** A new transport on this bus. */
  connect(opts: { readonly prefix?: string; readonly log?: TransportLogger } = {}): InProcessTransport {
    return new InProcessTransport(this, opts.prefix ?? 'kindling', opts.log ?? stderrTransportLogger);
  }

  /** Delivers raw bytes to every matching subscription (tests inject garbage this way). Returns the number of receivers. */
  publishRaw(subject: string, bytes: Uint8Array, replyTo?: string): number {
    const tokens = subject.split('.');
    const receivers: BusSubscription[] = [];
    const groups = new Map<string, BusSubscription[]>();
    for (const s of this.subs) {
      if (!matches(s.pattern, tokens)) continue;
      if (s.queue === undefined) receivers.push(s);
      else {
        const key = `${s.queue}\u0000${s.pattern.join('.')}`;
        const members = groups.get(key) ?? [];
        members.push(s);
        groups.set(key, members);
      }
    }
    for (const [key, members] of groups) {
      const turn = this.queueTurns.get(key) ?? 0;
      this.queueTurns.set(key, turn + 1);
      receivers.push(members[turn % members.length]!);
    }
    // Asynchronous like a network, in publish order (setImmediate callbacks run FIFO).
    for (const r of receivers) setImmediate(() => r.deliver(bytes, replyTo));
    return receivers.length;
  }

  /** @internal */
  add(sub: BusSubscription): void {
    this.subs.add(sub);
  }

  /** @internal */
  remove(sub: BusSubscription): void {
    this.subs.delete(sub);
  }

  /** @internal */
  newInbox(): string {
    return `_INBOX.inproc.${++this.inboxSerial}`;
  }
}

/** A Transport over an InProcessBus. */
export class InProcessTransport implements Transport {
  /** Subjects under this transport's prefix. */
  readonly subjects: Subjects;
  private readonly mine = new Set<BusSubscription>();
  private readonly listeners = new Set<(status: TransportStatus, detail?: string) => void>();
  private closed = false;

  /** Use InProcessBus.connect. */
  constructor(
    private readonly bus: InProcessBus,
    readonly prefix: string,
    private readonly log: TransportLogger,
  ) {
    this.subjects = subjects(prefix);
  }

  get maxPayload(): number {
    return this.bus.maxPayload;
  }

  async publish(subject: string, msg: Message): Promise<void> {
    this.assertOpen();
    this.bus.publishRaw(subject, encodeMessage(msg, this.bus.codec));
  }

  async request<T extends MessageType>(
    subject: string,
    msg: Message,
    opts: { readonly expect: T; readonly timeoutMs: number },
  ): Promise<Extract<Message, { type: T }>> {
    const [reply] = await this.exchange(subject, msg, opts.timeoutMs, true);
    if (reply === undefined) throw new KindlingError('E_IO', `request to ${subject} got no reply`, { subject });
    if (isOfType(reply, opts.expect)) return reply;
    if (reply.type === 'ack' && !reply.ok && reply.error !== undefined) throw fromWireError(reply.error);
    throw new KindlingError('E_BAD_MESSAGE', `reply to ${subject}: expected ${opts.expect}, received ${reply.type}`, { subject });
  }

  async requestMany(subject: string, msg: Message, opts: { readonly timeoutMs: number }): Promise<Message[]> {
    return this.exchange(subject, msg, opts.timeoutMs, false);
  }

  async fetchRange(subject: string, req: FetchRange, into: Uint8Array, opts: { readonly timeoutMs: number }): Promise<void> {
    const [reply] = await this.exchange(subject, req, opts.timeoutMs, true, new RangeReceiver(req, into));
    settleRangeReply(subject, req, into, reply);
  }

  subscribe(subject: string, handler: MessageHandler, opts: { readonly queue?: string } = {}): Subscription {
    this.assertOpen();
    const sub: BusSubscription = {
      pattern: subject.split('.'),
      queue: opts.queue,
      deliver: (bytes, replyTo) => {
        if (this.closed) return;
        let msg: Message;
        try {
          msg = decodeMessage(bytes, this.bus.codec);
        } catch (e) {
          this.log.warn({ subject, code: e instanceof KindlingError ? e.code : undefined, reason: text(e) }, 'rejected message');
          return;
        }
        let replied = false;
        const reply =
          replyTo === undefined
            ? undefined
            : async (answer: ReplyAnswer): Promise<void> => {
                if (answer.type === 'range-source' || (answer.type === 'range-data' && msg.type === 'fetch-range')) {
                  if (msg.type !== 'fetch-range') throw new KindlingError('E_INTERNAL', `a range source cannot answer ${msg.type}`);
                  replied = true;
                  try {
                    await publishRangeReply(msg, answer.type === 'range-data' ? answer.bytes : answer, this.bus.maxPayload, (frame) => {
                      this.bus.publishRaw(replyTo, frame);
                    });
                  } catch (e) {
                    // As over NATS: the requester learns why the remaining frames will not come.
                    this.bus.publishRaw(replyTo, encodeMessage(errorAck(e), this.bus.codec));
                    throw e;
                  }
                  return;
                }
                const bytes = encodeMessage(answer, this.bus.codec);
                replied = true;
                this.bus.publishRaw(replyTo, bytes);
              };
        const failed = (e: unknown): void => {
          this.log.warn({ subject, type: msg.type, reason: text(e) }, 'message handler failed');
          if (reply !== undefined && !replied) void reply(errorAck(e)).catch(() => undefined);
        };
        try {
          const r = handler(msg, reply);
          if (r instanceof Promise) r.catch(failed);
        } catch (e) {
          failed(e);
        }
      },
    };
    this.bus.add(sub);
    this.mine.add(sub);
    return {
      unsubscribe: () => {
        this.bus.remove(sub);
        this.mine.delete(sub);
      },
    };
  }

  async flush(): Promise<void> {
    // Let every delivery scheduled so far run.
    await new Promise((r) => setImmediate(r));
  }

  onStatus(listener: (status: TransportStatus, detail?: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.mine) this.bus.remove(s);
    this.mine.clear();
    for (const l of this.listeners) l('closed');
  }

  private exchange(subject: string, msg: Message, timeoutMs: number, single: boolean, range?: RangeReceiver): Promise<Message[]> {
    this.assertOpen();
    const bytes = encodeMessage(msg, this.bus.codec);
    let frames = range;
    if (frames === undefined && msg.type === 'fetch-range')
      frames = new RangeReceiver(msg, undefined, this.bus.codec.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    const inbox = this.bus.newInbox();
    const sub: BusSubscription = {
      pattern: inbox.split('.'),
      queue: undefined,
      deliver: (b) => {
        if (collector.settled) return;
        try {
          if (frames !== undefined && isRangeFrame(b)) {
            if (frames.add(b)) collector.add({ type: 'range-data', version: PROTOCOL_VERSION, bytes: frames.bytes });
            return;
          }
          collector.add(decodeMessage(b, this.bus.codec));
        } catch (e) {
          if (!collector.badReply(e instanceof Error ? e : new KindlingError('E_BAD_MESSAGE', text(e))))
            this.log.warn({ subject, reason: text(e) }, 'rejected reply');
        }
      },
    };
    const collector = new ReplyCollector(subject, timeoutMs, single, () => this.bus.remove(sub));
    this.bus.add(sub);
    if (this.bus.publishRaw(subject, bytes, inbox) === 0) collector.noResponders();
    return collector.result;
  }

  private assertOpen(): void {
    if (this.closed) throw new KindlingError('E_IO', 'transport is closed');
  }
}

/** NATS subject matching: `*` matches one token, `>` the rest (one or more tokens). */
function matches(pattern: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '>') return tokens.length > i;
    if (i >= tokens.length) return false;
    if (p !== '*' && p !== tokens[i]) return false;
  }
  return pattern.length === tokens.length;
}

function isOfType<T extends MessageType>(m: Message, type: T): m is Extract<Message, { type: T }> {
  return m.type === type;
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
