import t from 'tap';
import { asExecutorId, asJobId, type InferPartial } from '@kindling/shared/compute';
import { StaticMembership, type ExecutorMembership } from '../../src/cluster/executor-membership.js';
import { EventBus, type DriverEvents, type DriverEventType } from '../../src/events/event-bus.js';
import { silentLogger } from '../../src/logger.js';
import { TaskScheduler, type TaskSchedulerOptions } from '../../src/scheduler/task-scheduler.js';
import { drive, flush, observe } from '../fakes/drive-executors.js';
import { FakeExecutorClient } from '../fakes/fake-executor-client.js';
import { FakeMembership } from '../fakes/fake-membership.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { inferResult, inferStage, planOf } from '../fakes/stage-fixtures.js';

const job = asJobId('job-1');
const plan = planOf(16);

function setup(executors: FakeExecutorClient[] | ExecutorMembership, options: TaskSchedulerOptions = { maxTaskFailures: 1 }) {
  const clock = new ManualClock();
  const events = new EventBus();
  const membership = Array.isArray(executors) ? new StaticMembership(executors) : executors;
  const scheduler = new TaskScheduler(membership, job, events, silentLogger, options, clock);
  return { clock, events, scheduler };
}

/** Collects every event of the given types, in order. */
function record<K extends DriverEventType>(events: EventBus, ...types: K[]): Array<{ type: K; event: DriverEvents[K] }> {
  const seen: Array<{ type: K; event: DriverEvents[K] }> = [];
  for (const type of types) events.on(type, (event) => seen.push({ type, event }));
  return seen;
}

const rows = (out: readonly InferPartial[]) => out.map((r) => r.rowCount);
const partitionsOf = (ex: FakeExecutorClient) => ex.launched().map((r) => r.partition);

t.test('task-scheduler: returns results in partition order whatever the completion order', async (t) => {
  const ex = new FakeExecutorClient('a', 4);
  const { scheduler } = setup([ex]);
  const stage = scheduler.runStage(inferStage(8), plan);
  // Newest first: every completion arrives out of partition order.
  for (let open = ex.openPartitions(); open.length > 0; open = ex.openPartitions()) ex.complete(open.at(-1)!, inferResult(open.at(-1)!));
  const out: readonly InferPartial[] = await stage;
  t.same(rows(out), [0, 10, 20, 30, 40, 50, 60, 70]);
});

t.test('task-scheduler: never runs more tasks on an executor than it has slots', async (t) => {
  const a = new FakeExecutorClient('a', 2);
  const b = new FakeExecutorClient('b', 1);
  const { scheduler, clock } = setup([a, b]);
  const stage = scheduler.runStage(inferStage(12), plan);
  drive([a, b], clock);
  await stage;
  t.ok(a.maxOpen <= 2 && b.maxOpen <= 1, `max open a=${a.maxOpen} b=${b.maxOpen}`);
  t.equal(a.launched().length + b.launched().length, 12);
  t.ok(a.launched().length > 0 && b.launched().length > 0, 'both executors got work');
});

t.test('task-scheduler: later stages run where the partition ran before (locality)', async (t) => {
  const a = new FakeExecutorClient('a', 2);
  const b = new FakeExecutorClient('b', 2);
  const { scheduler, clock } = setup([a, b]);
  const first = scheduler.runStage(inferStage(6), plan);
  drive([a, b], clock);
  await first;
  const firstA = partitionsOf(a).sort();
  const firstB = partitionsOf(b).sort();
  a.batches.length = 0;
  b.batches.length = 0;
  const second = scheduler.runStage(inferStage(6), plan);
  drive([a, b], clock);
  await second;
  t.same(partitionsOf(a).sort(), firstA);
  t.same(partitionsOf(b).sort(), firstB);
  for (const p of firstA) t.equal(scheduler.homeOf(p), a.id);
  t.same(scheduler.executorIds(), [a.id, b.id]);
});

t.test('task-scheduler: retries an E_IO failure, and fails the task after exactly maxTaskFailures attempts', async (t) => {
  const ex = new FakeExecutorClient('a', 2);
  const { scheduler, clock, events } = setup([ex], { maxTaskFailures: 3 });
  const failed = record(events, 'task-failed');
  let ioLeft = 2;
  const ok = scheduler.runStage(inferStage(5), plan);
  drive([ex], clock, (_, p) => (p === 3 && ioLeft-- > 0 ? 'E_IO' : undefined));
  const out: readonly InferPartial[] = await ok;
  t.equal(out[3]!.rowCount, 30, 'third attempt succeeded');
  t.same(
    failed.map((f) => [f.event.partition, f.event.attempt, f.event.code, f.event.willRetry]),
    [
      [3, 0, 'E_IO', true],
      [3, 1, 'E_IO', true],
    ],
  );
  const ids = ex
    .launched()
    .filter((r) => r.partition === 3)
    .map((r) => r.taskId);
  t.equal(ids.length, 3);
  t.equal(new Set(ids).size, 3, 'task ids are unique per attempt');

  const ex2 = new FakeExecutorClient('b', 2);
  const two = setup([ex2], { maxTaskFailures: 2 });
  const failing = observe(two.scheduler.runStage(inferStage(3), plan));
  drive([ex2], two.clock, (_, p) => (p === 1 ? 'E_IO' : undefined));
  await flush();
  t.match(failing, { status: 'rejected', error: { code: 'E_TASK_FAILED', message: /partition 1 .* failed 2 time\(s\); last: E_IO on b/ } });
  t.equal(partitionsOf(ex2).filter((p) => p === 1).length, 2, 'exactly maxTaskFailures attempts');
});

t.test('task-scheduler: does not count executor losses toward maxTaskFailures; the 9th loss fails', async (t) => {
  const ex = new FakeExecutorClient('a', 1);
  const { scheduler, clock, events } = setup([ex], { maxTaskFailures: 2 });
  const failed = record(events, 'task-failed');
  let lossesLeft = 2 + 2;
  const ok = scheduler.runStage(inferStage(1), plan);
  drive([ex], clock, () => (lossesLeft-- > 0 ? 'E_EXECUTOR_LOST' : undefined));
  t.same(rows(await ok), [0]);
  t.same(
    failed.map((f) => f.event.willRetry),
    [true, true, true, true],
  );
  t.same(
    failed.map((f) => f.event.attempt),
    [0, 0, 0, 0],
    'losses do not advance the attempt',
  );

  const ex2 = new FakeExecutorClient('b', 1);
  const lossy = setup([ex2], { maxTaskFailures: 2 });
  const failing = observe(lossy.scheduler.runStage(inferStage(1), plan));
  drive([ex2], lossy.clock, () => 'E_EXECUTOR_LOST');
  await flush();
  t.match(failing, { status: 'rejected', error: { code: 'E_TASK_FAILED', message: /lost its executor 9 time\(s\)/ } });
  t.equal(ex2.launched().length, 9);
});

t.test('task-scheduler: relaunches a lost task only once its backoff has passed on the clock', async (t) => {
  const ex = new FakeExecutorClient('a', 1);
  const { scheduler, clock } = setup([ex], { maxTaskFailures: 1 });
  const stage = scheduler.runStage(inferStage(1), plan);
  for (const delay of [100, 200, 400]) {
    ex.fail(0, 'E_NO_RESPONDERS');
    const before = ex.batches.length;
    clock.advance(delay - 1);
    t.equal(ex.batches.length, before, `nothing relaunched before ${delay} ms`);
    clock.advance(1);
    t.equal(ex.batches.length, before + 1, `relaunched at ${delay} ms`);
  }
  ex.complete(0, inferResult(0));
  t.same(rows(await stage), [0]);
});

t.test('task-scheduler: a data error fails the stage at once, without retries', async (t) => {
  const ex = new FakeExecutorClient('a', 1);
  const { scheduler } = setup([ex], { maxTaskFailures: 4 });
  const stage = scheduler.runStage(inferStage(2), plan);
  ex.fail(0, 'E_CSV_MALFORMED', 'x.csv:7: expected 3 fields, found 2');
  await t.rejects(stage, { code: 'E_CSV_MALFORMED', message: /x\.csv:7/ });
  t.equal(partitionsOf(ex).filter((p) => p === 0).length, 1, 'attempted once');
});

t.test('task-scheduler: reports stage progress up to completion', async (t) => {
  const ex = new FakeExecutorClient('a', 1);
  const { scheduler, clock, events } = setup([ex]);
  const seen: string[] = [];
  events.on('stage-progress', (e) => seen.push(`${e.completed}+${e.running}/${e.total}`));
  events.on('stage-completed', (e) => seen.push(`done ${e.tasks}`));
  const stage = scheduler.runStage(inferStage(2), plan);
  drive([ex], clock);
  await stage;
  t.same(seen, ['0+1/2', '1+0/2', '1+1/2', '2+0/2', 'done 2']);
});

t.test('task-scheduler: fails with E_NO_EXECUTORS exactly executorWaitMs after finding no executor', async (t) => {
  const { scheduler, clock } = setup(new FakeMembership(), { maxTaskFailures: 1, executorWaitMs: 1000 });
  const stage = observe(scheduler.runStage(inferStage(2), plan));
  clock.advance(999);
  await flush();
  t.equal(stage.status, 'pending');
  clock.advance(1);
  await flush();
  t.match(stage, { status: 'rejected', error: { code: 'E_NO_EXECUTORS', message: /within 1000 ms/ } });
});

t.test('task-scheduler: an executor joining inside the wait lets the stage finish', async (t) => {
  const membership = new FakeMembership();
  const { scheduler, clock, events } = setup(membership, { maxTaskFailures: 1, executorWaitMs: 1000 });
  const added = record(events, 'executor-added');
  const stage = observe(scheduler.runStage(inferStage(2), plan));
  clock.advance(600);
  const late = new FakeExecutorClient('late', 2);
  membership.add(late);
  t.same(
    added.map((e) => e.event),
    [{ executorId: 'late', slots: 2 }],
  );
  t.same(late.openPartitions(), [0, 1]);
  clock.advance(1000);
  drive([late], clock);
  await flush();
  t.match(stage, { status: 'resolved' });
  t.same(rows(stage.value!), [0, 10]);
});

t.test('task-scheduler: re-runs elsewhere the tasks of an executor removed mid-stage', async (t) => {
  const a = new FakeExecutorClient('a', 2);
  const b = new FakeExecutorClient('b', 2);
  const membership = new FakeMembership([a, b]);
  const { scheduler, clock, events } = setup(membership, { maxTaskFailures: 1 });
  const first = scheduler.runStage(inferStage(4), plan);
  drive([a, b], clock);
  await first;
  const seen = record(events, 'executor-removed', 'task-failed', 'partition-recovered');
  const second = scheduler.runStage(inferStage(4), plan);
  t.same(a.openPartitions(), [0, 2]);
  membership.remove(a.id, true, 'pod deleted');
  t.same(
    seen.slice(0, 3).map((e) => e.event),
    [
      { executorId: 'a', lost: true, reason: 'pod deleted', partitions: [0, 2] },
      {
        stageId: 1,
        partition: 0,
        attempt: 0,
        executorId: 'a',
        code: 'E_EXECUTOR_LOST',
        message: 'executor a lost: pod deleted',
        willRetry: true,
        queuedMs: 0,
        runMs: 0,
      },
      {
        stageId: 1,
        partition: 2,
        attempt: 0,
        executorId: 'a',
        code: 'E_EXECUTOR_LOST',
        message: 'executor a lost: pod deleted',
        willRetry: true,
        queuedMs: 0,
        runMs: 0,
      },
    ],
  );
  a.complete(0, { ...inferResult(0), rowCount: 999 });
  b.completeAll(inferResult);
  t.same(b.openPartitions(), [], 'still in backoff');
  clock.advance(100);
  t.same(
    b.batches.at(-1)?.tasks.map((r) => r.partition),
    [0, 2],
    'lost tasks re-run on b after the backoff, in one batch',
  );
  b.completeAll(inferResult);
  t.same(rows(await second), [0, 10, 20, 30], 'the late report from the lost attempt is ignored');
  t.same(
    seen.filter((e) => e.type === 'partition-recovered').map((e) => e.event),
    [
      { partition: 0, from: 'a', to: 'b', recoveryMs: 100 },
      { partition: 2, from: 'a', to: 'b', recoveryMs: 100 },
    ],
  );
  t.equal(scheduler.homeOf(0), b.id);
  t.same(scheduler.executorIds(), [b.id]);
});

t.test('task-scheduler: lets a drained executor finish its running tasks', async (t) => {
  const a = new FakeExecutorClient('a', 1);
  const b = new FakeExecutorClient('b', 1);
  const membership = new FakeMembership([a, b]);
  const { scheduler, events } = setup(membership, { maxTaskFailures: 1 });
  const failed = record(events, 'task-failed');
  const stage = scheduler.runStage(inferStage(3), plan);
  membership.remove(a.id, false);
  a.complete(0, inferResult(0));
  t.same(a.openPartitions(), [], 'a drained executor gets no new task');
  b.complete(1, inferResult(1));
  b.complete(2, inferResult(2));
  t.same(rows(await stage), [0, 10, 20]);
  t.same(failed, []);
  t.equal(scheduler.homeOf(0), undefined, 'blocks on a drained executor are not a home');
});

t.test('task-scheduler: gives pending tasks to an executor added mid-stage', async (t) => {
  const a = new FakeExecutorClient('a', 1);
  const membership = new FakeMembership([a]);
  const { scheduler, clock } = setup(membership, { maxTaskFailures: 1 });
  const stage = scheduler.runStage(inferStage(3), plan);
  t.same(a.openPartitions(), [0]);
  const b = new FakeExecutorClient('b', 2);
  membership.add(b);
  t.same(
    b.batches.map((x) => x.tasks.map((r) => r.partition)),
    [[1, 2]],
    'one batch with the pending tasks',
  );
  drive([a, b], clock);
  t.same(rows(await stage), [0, 10, 20]);
});

t.test('task-scheduler: moves partitions onto a new executor at the next stage boundary', async (t) => {
  const a = new FakeExecutorClient('a', 2);
  const membership = new FakeMembership([a]);
  const { scheduler, clock, events } = setup(membership, { maxTaskFailures: 1, tasksPerSlot: 2 });
  const first = scheduler.runStage(inferStage(4), plan);
  drive([a], clock);
  await first;
  const b = new FakeExecutorClient('b', 2);
  membership.add(b);
  t.same(b.batches, [], 'nothing to run between stages');
  const moved = record(events, 'partitions-moved');
  a.batches.length = 0;
  const second = scheduler.runStage(inferStage(4), plan);
  t.same(
    moved.map((e) => e.event),
    [
      {
        moves: [
          { partition: 3, from: 'a', to: 'b' },
          { partition: 2, from: 'a', to: 'b' },
        ],
      },
    ],
  );
  t.same(
    a.batches.map((x) => x.tasks.map((r) => r.partition)),
    [[0, 1]],
  );
  t.same(
    b.batches.map((x) => x.tasks.map((r) => r.partition)),
    [[2, 3]],
    'moved partitions land on the new executor',
  );
  drive([a, b], clock);
  await second;
  t.equal(scheduler.homeOf(3), b.id);
});

t.test('task-scheduler: keeps in-flight non-home tasks within slots × tasksPerSlot', async (t) => {
  const a = new FakeExecutorClient('a', 2);
  const b = new FakeExecutorClient('b', 1);
  const { scheduler, clock } = setup([a, b], { maxTaskFailures: 1, tasksPerSlot: 2 });
  const stage = scheduler.runStage(inferStage(12), plan);
  t.same([a.batches[0]?.tasks.length, b.batches[0]?.tasks.length], [4, 2], 'the first round fills slots × tasksPerSlot');
  drive([a, b], clock);
  await stage;
  for (const [ex, cap] of [
    [a, 4],
    [b, 2],
  ] as const) {
    t.ok(
      ex.batches.every((x) => x.openAfter <= cap),
      `${ex.id}: open after each batch ≤ ${cap}`,
    );
    t.equal(ex.maxOpen, cap);
  }
});

t.test('task-scheduler: sends one launchTasks batch per executor for a stage over cached partitions', async (t) => {
  const a = new FakeExecutorClient('a', 1);
  const b = new FakeExecutorClient('b', 1);
  const { scheduler, clock } = setup([a, b], { maxTaskFailures: 1 });
  const first = scheduler.runStage(inferStage(8), plan);
  drive([a, b], clock);
  await first;
  t.ok(a.batches.length > 1, 'the first pass goes slot by slot');
  a.batches.length = 0;
  b.batches.length = 0;
  const second = scheduler.runStage({ name: 'gradient', op: 'csv-infer', params: inferStage(0).params, partitions: 8 }, plan);
  t.equal(a.batches.length, 1);
  t.equal(b.batches.length, 1);
  t.equal(a.batches[0]!.tasks.length + b.batches[0]!.tasks.length, 8);
  t.match(a.batches[0], { jobId: job, op: 'csv-infer', params: {}, plan: { version: 1, files: [{ path: '/data/x.csv' }] } });
  drive([a, b], clock);
  t.same(rows(await second), [0, 10, 20, 30, 40, 50, 60, 70]);
  t.equal(a.batches.length + b.batches.length, 2, 'still one message per executor');
});

t.test('task-scheduler: handles executors that report inside launchTasks', async (t) => {
  let ioLeft = 1;
  const ex = new FakeExecutorClient('a', 1, (task) =>
    task.partition === 2 && ioLeft-- > 0 ? { ok: false, code: 'E_IO', message: 'disk' } : { ok: true, value: inferResult(task.partition) },
  );
  const { scheduler } = setup([ex], { maxTaskFailures: 2 });
  t.same(rows(await scheduler.runStage(inferStage(5), plan)), [0, 10, 20, 30, 40]);
  t.same(partitionsOf(ex), [0, 1, 2, 2, 3, 4]);
});

t.test('task-scheduler: completes a stage of no partitions at once', async (t) => {
  const { scheduler, events } = setup([new FakeExecutorClient('a', 1)]);
  const seen = record(events, 'stage-submitted', 'stage-completed');
  t.same(await scheduler.runStage(inferStage(0), plan), []);
  t.same(
    seen.map((e) => e.event),
    [
      { stageId: 0, name: 'infer', tasks: 0 },
      { stageId: 0, name: 'infer', durationMs: 0, tasks: 0 },
    ],
  );
});

t.test('task-scheduler: close fails running stages, cancels their timers and stops following membership', async (t) => {
  const ex = new FakeExecutorClient('a', 1);
  const membership = new FakeMembership([ex]);
  const { scheduler, clock } = setup(membership, { maxTaskFailures: 1 });
  const stage = scheduler.runStage(inferStage(1), plan);
  ex.fail(0, 'E_EXECUTOR_LOST');
  t.equal(clock.pendingTimers(), 1);
  scheduler.close();
  await t.rejects(stage, { code: 'E_INTERNAL', message: /closed/ });
  t.equal(clock.pendingTimers(), 0);
  t.equal(membership.listenerCount(), 0);
  await t.rejects(scheduler.runStage(inferStage(1), plan), { code: 'E_INTERNAL' });
  t.equal(asExecutorId('a'), ex.id);
});
