/**
 * ReplyCollector: how a request's replies are gathered, shared by both transports so they
 * behave alike: the first reply (request) or every reply until the timeout (requestMany),
 * a timeout or no-responders outcome with the same error codes and texts, and exactly one
 * settlement whatever arrives late. Transports feed it decoded replies and failures.
 */
import { KindlingError } from '../errors.js';
import type { Message } from '../protocol.js';

/** Collects replies to one request and settles once. */
export class ReplyCollector {
  private readonly replies: Message[] = [];
  private readonly timer: NodeJS.Timeout;
  private done = false;
  /** Settles with every reply (requestMany) or the first (request), or rejects. */
  readonly result: Promise<Message[]>;
  private resolve!: (replies: Message[]) => void;
  private reject!: (err: Error) => void;

  constructor(
    private readonly subject: string,
    timeoutMs: number,
    /** True for request (one reply), false for requestMany (all until the timeout). */
    private readonly single: boolean,
    private readonly cleanup: () => void,
  ) {
    this.result = new Promise<Message[]>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.timer = setTimeout(() => {
      if (single) this.fail(new KindlingError('E_IO', `request to ${subject} timed out after ${timeoutMs} ms`, { subject, timeoutMs }));
      else this.finish();
    }, timeoutMs);
  }

  /** True once settled: later replies are dropped. */
  get settled(): boolean {
    return this.done;
  }

  /** A decoded reply arrived. */
  add(reply: Message): void {
    if (this.done) return;
    this.replies.push(reply);
    if (this.single) this.finish();
  }

  /** Nobody listens on the subject: request fails (E_NO_RESPONDERS), requestMany ends empty. */
  noResponders(): void {
    if (this.single) this.fail(new KindlingError('E_NO_RESPONDERS', `no responders on ${this.subject}`, { subject: this.subject }));
    else this.finish();
  }

  /** A reply that cannot be decoded: fails a request; a requestMany goes on (returns false to log it). */
  badReply(err: Error): boolean {
    if (!this.single) return false;
    this.fail(err);
    return true;
  }

  /** Fails the request. */
  fail(err: Error): void {
    if (this.done) return;
    this.settle();
    this.reject(err);
  }

  private finish(): void {
    if (this.done) return;
    this.settle();
    this.resolve(this.replies);
  }

  private settle(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.cleanup();
  }
}
