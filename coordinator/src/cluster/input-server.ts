/**
 * InputServer: answers fetch-range for executors that cannot open a job's input files. It owns
 * the files each live job may be read from (every file of its plan, and only those), so a
 * driver never serves a file that is not the input of one of its own jobs — not even another
 * file of the same folder; reading is delegated to FileRangeReader. The task launcher allows
 * a job's plan files when it registers the plan; the cluster backend forgets the job
 * when it ends.
 *
 * THREADING: one event loop. A request is checked against the allow-list when it arrives; a
 * read already under way when its job is forgotten still completes (it was allowed).
 */
import { PROTOCOL_VERSION, errorAck, type JobId, type Message, type Subjects, type Subscription, type Transport } from '@kindling/shared';
import { FileRangeReader } from '../io/file-range-reader.js';
import type { Logger } from '../logger.js';

/** The part of the input server the task launcher needs: allow a job's files to be served. */
export interface JobInputs {
  /** Allows executors to fetch ranges of each of `files` (a plan's input files) for `jobId` (idempotent). */
  serveJob(jobId: JobId, files: readonly string[]): void;
}

/** Answers fetch-range for the input files of this driver's jobs. */
export class InputServer implements JobInputs {
  private readonly files = new Map<JobId, Set<string>>();
  private readonly subscription: Subscription;
  private closed = false;
  /** Bytes of ranges sent to executors so far (for the driver's metrics). */
  bytesServed = 0;

  /** Subscribes to `subjects.fetchRange(driverId)` at once; call close() to stop. */
  constructor(
    transport: Transport,
    subjects: Subjects,
    private readonly driverId: string,
    private readonly log: Logger,
  ) {
    this.subscription = transport.subscribe(subjects.fetchRange(driverId), (m, reply) => this.onFetchRange(m, reply));
  }

  /** Allows executors to fetch ranges of each of `files` for `jobId` (idempotent; a later plan version may add files). */
  serveJob(jobId: JobId, files: readonly string[]): void {
    const set = this.files.get(jobId) ?? new Set<string>();
    for (const f of files) set.add(f);
    this.files.set(jobId, set);
  }

  /** Stops serving every file of `jobId`; later requests for them are refused with E_IO. */
  forgetJob(jobId: JobId): void {
    this.files.delete(jobId);
  }

  /** Jobs with at least one served file. */
  jobs(): JobId[] {
    return [...this.files.keys()];
  }

  /** Stops answering. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
  }

  private async onFetchRange(m: Message, reply: ((answer: Message) => Promise<void>) | undefined): Promise<void> {
    if (m.type !== 'fetch-range') {
      this.log.warn({ type: m.type }, 'unexpected message type on the fetch subject ignored');
      return;
    }
    if (reply === undefined) {
      this.log.warn({ job: m.jobId, file: m.file }, 'fetch-range without a reply subject ignored');
      return;
    }
    // Compared as given, never resolved: the executor names the exact path of the plan.
    if (this.closed || !(this.files.get(m.jobId as JobId)?.has(m.file) ?? false)) {
      this.log.warn({ job: m.jobId, file: m.file }, 'fetch-range refused: not an input of this driver');
      await reply({
        type: 'ack',
        version: PROTOCOL_VERSION,
        ok: false,
        error: {
          code: 'E_IO',
          name: 'KindlingError',
          message: `job ${m.jobId} has no input ${m.file} on driver ${this.driverId}`,
          details: { jobId: m.jobId, file: m.file },
        },
      });
      return;
    }
    let bytes: Uint8Array;
    try {
      const reader = await FileRangeReader.open(m.file);
      try {
        bytes = await reader.read(m.start, m.end - m.start);
      } finally {
        await reader.close();
      }
    } catch (err) {
      // ENOENT, EACCES…: toWireError turns errno errors into E_IO.
      this.log.warn({ job: m.jobId, file: m.file, err: err instanceof Error ? err.message : String(err) }, 'fetch-range failed');
      await reply(errorAck(err));
      return;
    }
    this.bytesServed += bytes.byteLength;
    await reply({ type: 'range-data', version: PROTOCOL_VERSION, bytes });
  }
}
