import t from 'tap';
import { LossBackoff } from '../../src/scheduler/loss-backoff.js';
import { ManualClock } from '../fakes/manual-clock.js';

/** A backoff whose wake-ups are taken at once, as the task-set manager does from its loop. */
function setup(clock: ManualClock) {
  const released: number[][] = [];
  const backoff: LossBackoff = new LossBackoff(clock, () => {
    const due = backoff.takeDue();
    if (due.length > 0) released.push(due);
  });
  return { backoff, released };
}

t.test('loss backoff: partitions due together are released together, at their time', async (t) => {
  const clock = new ManualClock();
  const { backoff, released } = setup(clock);
  backoff.add(3, 100);
  backoff.add(0, 100);
  backoff.add(5, 400);
  clock.advance(99);
  t.same(released, [], 'nothing before the delay');
  clock.advance(1);
  t.same(released, [[0, 3]], 'the two due at 100 ms come out in one batch, ascending');
  clock.advance(300);
  t.same(released, [[0, 3], [5]], 'the later one at 400 ms');
  t.equal(backoff.size, 0);
  t.equal(clock.pendingTimers(), 0, 'no timer left armed');
});

t.test('loss backoff: a timer that fires before now() reaches its due time still releases the partitions', async (t) => {
  // Node's timers run on a monotonic clock and can fire a millisecond before Date.now() says
  // the delay has passed. The backoff once kept the fired timer as if it were still armed,
  // so the partitions were never released and the stage hung (seen in CI: kill -9 mid-load).
  const clock = new ManualClock(0, { firesEarlyMs: 1 });
  const { backoff, released } = setup(clock);
  backoff.add(0, 100);
  backoff.add(3, 100);
  clock.advance(99);
  t.same(released, [], 'the timer fired at 99 ms and found nothing due yet');
  t.equal(clock.pendingTimers(), 1, 'so it armed a new timer for what is still waiting');
  clock.advance(1);
  t.same(released, [[0, 3]], 'the partitions are released by that timer');
  t.equal(backoff.size, 0);
});

t.test('loss backoff: clear() cancels the timer and forgets every partition', async (t) => {
  const clock = new ManualClock();
  const { backoff, released } = setup(clock);
  backoff.add(1, 50);
  backoff.clear();
  t.equal(clock.pendingTimers(), 0);
  clock.advance(100);
  t.same(released, []);
  backoff.add(2, 10);
  clock.advance(10);
  t.same(released, [[2]], 'usable again after clear()');
});
