/**
 * Transport: how driver and executors exchange protocol messages, over already-validated
 * Message objects. Only *-backend.ts files and process entry points hold one; schedulers,
 * kernels and the block store never see it. NatsTransport is the real one.
 *
 * Payloads larger than the server's max_payload are chunked by the implementation, so callers
 * never think about message size. A RangeData answering a FetchRange travels as range frames
 * (raw bytes after a fixed header), never through the codec.
 */
import type { FetchRange, Message, MessageType } from '../protocol.js';

/** Connection settings shared by drivers, executors and CLI clients. */
export interface NatsConnectionOptions {
  /** One or more server URLs, e.g. nats://127.0.0.1:4222 (comma-separated or array). */
  readonly servers: string | readonly string[];
  /** Subject prefix, so several clusters can share one NATS server; default 'kindling'. */
  readonly prefix?: string;
  /** Client name shown by the server (e.g. 'executor-0', 'driver-…'). */
  readonly name?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** NKey authentication: a file holding the user's seed (`SU…`); the server knows its public key. */
  readonly nkeySeedFile?: string;
  /** JWT authentication: a `.creds` file (user JWT and seed, as `nsc` writes it). */
  readonly credsFile?: string;
  /** TLS: CA to verify the server, optional client certificate and key (mutual TLS). */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Reconnect forever by default (-1), waiting this long between attempts. */
  readonly maxReconnectAttempts?: number;
  readonly reconnectTimeWaitMs?: number;
  /** Give up connecting at start after this long. */
  readonly connectTimeoutMs?: number;
}

/** Connection state changes, for logs and readiness. */
export type TransportStatus = 'disconnected' | 'reconnecting' | 'reconnected' | 'closed' | 'error';

/**
 * A RangeData answer to a FetchRange whose bytes are read straight into the outgoing range
 * frames, one frame at a time: the responder never holds the whole range, and no byte is
 * copied after the read. As a reply to anything but a FetchRange it is refused (E_INTERNAL).
 */
export interface RangeReplySource {
  readonly type: 'range-source';
  /** Bytes the reply carries (the requester refuses a reply of another length than it asked for). */
  readonly length: number;
  /**
   * Fills all of `into` with the reply's bytes from `offset` on. A rejection ends the reply: the
   * requester gets a negative Ack carrying the error instead of the remaining frames.
   */
  readonly read: (into: Uint8Array, offset: number) => Promise<void>;
}

/** What a handler may answer a request with. */
export type ReplyAnswer = Message | RangeReplySource;

/** Called for each valid message on a subscription; `reply` answers a request. */
export type MessageHandler = (msg: Message, reply: ((answer: ReplyAnswer) => Promise<void>) | undefined) => void | Promise<void>;

/** A live subscription. */
export interface Subscription {
  unsubscribe(): void;
}

/** Publish/subscribe/request over protocol messages. */
export interface Transport {
  /** Largest single NATS message the server accepts; bigger messages are chunked. */
  readonly maxPayload: number;
  /** Publishes one message (chunked if needed) and resolves once it is handed to the connection. */
  publish(subject: string, msg: Message): Promise<void>;
  /**
   * Sends a request and resolves with the one reply, which must be of type `expect`
   * (otherwise rejects with E_BAD_MESSAGE). Rejects on timeout or when nobody listens.
   */
  request<T extends MessageType>(
    subject: string,
    msg: Message,
    opts: { readonly expect: T; readonly timeoutMs: number },
  ): Promise<Extract<Message, { type: T }>>;
  /**
   * Sends a FetchRange and writes the RangeData reply's bytes into `into` (`end - start` bytes
   * long) as its frames arrive (range-frame.ts). Rejects with E_BAD_MESSAGE when the reply's
   * job, range or length is not the request's, with the responder's error when it answers a
   * negative Ack, and like `request` on timeout or when nobody listens. `into` may hold some
   * of the bytes when it rejects.
   */
  fetchRange(subject: string, req: FetchRange, into: Uint8Array, opts: { readonly timeoutMs: number }): Promise<void>;
  /** Sends a request and collects every reply that arrives within `timeoutMs`. */
  requestMany(subject: string, msg: Message, opts: { readonly timeoutMs: number }): Promise<Message[]>;
  /**
   * Subscribes. Undecodable, invalid, oversized or wrong-version messages are rejected with a
   * log line and never reach the handler; a throwing handler is logged, never fatal.
   * With `queue`, each message goes to one member of the group.
   */
  subscribe(subject: string, handler: MessageHandler, opts?: { readonly queue?: string }): Subscription;
  /** Resolves once everything published so far reached the server. */
  flush(): Promise<void>;
  onStatus(listener: (status: TransportStatus, detail?: string) => void): () => void;
  close(): Promise<void>;
}
