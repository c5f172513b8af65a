/**
 * The CLI's pino logger. Logs always go to stderr, so stdout carries only results (the metrics
 * table or JSON) and can be piped. On a terminal they are pretty-printed (pino-pretty, formatted
 * in-process and written synchronously, so nothing is lost at exit); elsewhere they are JSON lines
 * for log collectors. A hook runs before each line so the progress bar can get out of the way.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

// pino-pretty is loaded only for a terminal: JSON runs and --help do not pay for it.
const require = createRequire(import.meta.url);

/** pino's levels, as `--log-level` accepts them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of createLogger. */
export interface CliLoggerOptions {
  readonly level: LogLevel;
  /** Human-readable lines instead of JSON; default: whether the stream is a terminal. */
  readonly pretty?: boolean;
  /** Default process.stderr. */
  readonly stream?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Runs before each line is written (the submit command clears the progress bar here). */
  readonly beforeWrite?: () => void;
}

/** True for a level name pino knows. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Creates the CLI logger: pretty on a terminal, JSON lines otherwise, both on stderr. */
export function createLogger(options: CliLoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const pretty = options.pretty ?? stream.isTTY === true;
  const format = pretty
    ? (require('pino-pretty') as typeof import('pino-pretty')).prettyFactory({
        colorize: stream.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      })
    : (line: string) => line;
  const destination = {
    write(line: string): void {
      options.beforeWrite?.();
      stream.write(format(line));
    },
  };
  return pino({ level: options.level, base: { pid: process.pid } }, destination);
}
