/**
 * The logging surface the driver needs; pino's Logger satisfies it, and tests can pass a
 * silent one. Kept minimal so the coordinator does not depend on a logging library.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
