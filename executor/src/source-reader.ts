/**
 * SourceReader: decides where a job's input bytes come from on this executor. When the job's
 * CSV file is readable here (a shared volume, or a local cluster on one machine) the worker
 * thread reads its byte range itself; otherwise (Kubernetes pods without the file) the bytes
 * are fetched from the driver that owns the job, over FetchRange requests.
 *
 * The decision is made once per (job, file) — one stat — and cached until the job is dropped.
 * The TaskRunner asks through `provider()` whenever it parses the source: first loads and
 * rebuilds of lost blocks alike.
 */
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { KindlingError, PROTOCOL_VERSION, subjects, type PartitionSource, type Transport } from '@kindling/shared';
import type { SourceBytesProvider } from './task-runner.js';
import type { ExecutorLogger } from './executor-logger.js';

/** Options of a SourceReader. */
export interface SourceReaderOptions {
  /** Only `request` is used: FetchRange → RangeData to the owning driver. */
  readonly transport: Pick<Transport, 'request'>;
  readonly prefix: string;
  readonly log: ExecutorLogger;
  /** Bytes per FetchRange request; default 4 MiB (the transport chunks above max_payload). */
  readonly chunkBytes?: number;
  /** Timeout of each FetchRange request; default 30 s. */
  readonly timeoutMs?: number;
}

/** What this machine knows of a job's file. */
interface LocalFile {
  readonly readable: boolean;
  readonly size: number;
  readonly why?: string;
}

/** Where a partition's bytes come from. */
export type SourceDecision = { readonly local: true } | { readonly local: false; readonly why: string };

/** Per-job decision (local file or driver) and the driver fetches. */
export class SourceReader {
  private readonly files = new Map<string, Map<string, Promise<LocalFile>>>();
  private readonly chunkBytes: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: SourceReaderOptions) {
    this.chunkBytes = opts.chunkBytes ?? 4 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * Whether the worker can read `source` from the local file: readable, and as long as the
   * driver's file (`source.fileSize`) or, when that is not known, at least the partition's end.
   * The file is checked once per job.
   */
  async decide(jobId: string, source: PartitionSource): Promise<SourceDecision> {
    let perJob = this.files.get(jobId);
    if (!perJob) this.files.set(jobId, (perJob = new Map()));
    let probe = perJob.get(source.file);
    if (!probe) {
      probe = probeFile(source.file);
      perJob.set(source.file, probe);
      const f = await probe;
      this.opts.log.info(
        { jobId, file: source.file, local: f.readable, ...(f.why !== undefined && { why: f.why }) },
        f.readable ? 'job input is readable on this executor' : 'job input is not readable here: fetching it from the driver',
      );
    }
    const f = await probe;
    if (!f.readable) return { local: false, why: f.why ?? 'not readable' };
    if (source.fileSize !== undefined && f.size !== source.fileSize) {
      return { local: false, why: `${source.file} has ${f.size} bytes here, ${source.fileSize} on the driver` };
    }
    if (f.size < source.end) return { local: false, why: `${source.file} has ${f.size} bytes here, the partition ends at byte ${source.end}` };
    return { local: true };
  }

  /**
   * The partition's bytes when the worker cannot read them locally (fetched from `driverId`),
   * or undefined when it can. Rejects with E_IO (retryable) when the driver does not answer.
   */
  async bytesFor(jobId: string, driverId: string, source: PartitionSource): Promise<Uint8Array | undefined> {
    const d = await this.decide(jobId, source);
    if (d.local) return undefined;
    return this.fetch(jobId, driverId, source.file, source.start, source.end);
  }

  /**
   * The TaskRunner's SourceBytesProvider: bytes from the job's driver (`ownerOf`) when the file
   * is not usable here, else undefined (the worker reads the file). A job with no known driver
   * reads locally.
   */
  provider(ownerOf: (jobId: string) => string | undefined): SourceBytesProvider {
    return async (jobId, lineage) => {
      const driverId = ownerOf(jobId);
      if (driverId === undefined) return undefined;
      return this.bytesFor(jobId, driverId, lineage.source);
    };
  }

  /** Fetches bytes [start, end) of `file` from the driver, in chunks. */
  async fetch(jobId: string, driverId: string, file: string, start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(end - start);
    const subject = subjects(this.opts.prefix).fetchRange(driverId);
    for (let at = start; at < end; at += this.chunkBytes) {
      const to = Math.min(end, at + this.chunkBytes);
      let bytes: Uint8Array;
      try {
        const reply = await this.opts.transport.request(
          subject,
          { type: 'fetch-range', version: PROTOCOL_VERSION, jobId, file, start: at, end: to },
          { expect: 'range-data', timeoutMs: this.timeoutMs },
        );
        bytes = reply.bytes;
      } catch (err) {
        throw new KindlingError(
          'E_IO',
          `cannot fetch bytes ${at}–${to} of ${file} from driver ${driverId}: ${err instanceof Error ? err.message : String(err)}`,
          { file, driverId, jobId, start: at, end: to },
          { cause: err },
        );
      }
      if (bytes.byteLength !== to - at) {
        throw new KindlingError(
          'E_BAD_MESSAGE',
          `driver ${driverId} sent ${bytes.byteLength} bytes of ${file} for the range ${at}–${to} (${to - at} expected)`,
          { file, driverId, jobId, start: at, end: to },
        );
      }
      out.set(bytes, at - start);
    }
    return out;
  }

  /** Forgets a job's decision (the job was dropped, or its file may have changed). */
  forgetJob(jobId: string): void {
    this.files.delete(jobId);
  }
}

async function probeFile(file: string): Promise<LocalFile> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return { readable: false, size: 0, why: `${file} is not a regular file here` };
    await access(file, constants.R_OK);
    return { readable: true, size: s.size };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { readable: false, size: 0, why: `${file}: ${code}` };
  }
}
