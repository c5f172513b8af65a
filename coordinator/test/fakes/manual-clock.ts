/**
 * ManualClock: a Clock whose time moves only when a test calls advance(ms). Timers fire in
 * due order (ties in the order they were set), each seeing now() equal to its due time, so
 * "nothing before the delay, right after it" can be asserted to the millisecond. With
 * `firesEarlyMs` a timer longer than that sees now() that much before its due time, as Node's
 * timers (on a monotonic clock) can against Date.now(); shorter ones fire on time, so a
 * re-armed timer always moves time on.
 */
import type { Clock, TimerHandle } from '../../src/clock.js';

interface ManualTimer {
  readonly seq: number;
  due: number;
  /** How far before `due` now() reads when it fires. */
  readonly early: number;
  readonly fn: () => void;
  /** Set for intervals: the period to re-arm with. */
  readonly every?: number;
}

/** A Clock driven by hand. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, ManualTimer>();

  private readonly firesEarlyMs: number;

  constructor(start = 0, options: { readonly firesEarlyMs?: number } = {}) {
    this.time = start;
    this.firesEarlyMs = options.firesEarlyMs ?? 0;
  }

  /** The current manual time, ms. */
  now(): number {
    return this.time;
  }

  /** Arms `fn` for now + ms (negative counts as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    const early = ms > this.firesEarlyMs ? this.firesEarlyMs : 0;
    this.timers.set(handle, { seq: this.seq++, due: this.time + Math.max(0, ms), early, fn });
    return handle;
  }

  /** Disarms a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Arms `fn` every ms (at least 1, so advance always ends). */
  setInterval(fn: () => void, ms: number): TimerHandle {
    const handle = {};
    const every = Math.max(1, ms);
    this.timers.set(handle, { seq: this.seq++, due: this.time + every, early: 0, fn, every });
    return handle;
  }

  /** Disarms an interval. */
  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Moves time forward by ms, firing every timer that falls due, including ones armed meanwhile. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.nextDue();
      if (!next || next[1].due > end) break;
      const [handle, timer] = next;
      this.time = Math.max(this.time, timer.due - timer.early);
      if (timer.every === undefined) this.timers.delete(handle);
      else timer.due += timer.every;
      timer.fn();
    }
    this.time = end;
  }

  /** How many timers are armed. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private nextDue(): [TimerHandle, ManualTimer] | undefined {
    let best: [TimerHandle, ManualTimer] | undefined;
    for (const entry of this.timers) {
      if (!best || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[1].seq < best[1].seq)) best = entry;
    }
    return best;
  }
}
