/**
 * EventLogWriter: appends a run's event log (`<runId>.jsonl`) to a history folder while the job
 * runs — a header (spec as run, resolved defaults, master, conf, versions), every DriverEvents
 * event with its time, samples the caller adds (executor heartbeats), and a final record with
 * the JobResult (metrics, ROC/PR, confusion, coefficients). Each record is one write(2), so a
 * `kill -9` leaves a readable log cut at a line boundary at worst. After a successful job the
 * log is copied into the committed output folder as `eventlog.jsonl` (tmp file + rename), so a
 * failed job leaves no output folder at all. Called by `kindling submit` and the benchmarks.
 * THREADING: event loop only; writes are synchronous on purpose (ordering, crash safety).
 */
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KindlingError, OutputError } from '@kindling/shared/compute';
import type { DriverEventType, EventBus } from './event-bus.js';
import type { JobResult } from '../pipeline/job-runner.js';

/** Version of the record format; readers refuse logs with a newer major. */
export const EVENT_LOG_FORMAT = 1;

/** Name of the log inside a committed output folder. */
export const EVENT_LOG_FILE = 'eventlog.jsonl';

/** Every event type the log records; `satisfies` makes a new DriverEvents type a compile error here. */
const LOGGED: Record<DriverEventType, true> = {
  'job-started': true,
  'stage-submitted': true,
  'stage-progress': true,
  'stage-completed': true,
  'task-completed': true,
  'executor-added': true,
  'executor-removed': true,
  'partitions-moved': true,
  'partition-recovered': true,
  'task-failed': true,
  iteration: true,
  'job-completed': true,
  'job-failed': true,
} satisfies Record<DriverEventType, true>;

/** What the header records about the run. */
export interface EventLogHeader {
  /** Run name (the job's name). */
  readonly name: string;
  /** The parsed job spec, with every default resolved. */
  readonly spec: unknown;
  readonly master: string;
  /** The --conf pairs as given. */
  readonly conf: Readonly<Record<string, string>>;
  /** Extra figures (threads, versions of other parts). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Appends one run's event log. */
export class EventLogWriter {
  private fd: number | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  /** The header record, as written first. */
  header: { readonly event: 'log-header' } & Record<string, unknown> = { event: 'log-header' };

  private constructor(
    /** Id of the run; also the log's file name without `.jsonl`. */
    readonly runId: string,
    /** Absolute path of the log in the history folder. */
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Creates the history folder if needed and the run's log, and writes the header. */
  static open(historyDir: string, header: EventLogHeader, now = Date.now()): EventLogWriter {
    const runId = `${header.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'run'}-${new Date(now).toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    const path = join(historyDir, `${runId}.jsonl`);
    let fd: number;
    try {
      mkdirSync(historyDir, { recursive: true });
      fd = openSync(path, 'wx');
    } catch (err) {
      throw new OutputError(
        `cannot write the event log into the history folder ${historyDir}: ${(err as Error).message} (set --history-dir or --conf eventLog.dir=…)`,
        historyDir,
        { cause: err },
      );
    }
    const writer = new EventLogWriter(runId, path, fd);
    writer.header = {
      event: 'log-header',
      ts: now,
      format: EVENT_LOG_FORMAT,
      runId,
      name: header.name,
      master: header.master,
      conf: header.conf,
      spec: header.spec,
      versions: { kindling: kindlingVersion(), node: process.version, platform: `${process.platform}-${process.arch}` },
      pid: process.pid,
      ...(header.extra ? { extra: header.extra } : {}),
    };
    writer.append(writer.header);
    return writer;
  }

  /** Logs every driver event from `events` until close(). */
  attach(events: EventBus): this {
    for (const type of Object.keys(LOGGED) as DriverEventType[]) {
      this.unsubscribe.push(events.on(type, (e) => this.append({ event: type, ts: Date.now(), ...(e as object) })));
    }
    return this;
  }

  /** Appends one record (an object with an `event` field) as one line; a no-op once closed. */
  append(record: { readonly event: string } & Record<string, unknown>): void {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify(record, jsonSafe)}\n`;
    // One write call per line: the kernel has the whole line or none of it when the process dies.
    writeSync(this.fd, line);
  }

  /** Writes the final record of a finished job. */
  finishWith(result: JobResult): void {
    this.append({
      event: 'job-result',
      ts: Date.now(),
      jobId: result.jobId,
      outputPath: result.outputPath,
      trainRows: result.trainRows,
      testRows: result.testRows,
      durationMs: result.durationMs,
      metrics: result.metrics,
      coefficients: result.featureNames.map((name, i) => ({ name, value: result.coefficients[i] })),
      intercept: result.intercept,
      objectiveHistory: result.objectiveHistory,
      tasksByExecutor: result.tasksByExecutor,
    });
  }

  /** Writes the final record of a job that failed (the error's code and message). */
  finishWithError(err: unknown): void {
    const e = err instanceof KindlingError ? err : undefined;
    this.append({
      event: 'job-error',
      ts: Date.now(),
      code: e?.code ?? 'E_INTERNAL',
      message: err instanceof Error ? err.message : String(err),
    });
  }

  /**
   * Copies the log into a committed output folder as `eventlog.jsonl` (through a temporary
   * name and a rename, so the folder never shows half a log).
   */
  copyInto(outputDir: string): string {
    const target = join(outputDir, EVENT_LOG_FILE);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      copyFileSync(this.path, tmp);
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new OutputError(`cannot copy the event log into ${outputDir}: ${(err as Error).message}`, target, { cause: err });
    }
    return target;
  }

  /** Stops listening and closes the file; idempotent. */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Typed arrays become plain arrays; non-finite numbers become strings JSON can carry. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function kindlingVersion(): string {
  try {
    // coordinator/dist/src/events → coordinator/package.json; a missing file must not stop a job.
    return (
      (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}
