/**
 * Helpers that play the executors' side of a scheduler test: finish open tasks on fake
 * executors (round robin, oldest first), advancing a manual clock when only timers are left,
 * and observe a promise's settlement without awaiting it.
 */
import type { ErrorCode } from '@kindling/shared/compute';
import type { FakeExecutorClient } from './fake-executor-client.js';
import type { ManualClock } from './manual-clock.js';
import { inferResult } from './stage-fixtures.js';

/** Says how an open task ends: undefined completes it with inferResult(partition). */
export type Decide = (executor: FakeExecutorClient, partition: number) => ErrorCode | undefined;

/**
 * Finishes open tasks, one executor after another, until none is open and no timer is armed
 * (advancing the clock by `stepMs` whenever only timers are left). Returns how many tasks it finished.
 */
export function drive(
  executors: readonly FakeExecutorClient[],
  clock: ManualClock,
  decide: Decide = () => undefined,
  stepMs = 2000,
): number {
  let finished = 0;
  let turn = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const ex = nextWithOpen(executors, turn++);
    if (ex) {
      const p = ex.openPartitions()[0]!;
      const code = decide(ex, p);
      if (code) ex.fail(p, code);
      else ex.complete(p, inferResult(p));
      finished++;
      continue;
    }
    if (clock.pendingTimers() === 0) return finished;
    clock.advance(stepMs);
  }
  throw new Error('drive: tasks kept coming');
}

function nextWithOpen(executors: readonly FakeExecutorClient[], turn: number): FakeExecutorClient | undefined {
  for (let i = 0; i < executors.length; i++) {
    const ex = executors[(turn + i) % executors.length]!;
    if (ex.openTasks().length > 0) return ex;
  }
  return undefined;
}

/** A promise's outcome as far as it is known (after flush()). */
export interface Observed<T> {
  status: 'pending' | 'resolved' | 'rejected';
  value?: T;
  error?: unknown;
}

/** Watches a promise without awaiting it (the rejection is handled here). */
export function observe<T>(promise: Promise<T>): Observed<T> {
  const o: Observed<T> = { status: 'pending' };
  promise.then(
    (value) => Object.assign(o, { status: 'resolved', value }),
    (error: unknown) => Object.assign(o, { status: 'rejected', error }),
  );
  return o;
}

/** Lets pending promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
