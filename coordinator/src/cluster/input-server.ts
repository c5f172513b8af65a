/**
 * InputServer: answers fetch-range for executors that cannot open a job's input files. It owns
 * the files each live job may be read from (every file of its plan, and only those), so a
 * driver never serves a file that is not the input of one of its own jobs — not even another
 * file of the same folder. A range is read straight into the transport's outgoing range frames,
 * one frame at a time (a RangeReplySource), so the driver holds at most a frame per request
 * and no byte is copied after the read. The task launcher allows
 * a job's plan files when it registers the plan; the cluster backend forgets the job
 * when it ends.
 *
 * THREADING: one event loop. A request is checked against the allow-list when it arrives; a
 * read already under way when its job is forgotten still completes (it was allowed).
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  KindlingError,
  PROTOCOL_VERSION,
  errorAck,
  inputChangedError,
  type JobId,
  type Message,
  type ReplyAnswer,
  type Subjects,
  type Subscription,
  type Transport,
} from '@kindling/shared';
import type { Logger } from '../logger.js';

/** The part of the input server the task launcher needs: allow a job's files to be served. */
export interface JobInputs {
  /**
   * Allows executors to fetch ranges of each of `files` (a plan's input files, with the size the
   * plan was made from) for `jobId` (idempotent).
   */
  serveJob(jobId: JobId, files: readonly ServedFile[]): void;
}

/** A file of a job's plan and its size when the plan was made. */
export interface ServedFile {
  readonly path: string;
  readonly size: number;
}

/** Answers fetch-range for the input files of this driver's jobs. */
export class InputServer implements JobInputs {
  /** Per job, each servable file and its size in the job's plan. */
  private readonly files = new Map<JobId, Map<string, number>>();
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
  serveJob(jobId: JobId, files: readonly ServedFile[]): void {
    const known = this.files.get(jobId) ?? new Map<string, number>();
    for (const f of files) known.set(f.path, f.size);
    this.files.set(jobId, known);
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

  private async onFetchRange(m: Message, reply: ((answer: ReplyAnswer) => Promise<void>) | undefined): Promise<void> {
    if (m.type !== 'fetch-range') {
      this.log.warn({ type: m.type }, 'unexpected message type on the fetch subject ignored');
      return;
    }
    if (reply === undefined) {
      this.log.warn({ job: m.jobId, file: m.file }, 'fetch-range without a reply subject ignored');
      return;
    }
    // Compared as given, never resolved: the executor names the exact path of the plan.
    const planned = this.closed ? undefined : this.files.get(m.jobId as JobId)?.get(m.file);
    if (planned === undefined) {
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
    let opened: FileHandle | undefined;
    let size = 0;
    try {
      opened = await open(m.file, 'r');
      size = (await opened.stat()).size;
      // Offsets of the plan (split points, a Parquet footer) mean nothing in a file of another size.
      if (size !== planned) throw inputChangedError(m.file, size, planned, `job ${m.jobId} was planned`);
    } catch (err) {
      // ENOENT, EACCES…: toWireError turns errno errors into E_IO.
      this.log.warn({ job: m.jobId, file: m.file, err: err instanceof Error ? err.message : String(err) }, 'fetch-range failed');
      await opened?.close().catch(() => undefined);
      await reply(errorAck(err));
      return;
    }
    const handle = opened;
    // A range past the end of the file is served up to the end (the requester decides whether that will do).
    const length = Math.max(0, Math.min(m.end, size) - m.start);
    const file = m.file;
    const from = m.start;
    try {
      await reply({
        type: 'range-source',
        length,
        read: async (into, offset) => {
          let at = 0;
          while (at < into.length) {
            const { bytesRead } = await handle.read(into, at, into.length - at, from + offset + at);
            if (bytesRead === 0) {
              throw new KindlingError('E_IO', `${file} ended at byte ${from + offset + at} while it was being served (it changed)`, {
                file,
              });
            }
            at += bytesRead;
          }
        },
      });
      this.bytesServed += length;
    } catch (err) {
      // The transport has told the requester; the driver's log says why.
      this.log.warn({ job: m.jobId, file: m.file, err: err instanceof Error ? err.message : String(err) }, 'fetch-range failed');
    } finally {
      await handle.close();
    }
  }
}
