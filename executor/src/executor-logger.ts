/**
 * The logging the executor process needs; a pino logger fits (`log.info({ … }, 'message')`).
 * Its own module so that the backend, the source reader and the process root share it
 * without importing each other.
 */

/** Structured logging, pino-style. */
export interface ExecutorLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
