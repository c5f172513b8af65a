/**
 * ExecutorLogger: the logging interface the executor's roles write to. It has a module of its
 * own so that a module the backend depends on (source-reader.ts) can log without importing
 * executor-backend.ts, which would make the two import each other; the backend re-exports it
 * for its existing importers. main.ts creates the logger and hands it to each role.
 */

/** The logging the executor needs; a pino logger fits (`log.info({ … }, 'message')`). */
export interface ExecutorLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
