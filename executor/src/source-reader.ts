/**
 * SourceReader: decides where a job's input bytes come from on this executor. When a job's
 * input file (CSV, gzip or Parquet; a job may have many) is readable here (a shared volume, or a local cluster on one machine) the worker
 * thread reads its byte range itself; otherwise (Kubernetes pods without the file) the bytes
 * are fetched from the driver that owns the job, over FetchRange requests.
 *
 * The decision is made once per (job, file) — one stat — and cached until the job is dropped.
 * A partition's bytes are those partition-bytes.ts names: its range, plus, for Parquet, the
 * file's footer (fetched once per job and file).
 * The TaskRunner asks through `provider()` whenever it parses the source: scans, schema
 * inference, loads and rebuilds of lost blocks alike. A range fetched for an op that is
 * followed by another pass over the same bytes (csv-infer, then csv-load) is kept for that
 * pass within a byte budget, so each byte crosses the network once per job; a range read by
 * a one-pass op (csv-scan, csv-load, Parquet) is not kept. Several chunk requests of a range
 * are in flight at once, each written in place into one buffer on shared memory, which the
 * worker thread parses without a copy.
 *
 * THREADING: the executor's event loop; fetches of one range are shared by concurrent asks.
 */
import { access, stat } from 'node:fs/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { constants } from 'node:fs';
import { KindlingError, PROTOCOL_VERSION, partitionByteRanges, subjects, type PartitionSource, type Transport } from '@kindling/shared';
import type { SourceBytesProvider } from './task-runner.js';
import type { ExecutorLogger } from './executor-logger.js';

/** Options of a SourceReader. */
export interface SourceReaderOptions {
  /** Only `fetchRange` is used: FetchRange → RangeData frames from the owning driver, written in place. */
  readonly transport: Pick<Transport, 'fetchRange'>;
  readonly prefix: string;
  readonly log: ExecutorLogger;
  /** Bytes per FetchRange request; default 4 MiB (the transport chunks above max_payload). */
  readonly chunkBytes?: number;
  /** Timeout of each FetchRange request; default 30 s. */
  readonly timeoutMs?: number;
  /** FetchRange requests of one range in flight at once; default 4. */
  readonly inFlight?: number;
  /**
   * Fetched ranges that tasks may hold at once, from the start of the fetch until the task
   * that parses them ends (done()); default unbounded. main.ts sets SOURCE_TASKS_PER_CORE × cores.
   */
  readonly rangesAhead?: number;
  /**
   * Bytes of fetched ranges kept for a later pass of the same job; default 512 MiB, 0 keeps
   * nothing. A kept range is handed out once more (inference, then load) and then dropped,
   * so the raw bytes do not outlive the load that turns them into cached columns.
   */
  readonly keepBytes?: number;
}

/** A fetched (or being fetched) range of a job's file, kept for one more pass. */
interface KeptRange {
  readonly bytes: Promise<Uint8Array>;
  readonly size: number;
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
  private readonly kept = new Map<string, Map<string, KeptRange>>();
  /** Parquet footers fetched per job and file (every partition of the file reads it). */
  private readonly footers = new Map<string, Map<string, Promise<Uint8Array>>>();
  private keptBytes = 0;
  private readonly chunkBytes: number;
  private readonly timeoutMs: number;
  private readonly inFlight: number;
  private readonly keepBytes: number;
  /** Bytes received from drivers since start (a range kept and reused counts once). */
  fetchedBytes = 0;
  /** Places for fetched ranges (rangesAhead); a place is held from the fetch until done(). */
  private readonly places: LimitFunction;
  /**
   * How to give back the places each handed-out range holds: one per task it was handed to (a
   * kept range can be handed to a second task, e.g. a retry, while the first still runs).
   */
  private readonly holding = new WeakMap<Uint8Array, Array<() => void>>();

  constructor(private readonly opts: SourceReaderOptions) {
    this.chunkBytes = opts.chunkBytes ?? 4 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.inFlight = Math.max(1, opts.inFlight ?? 4);
    this.keepBytes = opts.keepBytes ?? 512 * 1024 * 1024;
    this.places = pLimit(opts.rangesAhead ?? Infinity);
  }

  /**
   * Waits for a place for one more fetched range; resolves with the function that frees it.
   * (p-limit bounds how many promises run at once: the place is one that resolves on release.)
   */
  private place(): Promise<() => void> {
    return new Promise((took) => {
      void this.places(() => new Promise<void>((release) => took(release)));
    });
  }

  /**
   * The task that was handed `bytes` (by the provider) has ended: one place they held is
   * free. Bytes that hold no place (not handed out by this reader, or already done) are ignored.
   */
  done(bytes: Uint8Array): void {
    const releases = this.holding.get(bytes);
    const release = releases?.pop();
    if (release === undefined) return;
    if (releases!.length === 0) this.holding.delete(bytes);
    release();
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
    if (f.size < source.end)
      return { local: false, why: `${source.file} has ${f.size} bytes here, the partition ends at byte ${source.end}` };
    return { local: true };
  }

  /**
   * The partition's bytes when the worker cannot read them locally (fetched from `driverId`),
   * or undefined when it can. Rejects with E_IO (retryable) when the driver does not answer.
   */
  async bytesFor(jobId: string, driverId: string, source: PartitionSource, keep = false): Promise<Uint8Array | undefined> {
    const d = await this.decide(jobId, source);
    if (d.local) return undefined;
    // The driver launches a stage's tasks together; without a place each, an executor fetched
    // the ranges of all of them at once, and they waited in the pool's queue (docs/memory.md).
    const release = await this.place();
    try {
      const bytes = await this.partitionBytes(jobId, driverId, source, keep);
      const releases = this.holding.get(bytes);
      if (releases) releases.push(release);
      else this.holding.set(bytes, [release]);
      return bytes;
    } catch (err) {
      release();
      throw err;
    }
  }

  private async partitionBytes(jobId: string, driverId: string, source: PartitionSource, keep: boolean): Promise<Uint8Array> {
    const [range, footer] = partitionByteRanges(source);
    const bytes = this.rangeBytes(jobId, driverId, source.file, range![0], range![1], keep && source.format !== 'parquet');
    if (footer === undefined) return bytes;
    // A Parquet partition also needs the file's footer: fetched once per (job, file), kept while the job lives.
    let footers = this.footers.get(jobId);
    if (!footers) this.footers.set(jobId, (footers = new Map()));
    let tail = footers.get(source.file);
    if (!tail) {
      tail = this.fetch(jobId, driverId, source.file, footer[0], footer[1]);
      footers.set(source.file, tail);
      tail.catch(() => footers.get(source.file) === tail && footers.delete(source.file));
    }
    const [body, end] = await Promise.all([bytes, tail]);
    const out = sharedBytes(body.byteLength + end.byteLength);
    out.set(body, 0);
    out.set(end, body.byteLength);
    return out;
  }

  /** Bytes [start, end) of a job's file: kept from an earlier pass, or fetched (and kept for one more pass within the budget). */
  private rangeBytes(jobId: string, driverId: string, file: string, start: number, end: number, keep: boolean): Promise<Uint8Array> {
    const rangeKey = `${start}-${end} ${file}`;
    let perJob = this.kept.get(jobId);
    const hit = perJob?.get(rangeKey);
    if (hit !== undefined) {
      // The second pass over this range: hand the kept bytes out and let them go.
      perJob!.delete(rangeKey);
      this.keptBytes -= hit.size;
      return hit.bytes;
    }
    const bytes = this.fetch(jobId, driverId, file, start, end);
    const size = end - start;
    if (keep && this.keptBytes + size <= this.keepBytes) {
      if (!perJob) this.kept.set(jobId, (perJob = new Map()));
      perJob.set(rangeKey, { bytes, size });
      this.keptBytes += size;
      // A failed fetch is not kept: the retry fetches afresh.
      bytes.catch(() => {
        if (this.kept.get(jobId)?.get(rangeKey)?.bytes === bytes) {
          this.kept.get(jobId)!.delete(rangeKey);
          this.keptBytes -= size;
        }
      });
    }
    return bytes;
  }

  /**
   * The TaskRunner's SourceBytesProvider: bytes from the job's driver (`ownerOf`) when the file
   * is not usable here, else undefined (the worker reads the file). A job with no known driver
   * reads locally.
   */
  provider(ownerOf: (jobId: string) => string | undefined): SourceBytesProvider {
    return async (jobId, lineage, op) => {
      const driverId = ownerOf(jobId);
      if (driverId === undefined) return undefined;
      // Only inference is followed by a second pass (the load) over the same bytes.
      return this.bytesFor(jobId, driverId, lineage.source, op === 'csv-infer');
    };
  }

  /**
   * Fetches bytes [start, end) of `file` from the driver in chunks, up to `inFlight` requests
   * at once (requests go out in file order; each reply lands at its own offset).
   */
  async fetch(jobId: string, driverId: string, file: string, start: number, end: number): Promise<Uint8Array> {
    const out = sharedBytes(end - start);
    const subject = subjects(this.opts.prefix).fetchRange(driverId);
    let next = start;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (next < end && !failed) {
        const at = next;
        const to = Math.min(end, at + this.chunkBytes);
        next = to;
        try {
          await this.fetchChunk(jobId, driverId, subject, file, at, to, out, start);
        } catch (err) {
          failed = true; // the other lanes stop asking: the task fails and is retried whole
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.inFlight, Math.ceil((end - start) / this.chunkBytes)) }, lane));
    return out;
  }

  /** One request of a range: its reply's frames are written straight into `out` at the chunk's offset. */
  private async fetchChunk(
    jobId: string,
    driverId: string,
    subject: string,
    file: string,
    at: number,
    to: number,
    out: Uint8Array,
    start: number,
  ): Promise<void> {
    const req = { type: 'fetch-range', version: PROTOCOL_VERSION, jobId, file, start: at, end: to } as const;
    try {
      await this.opts.transport.fetchRange(subject, req, out.subarray(at - start, to - start), { timeoutMs: this.timeoutMs });
    } catch (err) {
      const bad = err instanceof KindlingError && err.code === 'E_BAD_MESSAGE';
      throw new KindlingError(
        bad ? 'E_BAD_MESSAGE' : 'E_IO',
        `cannot fetch bytes ${at}–${to} of ${file} from driver ${driverId}: ${err instanceof Error ? err.message : String(err)}`,
        { file, driverId, jobId, start: at, end: to },
        { cause: err },
      );
    }
    this.fetchedBytes += to - at;
  }

  /** Forgets a job's decision and kept ranges (the job was dropped, or its file may have changed). */
  forgetJob(jobId: string): void {
    this.files.delete(jobId);
    this.footers.delete(jobId);
    for (const r of this.kept.get(jobId)?.values() ?? []) this.keptBytes -= r.size;
    this.kept.delete(jobId);
  }
}

/**
 * A range's buffer, on shared memory: the worker thread that parses it reads these bytes where
 * they are. A plain buffer was copied into the worker's heap by postMessage, so each fetched
 * range was held twice, once per isolate, until both had collected.
 */
function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
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
