import t from 'tap';
import {
  InProcessBus,
  PROTOCOL_VERSION,
  KindlingError,
  asJobId,
  asTaskId,
  subjects,
  type ExecutorClient,
  type ExecutorStatus,
  type JobId,
  type TaskBatch,
  type TaskOutcome,
  type TaskRef,
  type TaskUpdate,
} from '@kindling/shared';
import type { MembershipChange } from '../../src/cluster/executor-membership.js';
import { ExecutorRegistry } from '../../src/cluster/executor-registry.js';
import type { JobInputs, ServedFile } from '../../src/cluster/input-server.js';
import { TaskLauncher } from '../../src/cluster/task-launcher.js';
import { ManualClock } from '../fakes/manual-clock.js';
import {
  FakeExecutor,
  RecordingLogger,
  ScriptedTransport,
  inferResult,
  noResponders,
  plan,
  refused,
  settle,
  silentTransportLog,
  type Teardown,
} from './wire-fakes.js';

const DRIVER = 'driver-1';
const TASK_TIMEOUT_MS = 10_000;
const JOB = asJobId('job-1');
const s = subjects();

function setup(t: Teardown, opts: { registry?: boolean } = {}) {
  const bus = new InProcessBus();
  const inner = bus.connect({ log: silentTransportLog });
  const transport = new ScriptedTransport(inner);
  const clock = new ManualClock();
  const log = new RecordingLogger();
  const served: Array<[JobId, readonly ServedFile[]]> = [];
  const inputs: JobInputs = { serveJob: (jobId, files) => void served.push([jobId, files]) };
  const launcher = new TaskLauncher(transport, s, DRIVER, inputs, log, { clock, taskTimeoutMs: TASK_TIMEOUT_MS, launchTimeoutMs: 500 });
  const registry =
    opts.registry === true
      ? new ExecutorRegistry(transport, s, launcher, log, { clock, sweepMs: 100, executorTimeoutMs: 60_000 })
      : undefined;
  const executors: FakeExecutor[] = [];
  const executor = (id: string): { fake: FakeExecutor; client: ExecutorClient } => {
    const fake = new FakeExecutor(bus, id);
    executors.push(fake);
    const status = (): ExecutorStatus => ({ id: fake.id, slots: 2, runningTasks: 0, cachedBlocks: 0, cachedBytes: 0, rssBytes: 0 });
    return { fake, client: launcher.clientFor(fake.id, 2, status) };
  };
  t.teardown(async () => {
    registry?.close();
    launcher.close();
    for (const e of executors) await e.stop();
    await inner.close();
  });
  return { bus, transport, clock, log, served, launcher, registry, executor };
}

function refs(prefix: string, partitions: readonly number[]): TaskRef[] {
  return partitions.map((p) => ({ taskId: asTaskId(`${prefix}-p${p}`), partition: p }));
}

function batch(tasks: TaskRef[]): TaskBatch<'csv-infer'> {
  return { op: 'csv-infer', params: {}, tasks };
}

/** A sink that keeps every update it hears. */
function collector() {
  const updates: TaskUpdate[] = [];
  return { updates, sink: (u: TaskUpdate) => void updates.push(u), byTask: () => new Map(updates.map((u) => [u.taskId as string, u])) };
}

/** Every task of a launch succeeds with rowCount = 10 × partition. */
const succeedAll = (m: { tasks: readonly { taskId: string; partition: number }[] }): TaskOutcome[] =>
  m.tasks.map((x) => ({ taskId: x.taskId, partition: x.partition, ok: true, result: inferResult(x.partition * 10) }));

const codes = (updates: readonly TaskUpdate[]) => updates.map((u) => (u.ok ? 'ok' : u.error.code));

t.test('task-launcher: registers a plan once per executor, job and version however many launches', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  const b = executor('b');
  a.fake.autoFinish = succeedAll;
  b.fake.autoFinish = succeedAll;
  const c = collector();
  for (let i = 0; i < 5; i++) a.client.launchTasks(JOB, plan(1), batch(refs(`v1-${i}`, [i % 4])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 1, 'concurrent launches share one registration');
  t.equal(a.fake.launches.length, 5);
  a.client.launchTasks(JOB, plan(1), batch(refs('v1-later', [0])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 1, 'a later launch of the same version registers nothing');
  a.client.launchTasks(JOB, plan(2), batch(refs('v2', [0])), c.sink);
  a.client.launchTasks(JOB, plan(2), batch(refs('v2b', [1])), c.sink);
  a.client.launchTasks(asJobId('job-2'), plan(1), batch(refs('j2', [0])), c.sink);
  b.client.launchTasks(JOB, plan(2), batch(refs('b', [0])), c.sink);
  await settle();
  t.same(
    a.fake.plans.map((p) => [p.jobId, p.plan.version]),
    [
      ['job-1', 1],
      ['job-1', 2],
      ['job-2', 1],
    ],
  );
  t.same(
    b.fake.plans.map((p) => [p.jobId, p.plan.version]),
    [['job-1', 2]],
  );
  t.same(
    a.fake.plans.map((p) => p.driverId),
    [DRIVER, DRIVER, DRIVER],
  );
  t.equal(c.updates.length, 10);
  t.ok(
    c.updates.every((u) => u.ok),
    'every task succeeded',
  );
});

t.test('task-launcher: sends one launch-tasks message per batch and routes each outcome to its task', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  const first = collector();
  const second = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('x', [0, 1, 2, 3])), first.sink);
  a.client.launchTasks(JOB, plan(1), batch(refs('y', [0, 1])), second.sink);
  await settle();
  t.equal(a.fake.launches.length, 2, 'one message per batch');
  t.same(a.fake.launches[0]?.tasks, refs('x', [0, 1, 2, 3]));
  t.match(a.fake.launches[0], { driverId: DRIVER, jobId: 'job-1', planVersion: 1, batch: { op: 'csv-infer', params: {} } });
  // Outcomes coalesced across batches and out of order, in several messages.
  const ok = (id: string, p: number): TaskOutcome => ({ taskId: id, partition: p, ok: true, result: inferResult(p * 10) });
  await a.fake.finish(DRIVER, 'job-1', [ok('x-p2', 2), ok('y-p1', 1), ok('x-p0', 0)]);
  await a.fake.finish(DRIVER, 'job-1', [
    ok('x-p3', 3),
    { taskId: 'x-p1', partition: 1, ok: false, error: { code: 'E_CSV_MALFORMED', name: 'CsvParseError', message: 'bad' } },
    ok('y-p0', 0),
  ]);
  await settle();
  t.same(first.updates.map((u) => u.taskId).sort(), ['x-p0', 'x-p1', 'x-p2', 'x-p3']);
  t.same(second.updates.map((u) => u.taskId).sort(), ['y-p0', 'y-p1']);
  const x = first.byTask();
  t.match(x.get('x-p2'), { ok: true, partition: 2, value: { rowCount: 20 } });
  t.match(x.get('x-p3'), { ok: true, partition: 3, value: { rowCount: 30 } });
  t.match(x.get('x-p1'), { ok: false, partition: 1, error: { code: 'E_CSV_MALFORMED' } });
});

t.test('task-launcher: registers the plan again and relaunches once when the executor answers E_PLAN_MISSING', async (t) => {
  const { executor, log } = setup(t);
  const a = executor('a');
  a.fake.autoFinish = succeedAll;
  const c = collector();
  a.client.launchTasks(JOB, plan(3), batch(refs('first', [0])), c.sink);
  await settle();
  // The executor freed the job (it thought this driver dead): the launcher still believes it holds v3.
  a.fake.held.clear();
  a.client.launchTasks(JOB, plan(3), batch(refs('again', [1, 2])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 2, 'registered again');
  t.same(
    a.fake.launches.map((l) => l.tasks.map((x) => x.taskId)),
    [['first-p0'], ['again-p1', 'again-p2'], ['again-p1', 'again-p2']],
    'refused, then relaunched with the same tasks',
  );
  t.same(codes(c.updates), ['ok', 'ok', 'ok'], 'transparent to the sink');
  t.ok(log.at('info').some((m) => /does not hold the plan/.test(m)));
});

t.test('task-launcher: fails the batch with E_PLAN_MISSING when the relaunch is refused too', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  a.fake.onLaunch = () => refused({ code: 'E_PLAN_MISSING', name: 'KindlingError', message: 'no plan' });
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  t.equal(a.fake.launches.length, 2, 'relaunched once, not more');
  t.equal(a.fake.plans.length, 2);
  t.same(codes(c.updates), ['E_PLAN_MISSING', 'E_PLAN_MISSING']);
});

t.test('task-launcher: a request with no responders marks the executor lost through its code', async (t) => {
  const { executor, transport, registry, bus } = setup(t, { registry: true });
  const a = new FakeExecutor(bus, 'a');
  t.teardown(() => a.stop());
  await a.beat();
  await settle();
  const changes: MembershipChange[] = [];
  registry!.onChange((ch) => changes.push(ch));
  const client = registry!.executors()[0]!;
  transport.requestErrors.set(s.launchTasks('a'), noResponders(s.launchTasks('a')));
  const c = collector();
  client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  t.same(registry!.executors(), [], 'the registry lost it at once, without waiting for the heartbeat deadline');
  t.match(changes, [{ type: 'removed', executorId: 'a', lost: true, reason: /no process answers on its launch-tasks subject/ }]);
  // The same through register-plan.
  const b = executor('b');
  await b.fake.beat();
  await settle();
  transport.requestErrors.set(s.registerPlan('b'), noResponders(s.registerPlan('b')));
  const d = collector();
  registry!.executors()[0]!.launchTasks(JOB, plan(1), batch(refs('u', [0])), d.sink);
  await settle();
  t.same(codes(d.updates), ['E_EXECUTOR_LOST']);
  t.same(registry!.executors(), []);
});

t.test('task-launcher: an executor whose process is gone is lost at its next launch, before its heartbeat deadline', async (t) => {
  const { registry, bus } = setup(t, { registry: true });
  const a = new FakeExecutor(bus, 'a');
  await a.beat();
  await settle();
  const client = registry!.executors()[0]!;
  await a.stop(); // nothing listens on its subjects any more: the transport answers E_NO_RESPONDERS
  const c = collector();
  client.launchTasks(JOB, plan(1), batch(refs('t', [0])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST']);
  t.same(registry!.executors(), []);
});

t.test('task-launcher: other request errors fail the batch with E_EXECUTOR_LOST but keep the executor, whatever their text', async (t) => {
  const { transport, registry, bus } = setup(t, { registry: true });
  const a = new FakeExecutor(bus, 'a');
  t.teardown(() => a.stop());
  await a.beat();
  await settle();
  // Message text that says "no responders" with another code: the code decides, not the text.
  transport.requestErrors.set(s.launchTasks('a'), new KindlingError('E_IO', `no responders on ${s.launchTasks('a')} (timed out)`));
  const c = collector();
  registry!.executors()[0]!.launchTasks(JOB, plan(1), batch(refs('t', [0])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST']);
  t.match(c.updates[0], { ok: false, error: { details: { executorId: 'a', causeCode: 'E_IO' } } });
  t.same(
    registry!.executors().map((e) => e.id),
    ['a'],
    'still a member: only the heartbeat deadline or a no-responders code loses it',
  );
});

t.test('task-launcher: an invalid result fails only its own task with E_BAD_MESSAGE', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  a.fake.autoFinish = (m) => [
    { taskId: m.tasks[0]!.taskId, partition: 0, ok: true, result: inferResult(5) },
    { taskId: m.tasks[1]!.taskId, partition: 1, ok: true, result: { rowCount: 'many', malformedCount: 0, lineCount: 1, types: [] } },
    { taskId: m.tasks[2]!.taskId, partition: 2, ok: true, result: inferResult(7) },
  ];
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1, 2])), c.sink);
  await settle();
  const u = c.byTask();
  t.match(u.get('t-p0'), { ok: true, value: { rowCount: 5 } });
  t.match(u.get('t-p1'), { ok: false, error: { code: 'E_BAD_MESSAGE', message: /tasks-finished result \(csv-infer\): rowCount/ } });
  t.match(u.get('t-p2'), { ok: true, value: { rowCount: 7 } });
});

t.test('task-launcher: a reconnect fails every task in flight with E_EXECUTOR_LOST and makes plans unknown', async (t) => {
  const { executor, transport } = setup(t);
  const a = executor('a');
  const b = executor('b');
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('a', [0, 1])), c.sink);
  b.client.launchTasks(JOB, plan(1), batch(refs('b', [2])), c.sink);
  await settle();
  transport.emitStatus('reconnected');
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  // Results that were on the way arrive late: ignored by task id, never a second outcome.
  await a.fake.finish(DRIVER, 'job-1', succeedAll(a.fake.launches[0]!));
  await settle();
  t.equal(c.updates.length, 3);
  a.fake.autoFinish = succeedAll;
  a.client.launchTasks(JOB, plan(1), batch(refs('retry', [0, 1])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 2, 'the plan is registered again after the reconnect');
  t.same(codes(c.updates.slice(3)), ['ok', 'ok']);
});

t.test('task-launcher: fails a task with E_TASK_TIMEOUT when no outcome arrives within taskTimeoutMs', async (t) => {
  const { executor, clock } = setup(t);
  const a = executor('a');
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  await a.fake.finish(DRIVER, 'job-1', [{ taskId: 't-p0', partition: 0, ok: true, result: inferResult(1) }]);
  await settle();
  clock.advance(TASK_TIMEOUT_MS - 1);
  t.same(codes(c.updates), ['ok']);
  clock.advance(1);
  t.same(codes(c.updates), ['ok', 'E_TASK_TIMEOUT']);
  t.equal(clock.pendingTimers(), 0, 'no timer left');
  a.fake.autoFinish = succeedAll;
  a.client.launchTasks(JOB, plan(1), batch(refs('fast', [2])), c.sink);
  await settle();
  t.equal(clock.pendingTimers(), 0, "a batch's timer is cleared when its last task ends");
});

t.test('task-launcher: fails the tasks of an executor the registry loses with E_EXECUTOR_LOST', async (t) => {
  const { registry, bus } = setup(t, { registry: true });
  const a = new FakeExecutor(bus, 'a');
  t.teardown(() => a.stop());
  await a.beat();
  await settle();
  const client = registry!.executors()[0]!;
  const c = collector();
  client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  registry!.markLost(a.id, 'pod default/a deleted');
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  t.match(c.updates[0], { error: { message: /executor a lost \(pod default\/a deleted\)/ } });
  client.launchTasks(JOB, plan(1), batch(refs('u', [0])), c.sink);
  await settle();
  t.equal(a.plans.length, 2, 'what a lost executor held is forgotten');
});

t.test('task-launcher: ignores outcomes of unknown tasks, duplicates and other executors', async (t) => {
  const { executor, log } = setup(t);
  const a = executor('a');
  const b = executor('b');
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  const ok = (id: string, p: number): TaskOutcome => ({ taskId: id, partition: p, ok: true, result: inferResult(p) });
  await b.fake.finish(DRIVER, 'job-1', [ok('t-p0', 0)]); // from the wrong executor
  await a.fake.finish(DRIVER, 'job-2', [ok('t-p0', 0)]); // for another job
  await a.fake.finish(DRIVER, 'job-1', [ok('t-p0', 3)]); // for another partition
  await a.fake.finish(DRIVER, 'job-1', [ok('nobody', 0)]); // unknown
  await settle();
  t.same(c.updates, [], 'none of them is an outcome');
  await a.fake.finish(DRIVER, 'job-1', [ok('t-p0', 0), ok('t-p0', 0)]); // the real one, duplicated
  await a.fake.finish(DRIVER, 'job-1', [ok('t-p0', 0), ok('t-p1', 1)]);
  await settle();
  t.same(
    c.updates.map((u) => u.taskId),
    ['t-p0', 't-p1'],
    'each task hears exactly one outcome',
  );
  t.equal(log.at('warn').filter((m) => /wrong executor/.test(m)).length, 3);
  t.ok(log.at('debug').filter((m) => /not in flight/.test(m)).length >= 3);
});

t.test('task-launcher: a refusal fails every task of the batch with its error', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  a.fake.onLaunch = () => refused({ code: 'E_EXECUTOR_LOST', name: 'KindlingError', message: 'executor a is draining' });
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1, 2])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  t.match(c.updates[0], { error: { message: 'executor a is draining' } });
  t.equal(a.fake.launches.length, 1, 'no relaunch for a draining executor');
});

t.test('task-launcher: a refused registration fails the batch with its code and is tried again next time', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  let refuse = true;
  a.fake.onPlan = () =>
    refuse
      ? {
          type: 'ack',
          version: PROTOCOL_VERSION,
          ok: false,
          error: { code: 'E_INVALID_VALUE', name: 'KindlingError', message: 'plan too large' },
        }
      : { type: 'ack', version: PROTOCOL_VERSION, ok: true };
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_INVALID_VALUE'], 'deterministic: not dressed up as a lost executor');
  t.equal(a.fake.launches.length, 0);
  refuse = false;
  a.fake.autoFinish = succeedAll;
  a.client.launchTasks(JOB, plan(1), batch(refs('u', [0])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 2);
  t.same(codes(c.updates), ['E_INVALID_VALUE', 'ok']);
});

t.test('task-launcher: dropJob sends drop-job and forgets what the executor held for the job', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  a.fake.autoFinish = succeedAll;
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0])), c.sink);
  await settle();
  await a.client.dropJob(JOB);
  t.same(
    a.fake.drops.map((d) => d.jobId),
    ['job-1'],
  );
  a.client.launchTasks(JOB, plan(1), batch(refs('u', [0])), c.sink);
  await settle();
  t.equal(a.fake.plans.length, 2, 'registered again after the drop');
  t.same(codes(c.updates), ['ok', 'ok']);
});

t.test('task-launcher: lets the input server serve a job plan file and lists the job until it is forgotten', async (t) => {
  const { executor, served, launcher } = setup(t);
  const a = executor('a');
  a.fake.autoFinish = succeedAll;
  a.client.launchTasks(JOB, plan(1, '/data/bank.csv'), batch(refs('t', [0])), () => undefined);
  await settle();
  t.same(served, [['job-1', [{ path: '/data/bank.csv', size: 400 }]]], 'with the size the plan was made from');
  t.same(launcher.jobs(), ['job-1']);
  launcher.forgetJob(JOB);
  t.same(launcher.jobs(), []);
  a.client.launchTasks(JOB, plan(1, '/data/bank.csv'), batch(refs('u', [0])), () => undefined);
  await settle();
  t.equal(a.fake.plans.length, 2, 'a forgotten job registers its plan again if it launches again');
});

t.test('task-launcher: a task id repeated in a batch is sent once and its repeat fails alone', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  a.fake.autoFinish = succeedAll;
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch([...refs('t', [0, 1]), ...refs('t', [1])]), c.sink);
  await settle();
  t.same(
    a.fake.launches[0]?.tasks.map((x) => x.taskId),
    ['t-p0', 't-p1'],
  );
  t.same(codes(c.updates).sort(), ['E_INTERNAL', 'ok', 'ok']);
});

t.test('task-launcher: a task id already in flight fails the second launch of it alone', async (t) => {
  const { executor } = setup(t);
  const a = executor('a');
  const first = collector();
  const second = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0])), first.sink);
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0])), second.sink);
  t.same(second.updates, [], 'never an outcome before launchTasks returns');
  await settle();
  t.same(codes(second.updates), ['E_INTERNAL']);
  t.equal(a.fake.launches.length, 1);
  await a.fake.finish(DRIVER, 'job-1', succeedAll(a.fake.launches[0]!));
  await settle();
  t.same(codes(first.updates), ['ok']);
  t.equal(second.updates.length, 1);
});

t.test('task-launcher: close fails the tasks in flight and every later launch with E_EXECUTOR_LOST', async (t) => {
  const { executor, launcher } = setup(t);
  const a = executor('a');
  const c = collector();
  a.client.launchTasks(JOB, plan(1), batch(refs('t', [0, 1])), c.sink);
  await settle();
  launcher.close();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  a.client.launchTasks(JOB, plan(1), batch(refs('u', [0])), c.sink);
  await settle();
  t.same(codes(c.updates), ['E_EXECUTOR_LOST', 'E_EXECUTOR_LOST', 'E_EXECUTOR_LOST']);
  t.equal(a.fake.launches.length, 1, 'nothing is sent once closed');
});
