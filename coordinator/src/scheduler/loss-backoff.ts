/**
 * LossBackoff: partitions of one stage attempt waiting out their backoff after an executor
 * loss, behind a single clock timer set for the earliest one. Partitions that come due
 * together (the tasks of one lost executor) are released together, so they relaunch in one
 * batch per executor rather than one message each.
 *
 * Owned by a TaskSetManager. THREADING: the timer only calls `onDue`, which must hand the
 * wake-up to the owner's loop; the owner then calls `takeDue()` from there.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** Partitions waiting to be retried, with one timer for the earliest. */
export class LossBackoff {
  /** Partition → when it may run again. */
  private readonly readyAt = new Map<number, number>();
  private timer: { readonly handle: TimerHandle; readonly at: number } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: () => void,
  ) {}

  /** How many partitions are waiting. */
  get size(): number {
    return this.readyAt.size;
  }

  /** Holds `partition` back for `delayMs` from now. */
  add(partition: number, delayMs: number): void {
    this.readyAt.set(partition, this.clock.now() + delayMs);
    this.arm();
  }

  /**
   * Removes and returns, ascending, the partitions whose delay has passed. Called after the
   * timer fired; partitions not yet due by `now()` (a timer may fire a millisecond before
   * Date.now() reaches its due time) stay, behind a fresh timer.
   */
  takeDue(): number[] {
    const now = this.clock.now();
    const due: number[] = [];
    for (const [p, at] of this.readyAt) if (at <= now) due.push(p);
    for (const p of due) this.readyAt.delete(p);
    this.arm();
    return due.sort((a, b) => a - b);
  }

  /** Forgets every waiting partition and cancels the timer. */
  clear(): void {
    this.readyAt.clear();
    this.arm();
  }

  /** Keeps the timer on the earliest ready time (none when nothing waits). */
  private arm(): void {
    let next = Infinity;
    for (const at of this.readyAt.values()) next = Math.min(next, at);
    if (this.timer?.at === next) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (next === Infinity) return;
    const handle = this.clock.setTimeout(() => {
      // A fired timer guards nothing: forgetting it here (not by comparing `at` with now(),
      // which a timer firing early fails) lets the next arm() set a new one.
      if (this.timer?.handle === handle) this.timer = undefined;
      this.onDue();
    }, next - this.clock.now());
    this.timer = { handle, at: next };
  }
}
