/**
 * NatsTransport: the real Transport, over a NATS connection (@nats-io/transport-node v3).
 * Driver, executors and CLI clients each hold one; they exchange validated protocol messages
 * and never see bytes, chunks or NATS errors.
 *
 * Messages above the server's max_payload travel as ordered chunks (headers Kindling-Msg and
 * Kindling-Chunk) with a flush every few MiB as flow control. A RangeData answering a
 * FetchRange travels as range frames (range-frame.ts): the file's bytes are the payload, cut
 * at max_payload, written by the requester straight into its buffer. Replies to requests come to
 * this connection's private inbox (one wildcard subscription), so multi-chunk replies work
 * (see exchange for why nats.js's own request does not serve).
 * Invalid input is logged and dropped, never thrown into NATS callbacks.
 */
import { readFileSync } from 'node:fs';
import type { Msg, NatsConnection, NodeConnectionOptions, Subscription as NatsSubscription } from '@nats-io/transport-node';
import {
  CHUNK_ID_HEADER,
  CHUNK_INDEX_HEADER,
  ChunkAssembler,
  DEFAULT_MAX_MESSAGE_BYTES,
  chunkPayload,
  decodeMessage,
  encodeMessage,
  errorAck,
  formatChunkHeader,
  parseChunkHeader,
  type CodecOptions,
} from '../codec.js';
import { KindlingError, fromWireError } from '../errors.js';
import { PROTOCOL_VERSION, subjects, type FetchRange, type Message, type MessageType, type Subjects } from '../protocol.js';
import { RangeReceiver, isRangeFrame, publishRangeReply, settleRangeReply } from './range-frame.js';
import { ReplyCollector } from './reply-collector.js';
import type {
  MessageHandler,
  RangeReplySource,
  ReplyAnswer,
  NatsConnectionOptions,
  Subscription,
  Transport,
  TransportStatus,
} from './transport.js';

/** The NATS client library (@nats-io/transport-node). */
export type NatsClient = typeof import('@nats-io/transport-node');

let natsClient: Promise<NatsClient> | undefined;

/**
 * Loads the NATS client on first use: a local-mode job never connects, and importing the client
 * (~25 ms of CPU) was on the critical path of its start.
 */
export function loadNatsClient(): Promise<NatsClient> {
  return (natsClient ??= import('@nats-io/transport-node'));
}

/** Logger for rejected messages and failed handlers; pino's logger fits. */
export interface TransportLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

/** Tuning of a NatsTransport beyond the connection settings; the defaults suit production. */
export interface NatsTransportTuning {
  /** Largest message sent or accepted (after reassembly); default 256 MiB. */
  readonly maxMessageBytes?: number;
  /** Bytes held across incomplete chunked messages; default 2 × maxMessageBytes. */
  readonly maxPendingBytes?: number;
  /** An incomplete chunked message is dropped after this long; default 60 s. */
  readonly chunkTimeoutMs?: number;
  /** While sending chunks, wait for the server every this many bytes; default 4 MiB. */
  readonly flushEveryBytes?: number;
}

/** Writes one line per event to stderr when the caller gives no logger. */
export const stderrTransportLogger: TransportLogger = {
  warn(obj, msg) {
    process.stderr.write(`kindling transport: ${msg} ${JSON.stringify(obj)}\n`);
  },
};

/** Bytes kept free under max_payload for the chunk headers. */
const HEADER_ROOM = 4096;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A NATS-backed Transport; create it with NatsTransport.connect. */
export class NatsTransport implements Transport {
  /** Subjects under this connection's prefix. */
  readonly subjects: Subjects;
  private readonly codec: CodecOptions;
  private readonly assembler: ChunkAssembler;
  private readonly flushEveryBytes: number;
  private readonly listeners = new Set<(status: TransportStatus, detail?: string) => void>();
  private readonly sweeper: NodeJS.Timeout;
  private lastMaxPayload: number;
  private serial = 0;
  private inbox: string | undefined;
  private readonly waiting = new Map<string, (err: Error | null, m: Msg) => void>();
  /**
   * Tokens of FetchRange requests waiting. A disconnect fails them at once: a range whose
   * request or frames were lost with the connection would otherwise wait out its whole timeout
   * (30 s by default) while the task holds its slot, and an executor draining on SIGTERM would
   * wait with it. The task fails with E_IO and is retried, fetching afresh.
   */
  private readonly fetches = new Set<string>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly nats: NatsClient,
    private readonly nc: NatsConnection,
    readonly prefix: string,
    private readonly log: TransportLogger,
    tuning: NatsTransportTuning,
  ) {
    this.subjects = subjects(prefix);
    const maxMessageBytes = tuning.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.codec = { maxMessageBytes };
    const chunkTimeoutMs = tuning.chunkTimeoutMs ?? 60_000;
    this.assembler = new ChunkAssembler({ maxMessageBytes, maxPendingBytes: tuning.maxPendingBytes, timeoutMs: chunkTimeoutMs });
    this.flushEveryBytes = tuning.flushEveryBytes ?? 4 * 1024 * 1024;
    this.lastMaxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    this.sweeper = setInterval(
      () => {
        for (const id of this.assembler.expire())
          this.log.warn({ id, timeoutMs: chunkTimeoutMs }, 'incomplete chunked message dropped after timeout');
      },
      Math.max(100, Math.min(5_000, chunkTimeoutMs / 2)),
    );
    this.sweeper.unref();
    void this.watchStatus();
  }

  /**
   * Connects to NATS. Rejects with KindlingError 'E_IO' naming the servers and the reason
   * (refused, bad credentials, TLS failure, unreadable TLS file). Reconnects forever by default.
   */
  static async connect(
    opts: NatsConnectionOptions,
    log: TransportLogger = stderrTransportLogger,
    tuning: NatsTransportTuning = {},
  ): Promise<NatsTransport> {
    const servers = (typeof opts.servers === 'string' ? opts.servers.split(',') : [...opts.servers])
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (servers.length === 0) throw new KindlingError('E_IO', 'no NATS server given (servers is empty)');
    const nats = await loadNatsClient();
    const options: NodeConnectionOptions = {
      servers,
      name: opts.name,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 1_000,
      timeout: opts.connectTimeoutMs ?? 10_000,
      ...(opts.user !== undefined ? { user: opts.user, pass: opts.pass ?? '' } : {}),
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      ...(opts.tls !== undefined ? { tls: readTlsFiles(opts.tls) } : {}),
      ...(opts.nkeySeedFile !== undefined
        ? {
            authenticator: nats.nkeyAuthenticator(
              new TextEncoder().encode(new TextDecoder().decode(readSecretFile(opts.nkeySeedFile, 'NKey seed file')).trim()),
            ),
          }
        : {}),
      ...(opts.credsFile !== undefined
        ? { authenticator: nats.credsAuthenticator(readSecretFile(opts.credsFile, 'credentials file')) }
        : {}),
    };
    let nc: NatsConnection;
    try {
      nc = await nats.connect(options);
    } catch (err) {
      throw new KindlingError(
        'E_IO',
        `cannot connect to NATS at ${servers.join(',')}: ${describeConnectError(err, options, opts)}`,
        { servers },
        { cause: err },
      );
    }
    const t = new NatsTransport(nats, nc, opts.prefix ?? 'kindling', log, tuning);
    log.info?.({ server: nc.getServer(), maxPayload: t.maxPayload, name: opts.name }, 'connected to NATS');
    return t;
  }

  /** The server's max_payload (last known while disconnected). */
  get maxPayload(): number {
    const p = this.nc.info?.max_payload;
    if (typeof p === 'number' && p > 0) this.lastMaxPayload = p;
    return this.lastMaxPayload;
  }

  /** The server this transport is connected to (host:port). */
  get server(): string {
    return this.nc.getServer();
  }

  async publish(subject: string, msg: Message): Promise<void> {
    await this.send(subject, encodeMessage(msg, this.codec), undefined);
  }

  /**
   * See Transport.request. A negative Ack carrying an error (what a responder whose handler
   * threw answers) rejects with that error, rebuilt by fromWireError, unless `expect` is 'ack'.
   */
  async request<T extends MessageType>(
    subject: string,
    msg: Message,
    opts: { readonly expect: T; readonly timeoutMs: number },
  ): Promise<Extract<Message, { type: T }>> {
    const [reply] = await this.exchange(subject, msg, opts.timeoutMs, true);
    if (reply === undefined) throw new KindlingError('E_IO', `request to ${subject} got no reply`, { subject });
    if (isOfType(reply, opts.expect)) return reply;
    // A responder whose handler failed answers with a negative Ack: surface its error.
    if (reply.type === 'ack' && !reply.ok && reply.error !== undefined) throw fromWireError(reply.error);
    throw new KindlingError('E_BAD_MESSAGE', `reply to ${subject}: expected ${opts.expect}, received ${reply.type}`, {
      subject,
      expected: opts.expect,
      received: reply.type,
    });
  }

  async requestMany(subject: string, msg: Message, opts: { readonly timeoutMs: number }): Promise<Message[]> {
    return this.exchange(subject, msg, opts.timeoutMs, false);
  }

  async fetchRange(subject: string, req: FetchRange, into: Uint8Array, opts: { readonly timeoutMs: number }): Promise<void> {
    const [reply] = await this.exchange(subject, req, opts.timeoutMs, true, new RangeReceiver(req, into));
    settleRangeReply(subject, req, into, reply);
  }

  /**
   * Subscribes. The server learns of the subscription asynchronously: await flush() after
   * subscribing when a peer is about to publish.
   */
  subscribe(subject: string, handler: MessageHandler, opts: { readonly queue?: string } = {}): Subscription {
    const key = `s${++this.serial}`;
    let sub: NatsSubscription;
    try {
      sub = this.nc.subscribe(subject, {
        ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
        callback: (err, m) => {
          this.deliver(key, subject, handler, err, m);
        },
      });
    } catch (err) {
      throw new KindlingError('E_IO', `cannot subscribe to ${subject}: ${errorText(err)}`, { subject }, { cause: err });
    }
    return {
      unsubscribe: () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (err) {
      throw new KindlingError('E_IO', `NATS flush failed: ${errorText(err)}`, {}, { cause: err });
    }
  }

  onStatus(listener: (status: TransportStatus, detail?: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Drains subscriptions and pending publishes, then closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      this.assembler.clear();
      if (this.nc.isClosed()) return;
      try {
        await this.nc.drain();
      } catch {
        // Draining fails when the connection is down or already closing: close it outright.
        if (!this.nc.isClosed()) await this.nc.close();
      }
    })();
    return this.closing;
  }

  /** Publishes encoded bytes, in chunks if they exceed max_payload. */
  private async send(subject: string, bytes: Uint8Array, reply: string | undefined): Promise<void> {
    const limit = Math.max(1024, this.maxPayload - HEADER_ROOM);
    try {
      if (bytes.length <= limit) {
        this.nc.publish(subject, bytes, reply !== undefined ? { reply } : undefined);
        return;
      }
      const id = this.nats.nuid.next();
      const chunks = chunkPayload(bytes, limit);
      let sinceFlush = 0;
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        const h = this.nats.headers();
        h.set(CHUNK_ID_HEADER, id);
        h.set(CHUNK_INDEX_HEADER, formatChunkHeader(i, chunks.length));
        this.nc.publish(subject, chunk, reply !== undefined ? { headers: h, reply } : { headers: h });
        sinceFlush += chunk.length;
        // Pace the sender to the server so a large message never piles up in buffers.
        if (sinceFlush >= this.flushEveryBytes && i < chunks.length - 1) {
          await this.nc.flush();
          sinceFlush = 0;
        }
      }
    } catch (err) {
      if (err instanceof KindlingError) throw err;
      throw new KindlingError('E_IO', `cannot publish to ${subject}: ${errorText(err)}`, { subject }, { cause: err });
    }
  }

  /**
   * Publishes a reply to a FetchRange as range frames, pacing itself like send. When a read or
   * a publish fails midway the requester is sent a negative Ack, so it fails at once instead
   * of waiting for frames that will not come.
   */
  private async sendRange(subject: string, req: FetchRange, answer: Uint8Array | RangeReplySource): Promise<void> {
    let sinceFlush = 0;
    try {
      await publishRangeReply(req, answer, this.maxPayload, async (frame) => {
        if (sinceFlush >= this.flushEveryBytes) {
          await this.nc.flush();
          sinceFlush = 0;
        }
        this.nc.publish(subject, frame);
        sinceFlush += frame.length;
      });
    } catch (err) {
      try {
        this.nc.publish(subject, encodeMessage(errorAck(err), this.codec));
      } catch {
        // The connection is gone: the requester times out.
      }
      if (err instanceof KindlingError) throw err;
      throw new KindlingError('E_IO', `cannot send range-data to ${subject}: ${errorText(err)}`, { subject }, { cause: err });
    }
  }

  /** Reassembles chunks; returns a whole message's bytes, or undefined while chunks are missing. */
  private assemble(key: string, m: Msg): Uint8Array | undefined {
    const id = m.headers?.get(CHUNK_ID_HEADER) ?? '';
    if (id === '') return m.data;
    const { index, count } = parseChunkHeader(m.headers?.get(CHUNK_INDEX_HEADER) ?? '');
    return this.assembler.add(`${key}/${id}`, index, count, m.data);
  }

  /** Subscription callback: decode, validate, run the handler; never throws. */
  private deliver(key: string, subject: string, handler: MessageHandler, err: Error | null, m: Msg): void {
    if (err !== null) {
      this.log.warn({ subject, reason: errorText(err) }, 'NATS subscription error');
      return;
    }
    let msg: Message;
    try {
      const bytes = this.assemble(key, m);
      if (bytes === undefined) return;
      msg = decodeMessage(bytes, this.codec);
    } catch (e) {
      this.log.warn({ subject: m.subject, code: errorCode(e), reason: errorText(e), bytes: m.data.length }, 'rejected message');
      return;
    }
    const replyTo = m.reply !== undefined && m.reply !== '' ? m.reply : undefined;
    let replied = false;
    const reply =
      replyTo === undefined
        ? undefined
        : async (answer: ReplyAnswer): Promise<void> => {
            if (answer.type === 'range-source' || (answer.type === 'range-data' && msg.type === 'fetch-range')) {
              if (msg.type !== 'fetch-range') throw new KindlingError('E_INTERNAL', `a range source cannot answer ${msg.type}`);
              replied = true;
              await this.sendRange(replyTo, msg, answer.type === 'range-data' ? answer.bytes : answer);
              return;
            }
            const bytes = encodeMessage(answer, this.codec);
            replied = true;
            await this.send(replyTo, bytes, undefined);
          };
    const failed = (e: unknown): void => {
      this.log.warn({ subject: m.subject, type: msg.type, code: errorCode(e), reason: errorText(e) }, 'message handler failed');
      // Tell a waiting requester at once instead of letting it time out.
      if (reply !== undefined && !replied) {
        reply(errorAck(e)).catch((e2: unknown) => this.log.warn({ subject: replyTo, reason: errorText(e2) }, 'cannot send error reply'));
      }
    };
    try {
      const result = handler(msg, reply);
      if (result instanceof Promise) result.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /**
   * Sends a request and gathers replies (the first only, or all until the timeout). Replies
   * come to this transport's private inbox `<inbox>.<token>` through one wildcard
   * subscription. Why not nats.js's own request()/requestMany(): a reply larger than the
   * server's max_payload arrives as several chunks whose number only the first chunk's
   * header tells, and request() resolves with the first message while requestMany() must be
   * told the count, a stall time or a sentinel message in advance.
   */
  private exchange(subject: string, msg: Message, timeoutMs: number, single: boolean, range?: RangeReceiver): Promise<Message[]> {
    const bytes = encodeMessage(msg, this.codec);
    // A FetchRange's reply may come as range frames: gathered here, without the codec.
    let frames = range;
    if (frames === undefined && msg.type === 'fetch-range') frames = new RangeReceiver(msg, undefined, this.codec.maxMessageBytes);
    const prefix = this.replyInbox();
    const token = String(++this.serial);
    const key = `r${token}`;
    const collector = new ReplyCollector(subject, timeoutMs, single, () => {
      this.waiting.delete(token);
      this.fetches.delete(token);
    });
    if (msg.type === 'fetch-range') this.fetches.add(token);
    this.waiting.set(token, (err, m) => {
      if (err !== null) {
        collector.fail(new KindlingError('E_IO', `request to ${subject} failed: ${errorText(err)}`, { subject }, { cause: err }));
        return;
      }
      if (m.headers?.code === 503) {
        collector.noResponders();
        return;
      }
      try {
        if (frames !== undefined && isRangeFrame(m.data)) {
          if (frames.add(m.data)) collector.add({ type: 'range-data', version: PROTOCOL_VERSION, bytes: frames.bytes });
          return;
        }
        const whole = this.assemble(key, m);
        if (whole !== undefined) collector.add(decodeMessage(whole, this.codec));
      } catch (e) {
        const failed = collector.badReply(
          new KindlingError(errorCode(e) ?? 'E_BAD_MESSAGE', `reply to ${subject}: ${errorText(e)}`, { subject }, { cause: e }),
        );
        if (!failed) this.log.warn({ subject, code: errorCode(e), reason: errorText(e) }, 'rejected reply');
      }
    });
    this.send(subject, bytes, `${prefix}.${token}`).catch((e: unknown) => {
      collector.fail(e instanceof Error ? e : new KindlingError('E_IO', `request to ${subject} failed: ${errorText(e)}`, { subject }));
    });
    return collector.result;
  }

  /** The prefix of this transport's reply subjects, subscribing `<prefix>.*` on first use. */
  private replyInbox(): string {
    if (this.inbox !== undefined) return this.inbox;
    const prefix = this.nats.createInbox();
    try {
      this.nc.subscribe(`${prefix}.*`, {
        callback: (err, m) => {
          if (err !== null) {
            for (const w of [...this.waiting.values()]) w(err, m);
            return;
          }
          this.waiting.get(m.subject.slice(prefix.length + 1))?.(null, m);
        },
      });
    } catch (err) {
      throw new KindlingError('E_IO', `cannot subscribe to the reply inbox: ${errorText(err)}`, {}, { cause: err });
    }
    this.inbox = prefix;
    return prefix;
  }

  private emit(status: TransportStatus, detail?: string): void {
    for (const l of this.listeners) {
      try {
        l(status, detail);
      } catch (e) {
        this.log.warn({ status, reason: errorText(e) }, 'status listener failed');
      }
    }
  }

  private failFetches(server: string): void {
    const lost = new Error(`the connection to NATS server ${server} was lost before the reply came`);
    for (const token of [...this.fetches]) this.waiting.get(token)?.(lost, undefined as never);
    this.fetches.clear();
  }

  private async watchStatus(): Promise<void> {
    void this.nc.closed().then((err) => {
      this.emit('closed', err instanceof Error ? err.message : undefined);
    });
    try {
      for await (const s of this.nc.status()) {
        switch (s.type) {
          case 'disconnect':
            this.failFetches(s.server);
            this.emit('disconnected', s.server);
            break;
          case 'reconnecting':
            this.emit('reconnecting');
            break;
          case 'reconnect':
            this.emit('reconnected', s.server);
            break;
          case 'error':
            this.emit('error', s.error.message);
            break;
          case 'staleConnection':
            this.emit('error', 'stale connection');
            break;
          case 'slowConsumer':
            this.emit('error', `slow consumer on ${s.sub.getSubject()} (${s.pending} pending)`);
            break;
          default:
            break;
        }
      }
    } catch (e) {
      this.log.warn({ reason: errorText(e) }, 'NATS status stream failed');
    }
  }
}

function isOfType<T extends MessageType>(m: Message, type: T): m is Extract<Message, { type: T }> {
  return m.type === type;
}

/** Reads an NKey seed or creds file as bytes, naming the file when it cannot. */
function readSecretFile(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new KindlingError('E_IO', `cannot read the NATS ${what} ${file}: ${errorText(err)}`, { file }, { cause: err });
  }
}

/** Reads the TLS files named in the options, so a missing file is reported by name. */
function readTlsFiles(tls: NonNullable<NatsConnectionOptions['tls']>): { ca?: string; cert?: string; key?: string } {
  const read = (file: string | undefined, what: string): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new KindlingError('E_IO', `cannot read the NATS TLS ${what} ${file}: ${errorText(err)}`, { file }, { cause: err });
    }
  };
  const ca = read(tls.caFile, 'CA file');
  const cert = read(tls.certFile, 'certificate file');
  const key = read(tls.keyFile, 'key file');
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}

function describeConnectError(err: unknown, options: NodeConnectionOptions, opts: NatsConnectionOptions): string {
  const text = errorText(err);
  if (err instanceof Error && (err.name === 'AuthorizationError' || /authorization violation/i.test(text))) {
    return 'authorization violation: the server refused the credentials (check user/pass or token)';
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || text === 'timeout')) {
    // A TLS server that requires client certificates drops such clients silently.
    const hint =
      opts.tls !== undefined && opts.tls.certFile === undefined
        ? ' (if the server requires client certificates, set tls.certFile and tls.keyFile)'
        : '';
    return `no answer within ${options.timeout ?? 0} ms${hint}`;
  }
  // The server requires TLS (nats.js then upgrades on its own) but its certificate is not
  // signed by a CA this client was given: a plaintext client's usual way to meet a TLS server.
  if (/unable to verify|self[- ]signed|certificate/i.test(text) && opts.tls?.caFile === undefined) {
    return `${text}: the server requires TLS with a certificate this client does not trust; give its CA: --nats-tls-ca (executors: --tls-ca) or KINDLING_NATS_TLS_CA`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
  return cause !== '' && !text.includes(cause) ? `${text} (${cause})` : text;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): KindlingError['code'] | undefined {
  return err instanceof KindlingError ? err.code : undefined;
}
