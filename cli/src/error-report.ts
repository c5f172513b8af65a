/**
 * How the CLI reports a failure: one line `kindling: error: <message> [<code>]` on stderr (the
 * stack only at debug level), and the exit code: 2 for what the user must fix before anything
 * runs (flags, the job spec), 1 for a job that started and failed. Used by run-cli and submit.
 */
import { KindlingError, toWireError, type ErrorCode } from '@kindling/shared/compute';

/** 0 ok, 1 job failure, 2 usage or job-spec error, 130 interrupted (Ctrl-C, as shells count 128 + SIGINT). */
export type ExitCode = 0 | 1 | 2 | 130;

/** When the error happened: before the job started (flags, spec) or while it ran. */
export type FailurePhase = 'setup' | 'run';

/** The one-line report of an error, without a trailing newline. */
export function errorLine(err: unknown): string {
  const wire = toWireError(err);
  const message = wire.message.replace(/\s*\n\s*/g, ' ').trim() || wire.name;
  return `kindling: error: ${message} [${codeOf(err, wire.code)}]`;
}

/**
 * A Node errno error (`code: 'ENOENT'`) looks like a wire error to toWireError, which then
 * passes its errno through as the code; the CLI reports it as E_IO.
 */
function codeOf(err: unknown, wireCode: ErrorCode): ErrorCode {
  if (err instanceof KindlingError) return err.code;
  const errno = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof errno === 'string' && /^E[A-Z]+$/.test(errno) ? 'E_IO' : wireCode;
}

/** The error of a job stopped by Ctrl-C: says so, keeping what the stop made the tasks throw as the cause. */
export function interruptedError(job: string, cause: unknown): KindlingError {
  return new KindlingError('E_INTERRUPTED', `job ${job} was interrupted (SIGINT) before it finished`, { job }, { cause });
}

/** The stack of an error and of its causes, for `--log-level debug`. */
export function errorStack(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    parts.push(depth === 0 ? (e.stack ?? String(e)) : `Caused by: ${e.stack ?? String(e)}`);
  }
  return parts.join('\n');
}

/** Exit code for an error: a job-spec error is the user's to fix wherever it surfaced. */
export function exitCodeFor(err: unknown, phase: FailurePhase): ExitCode {
  if (toWireError(err).code === 'E_INTERRUPTED') return 130;
  if (phase === 'setup') return 2;
  return toWireError(err).code === 'E_JOB_SPEC' ? 2 : 1;
}
