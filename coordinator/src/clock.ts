/**
 * Clock: the driver's only source of time and timers. Schedulers, the executor registry and
 * the task launcher take one in their constructor, so their tests run on a manual clock
 * (coordinator/test/fakes/manual-clock.ts) instead of waiting for real time.
 */

/** An opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Time and timers. */
export interface Clock {
  /** ms since epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; the timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Calls `fn` every `ms`; never keeps the process alive. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** Real time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};
