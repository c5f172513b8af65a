import t from 'tap';
import {
  asExecutorId,
  asTaskId,
  TaskFailedError,
  type ErrorCode,
  type ExecutorId,
  type TaskId,
  type WireError,
} from '@kindling/shared/compute';
import { TaskSetManager, type ExecutorOffer, type TaskLaunch, type TaskSetPolicy } from '../../src/scheduler/task-set-manager.js';
import { ManualClock } from '../fakes/manual-clock.js';

const A = asExecutorId('a');
const B = asExecutorId('b');

/** A manager over `partitions` partitions on a manual clock; homes are read from the map. */
function setup(partitions: number, policy: TaskSetPolicy, homes = new Map<number, ExecutorId>()) {
  const clock = new ManualClock();
  let counter = 0;
  const manager: TaskSetManager<number> = new TaskSetManager<number>({ stageId: 7, name: 'infer', partitions }, policy, {
    clock,
    homes: { homeOf: (p) => homes.get(p) },
    newTaskId: (p, attempt) => asTaskId(`job.7.${p}.${attempt}.${counter++}`),
    // No other loop here: deliver the timer straight back, as the scheduler does from its own.
    onTimer: (timer) => manager.timerFired(timer),
  });
  return { manager, clock, homes };
}

function offer(id: ExecutorId, slots: number, running = 0, capacity = slots): ExecutorOffer {
  return { id, slots, running, capacity };
}

function wire(code: ErrorCode, message = `${code} happened`): WireError {
  return { code, name: 'KindlingError', message };
}

function only(launches: TaskLaunch[]): TaskLaunch {
  if (launches.length !== 1) throw new Error(`expected one launch, got ${launches.length}`);
  return launches[0]!;
}

t.test('task-set-manager: returns results in partition order whatever the completion order', async (t) => {
  const { manager } = setup(4, { maxTaskFailures: 1 });
  const launches = manager.offer([offer(A, 4)]);
  t.same(
    launches.map((l) => l.partition),
    [0, 1, 2, 3],
  );
  const byPartition = new Map(launches.map((l) => [l.partition, l.taskId]));
  for (const p of [3, 1, 0]) {
    manager.taskSucceeded(byPartition.get(p)!, p * 10);
    t.equal(manager.state().status, 'running');
  }
  manager.taskSucceeded(byPartition.get(2)!, 20);
  const state = manager.state();
  t.equal(state.status, 'succeeded');
  if (state.status === 'succeeded') t.same(state.results, [0, 10, 20, 30]);
});

t.test('task-set-manager: retries an E_IO failure until maxTaskFailures attempts, then fails with TaskFailedError', async (t) => {
  const { manager } = setup(2, { maxTaskFailures: 3 });
  const attempts: number[] = [];
  const willRetry: boolean[] = [];
  manager.offer([offer(A, 1)]);
  for (let launch = only(manager.offer([offer(B, 1)])); ;) {
    t.equal(launch.partition, 1);
    attempts.push(launch.attempt);
    const f = manager.taskFailed(launch.taskId, wire('E_IO', 'disk'))!;
    willRetry.push(f.willRetry);
    if (!f.willRetry) break;
    launch = only(manager.offer([offer(B, 1)]));
  }
  t.same(attempts, [0, 1, 2], 'exactly maxTaskFailures attempts');
  t.same(willRetry, [true, true, false]);
  const state = manager.state();
  t.equal(state.status, 'failed');
  if (state.status !== 'failed') return;
  t.ok(state.error instanceof TaskFailedError);
  t.match(state.error, { code: 'E_TASK_FAILED', message: /partition 1 of stage 7 \(infer\) failed 3 time\(s\); last: disk/ });
  t.same(manager.offer([offer(B, 1)]), [], 'a failed stage launches nothing');
});

t.test('task-set-manager: does not count executor losses toward maxTaskFailures', async (t) => {
  const { manager, clock } = setup(1, { maxTaskFailures: 2 });
  let launch = only(manager.offer([offer(A, 1)]));
  for (let i = 0; i < 2 + 2; i++) {
    t.equal(launch.attempt, 0, 'a loss does not advance the attempt');
    t.equal(manager.taskFailed(launch.taskId, wire('E_EXECUTOR_LOST'))!.willRetry, true);
    clock.advance(2000);
    launch = only(manager.offer([offer(A, 1)]));
  }
  manager.taskSucceeded(launch.taskId, 42);
  t.match(manager.state(), { status: 'succeeded', results: [42] });
});

t.test('task-set-manager: fails a task on its 9th executor loss', async (t) => {
  const { manager, clock } = setup(1, { maxTaskFailures: 4 });
  let launches = 0;
  for (;;) {
    const launch = only(manager.offer([offer(A, 1)]));
    launches++;
    const f = manager.taskFailed(launch.taskId, wire('E_EXECUTOR_LOST', 'pod gone'))!;
    if (!f.willRetry) break;
    clock.advance(2000);
  }
  t.equal(launches, 9, 'eight losses are retried, the ninth is not');
  t.match(manager.state(), {
    status: 'failed',
    error: { code: 'E_TASK_FAILED', message: /lost its executor 9 time\(s\); last: pod gone/ },
  });
});

for (const code of ['E_EXECUTOR_LOST', 'E_NO_RESPONDERS'] as const) {
  t.test(`task-set-manager: relaunches after ${code} only once min(2000, 100·2^(n−1)) ms have passed`, async (t) => {
    const { manager, clock } = setup(1, { maxTaskFailures: 1 });
    let launch = only(manager.offer([offer(A, 1)]));
    const delays: number[] = [];
    for (const expected of [100, 200, 400, 800, 1600, 2000, 2000, 2000]) {
      const f = manager.taskFailed(launch.taskId, wire(code))!;
      delays.push(f.retryDelayMs);
      t.same(manager.offer([offer(A, 1)]), [], 'not at once');
      clock.advance(expected - 1);
      t.same(manager.offer([offer(A, 1)]), [], `not before ${expected} ms`);
      clock.advance(1);
      launch = only(manager.offer([offer(A, 1)]));
    }
    t.same(delays, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    t.equal(clock.pendingTimers(), 0);
  });
}

t.test('task-set-manager: relaunches at once after E_PLAN_MISSING, within the same loss bound', async (t) => {
  const { manager } = setup(1, { maxTaskFailures: 1 });
  let launches = 0;
  for (;;) {
    const launch = only(manager.offer([offer(A, 1)]));
    launches++;
    const f = manager.taskFailed(launch.taskId, wire('E_PLAN_MISSING'))!;
    if (!f.willRetry) break;
    t.equal(f.retryDelayMs, 0);
  }
  t.equal(launches, 9);
  t.match(manager.state(), { status: 'failed', error: { code: 'E_TASK_FAILED' } });
});

for (const code of ['E_CSV_MALFORMED', 'E_CSV_EMPTY', 'E_CSV_HEADER', 'E_LABEL', 'E_INVALID_VALUE', 'E_SCHEMA', 'E_JOB_SPEC'] as const) {
  t.test(`task-set-manager: fails the stage at once with the original error on ${code}`, async (t) => {
    const { manager } = setup(2, { maxTaskFailures: 4 });
    const [first] = manager.offer([offer(A, 2)]);
    const f = manager.taskFailed(first!.taskId, wire(code, 'x.csv:7: expected 3 fields, found 2'))!;
    t.equal(f.willRetry, false);
    t.match(manager.state(), { status: 'failed', error: { code, message: 'x.csv:7: expected 3 fields, found 2' } });
    t.same(manager.offer([offer(A, 2)]), [], 'no retry');
  });
}

t.test('task-set-manager: sends a partition to its live home even past capacity, and waits for room otherwise', async (t) => {
  const homes = new Map<number, ExecutorId>([
    [0, A],
    [1, B],
    [2, asExecutorId('gone')],
  ]);
  const { manager } = setup(3, { maxTaskFailures: 1 }, homes);
  const first = manager.offer([offer(A, 1, 5), offer(B, 1, 0)]);
  t.same(
    first.map((l) => [l.partition, l.executorId, l.local]),
    [
      [0, A, true],
      [1, B, true],
    ],
    'homes first, whatever their load; partition 2 finds no room',
  );
  const second = only(manager.offer([offer(A, 1, 5), offer(B, 1, 0)]));
  t.same([second.partition, second.executorId, second.local], [2, B, false], 'a partition whose home is gone goes where there is room');
});

t.test('task-set-manager: places other partitions on the least loaded executor below its capacity', async (t) => {
  const { manager } = setup(5, { maxTaskFailures: 1 });
  const launches = manager.offer([offer(A, 2), offer(B, 1)]);
  t.same(
    launches.map((l) => [l.partition, l.executorId]),
    [
      [0, A],
      [1, B],
      [2, A],
    ],
  );
  t.same(manager.counts(), { completed: 0, running: 3, total: 5 });
  t.same(manager.offer([offer(A, 2, 2), offer(B, 1, 1)]), [], 'full executors take nothing more');
});

t.test('task-set-manager: fails with E_NO_EXECUTORS exactly executorWaitMs after finding no executor', async (t) => {
  const { manager, clock } = setup(3, { maxTaskFailures: 1, executorWaitMs: 500 });
  t.same(manager.offer([]), []);
  clock.advance(499);
  t.equal(manager.state().status, 'running');
  clock.advance(1);
  t.match(manager.state(), {
    status: 'failed',
    error: { code: 'E_NO_EXECUTORS', message: /infer: no executor registered within 500 ms to run the remaining 3 task/ },
  });
});

t.test('task-set-manager: an offer with executors inside the wait cancels it', async (t) => {
  const { manager, clock } = setup(1, { maxTaskFailures: 1, executorWaitMs: 500 });
  manager.offer([]);
  clock.advance(400);
  const launch = only(manager.offer([offer(A, 1)]));
  t.equal(clock.pendingTimers(), 0, 'wait cancelled');
  clock.advance(1000);
  manager.taskSucceeded(launch.taskId, 1);
  t.equal(manager.state().status, 'succeeded');
});

t.test('task-set-manager: does not start the wait while tasks are still running', async (t) => {
  const { manager, clock } = setup(2, { maxTaskFailures: 1, executorWaitMs: 0 });
  manager.offer([offer(A, 1)]);
  manager.offer([]);
  t.equal(clock.pendingTimers(), 0);
});

t.test('task-set-manager: re-runs a lost executor’s tasks as losses; a drained executor’s tasks keep running', async (t) => {
  const { manager, clock } = setup(3, { maxTaskFailures: 1 });
  const launches = manager.offer([offer(A, 2), offer(B, 1)]);
  const onA = launches.filter((l) => l.executorId === A);
  const onB = launches.filter((l) => l.executorId === B);
  t.same(
    onA.map((l) => l.partition),
    [0, 2],
  );
  const failures = manager.executorRemoved(A, true, 'pod deleted');
  t.same(
    failures.map((f) => [f.partition, f.error.code, f.willRetry, f.retryDelayMs]),
    [
      [0, 'E_EXECUTOR_LOST', true, 100],
      [2, 'E_EXECUTOR_LOST', true, 100],
    ],
  );
  t.equal(manager.taskSucceeded(onA[0]!.taskId, 0), undefined, 'a late report from the lost attempt is stale');
  t.same(manager.executorRemoved(B, false, 'drain'), [], 'drained: nothing fails');
  manager.taskSucceeded(onB[0]!.taskId, 10);
  clock.advance(100);
  const relaunched = manager.offer([offer(asExecutorId('c'), 2)]);
  t.same(
    relaunched.map((l) => l.partition),
    [0, 2],
  );
  for (const l of relaunched) manager.taskSucceeded(l.taskId, l.partition * 10);
  t.match(manager.state(), { status: 'succeeded', results: [0, 10, 20] });
});

t.test('task-set-manager: ignores reports of unknown tasks', async (t) => {
  const { manager } = setup(1, { maxTaskFailures: 1 });
  manager.offer([offer(A, 1)]);
  t.equal(manager.taskSucceeded(asTaskId('nope') as TaskId, 1), undefined);
  t.equal(manager.taskFailed(asTaskId('nope'), wire('E_IO')), undefined);
  t.same(manager.counts(), { completed: 0, running: 1, total: 1 });
});

t.test('task-set-manager: measures queue and run time of each attempt on the clock', async (t) => {
  const { manager, clock } = setup(1, { maxTaskFailures: 1 });
  clock.advance(30);
  const launch = only(manager.offer([offer(A, 1)]));
  clock.advance(50);
  t.match(manager.taskSucceeded(launch.taskId, 1), { partition: 0, queuedMs: 30, runMs: 50 });
  t.match(manager.state(), { status: 'succeeded', durationMs: 80 });
});

t.test('task-set-manager: a stage of no partitions has succeeded from the start', async (t) => {
  const { manager } = setup(0, { maxTaskFailures: 1 });
  t.same(manager.state(), { status: 'succeeded', results: [], durationMs: 0 });
  t.same(manager.offer([]), []);
});

t.test('task-set-manager: abort fails the attempt and cancels its timers', async (t) => {
  const { manager, clock } = setup(1, { maxTaskFailures: 1 });
  const launch = only(manager.offer([offer(A, 1)]));
  manager.taskFailed(launch.taskId, wire('E_EXECUTOR_LOST'));
  t.equal(clock.pendingTimers(), 1);
  manager.abort(new TaskFailedError('stop', 'x', 0, 'a'));
  t.equal(clock.pendingTimers(), 0);
  t.match(manager.state(), { status: 'failed', error: { message: 'stop' } });
});
