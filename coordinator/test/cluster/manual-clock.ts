/**
 * ManualClock: a Clock whose time moves only when a test says so, so timeouts and sweeps run
 * deterministically and instantly. Timers fire in due order (then creation order) inside
 * advance(), synchronously.
 */
import type { Clock, TimerHandle } from '../../src/clock.js';

interface Timer {
  readonly id: number;
  due: number;
  readonly fn: () => void;
  /** Set for intervals. */
  readonly every: number | undefined;
}

/** A Clock driven by advance(). */
export class ManualClock implements Clock {
  private time: number;
  private serial = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, undefined);
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as { id: number }).id);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Timers not yet fired or cleared. */
  pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) if (t.due <= end && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      if (next === undefined) break;
      this.time = next.due;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.time = end;
  }

  private add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = ++this.serial;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), fn, every });
    return { id };
  }
}
