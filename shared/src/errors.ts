/**
 * Every failure Kindling reports carries a stable `code`. Code that reacts to an error
 * branches on `code`, never on `instanceof`: errors cross worker threads and NATS as plain
 * objects (see toWireError / fromWireError), where class identity is lost.
 */

/**
 * Stable error codes, the one list of them: part of the public contract (CLI exit messages,
 * wire errors); the protocol's schema of WireError is built from it.
 */
export const ERROR_CODES = [
  'E_CSV_MALFORMED',
  'E_CSV_EMPTY',
  'E_CSV_HEADER',
  /** An input file that is not what it claims (no PAR1 magic, corrupt gzip) or an unsupported compression or Parquet type. */
  'E_INPUT_FORMAT',
  'E_IO',
  'E_JOB_SPEC',
  'E_SCHEMA',
  'E_LABEL',
  'E_INVALID_VALUE',
  'E_BLOCK_MISSING',
  'E_TASK_FAILED',
  'E_EXECUTOR_LOST',
  'E_TASK_TIMEOUT',
  'E_NO_EXECUTORS',
  /** A request found no subscriber: the process behind the subject is gone (transport). */
  'E_NO_RESPONDERS',
  /** An executor was asked to run tasks of a job plan (version) it does not hold. */
  'E_PLAN_MISSING',
  'E_OUTPUT',
  'E_OPTIMIZER',
  'E_BAD_MESSAGE',
  /** The user stopped the job (Ctrl-C / SIGINT) before it finished. */
  'E_INTERRUPTED',
  'E_PROTOCOL_VERSION',
  'E_INTERNAL',
] as const;

/** One of ERROR_CODES. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain-object form of an error, safe to structured-clone or msgpack. */
export interface WireError {
  code: ErrorCode;
  name: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Base class of every Kindling error. */
export class KindlingError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Thrown when a CSV record cannot be parsed (FAILFAST), naming file, line and column. */
export class CsvParseError extends KindlingError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number | undefined,
    readonly byteOffset: number,
  ) {
    super('E_CSV_MALFORMED', message, { file, line, column, byteOffset });
  }
}

/** Thrown when a job specification is invalid; `path` names the bad field (e.g. `pipeline.label`). */
export class JobSpecError extends KindlingError {
  constructor(
    message: string,
    readonly path: string,
    readonly file?: string,
  ) {
    super('E_JOB_SPEC', message, { path, file });
  }
}

/** Thrown when data does not fit what the pipeline needs (missing column, bad label, null in a feature). */
export class DataError extends KindlingError {}

/** Thrown when a task fails on an executor after its retries are used up. */
export class TaskFailedError extends KindlingError {
  constructor(
    message: string,
    readonly taskId: string,
    readonly attempt: number,
    readonly executorId: string,
    cause?: WireError,
  ) {
    super('E_TASK_FAILED', message, { taskId, attempt, executorId, cause }, cause ? { cause } : undefined);
  }
}

/** Thrown when job outputs cannot be written (unwritable folder, existing output). */
export class OutputError extends KindlingError {
  constructor(
    message: string,
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super('E_OUTPUT', message, { path }, options);
  }
}

/** Converts any thrown value into its wire form. */
export function toWireError(err: unknown): WireError {
  if (err instanceof KindlingError) {
    return { code: err.code, name: err.name, message: err.message, details: err.details };
  }
  if (err instanceof Error) {
    // Node's errno errors (ENOENT, EACCES…) look like wire errors (code, name, message): test them first.
    const io = (err as NodeJS.ErrnoException).code;
    if (typeof io === 'string' && /^E[A-Z]+$/.test(io)) {
      return { code: 'E_IO', name: err.name, message: err.message, details: { errno: io } };
    }
    if (isWireError(err)) return err;
    return { code: 'E_INTERNAL', name: err.name, message: err.message, details: { stack: err.stack } };
  }
  if (isWireError(err)) return err;
  return { code: 'E_INTERNAL', name: 'Error', message: String(err) };
}

/** Rebuilds a KindlingError from its wire form (the class is the base class; branch on `code`). */
export function fromWireError(wire: WireError): KindlingError {
  const e = new KindlingError(wire.code, wire.message, wire.details ?? {});
  e.name = wire.name;
  return e;
}

function isWireError(v: unknown): v is WireError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as WireError).code === 'string' &&
    typeof (v as WireError).message === 'string' &&
    typeof (v as WireError).name === 'string'
  );
}
