import t from 'tap';
import { asJobId, DEFAULT_CSV_OPTIONS, InProcessBus, PROTOCOL_VERSION, subjects, type JobPlan, type TasksFinished } from '@kindling/shared';
import { Executor } from '../src/executor.js';
import { ExecutorBackend } from '../src/executor-backend.js';

const S = subjects('kt');
const plan: JobPlan = {
  version: 1,
  files: [{ path: '/data/x.csv', size: 200, format: 'csv', compression: 'none' }],
  csv: DEFAULT_CSV_OPTIONS,
  columnNames: ['a'],
  partitions: [
    { file: 0, start: 0, end: 100, firstRowId: 0 },
    { file: 0, start: 100, end: 200, firstRowId: 10 },
  ],
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An executor backend on the in-process bus whose tasks finish when the test says so. */
async function rig(
  t: { teardown(fn: () => unknown): void },
  outcomeHoldMs: number,
  acceptHoldMs = 20,
  tasks = 2,
  outcomeMessageBytes?: number,
) {
  const bus = new InProcessBus();
  const transport = bus.connect({ prefix: 'kt', log: quiet });
  const driver = bus.connect({ prefix: 'kt', log: quiet });
  const finish: Array<(v: unknown) => void> = [];
  const runner = {
    runMany: (_j: unknown, _p: unknown, _op: unknown, _params: unknown, partitions: readonly number[]) =>
      partitions.map(() => new Promise<unknown>((resolve) => finish.push(resolve))),
  };
  const executor = new Executor({ id: 'e0', runner, store: { dropJob: () => 0, partitionBlocks: () => [] } });
  const backend = new ExecutorBackend({
    executorId: 'e0',
    prefix: 'kt',
    transport,
    executor,
    log: quiet,
    driverTimeoutMs: 60_000,
    outcomeHoldMs,
    acceptHoldMs,
    ...(outcomeMessageBytes !== undefined && { outcomeMessageBytes }),
  });
  backend.start(() => {
    throw new Error('no heartbeat in this test');
  });
  const got: Array<{ msg: TasksFinished }> = [];
  driver.subscribe(S.taskResults('d1'), (m) => {
    if (m.type === 'tasks-finished') got.push({ msg: m });
  });
  t.teardown(() => backend.stop());
  await driver.request(
    S.registerPlan('e0'),
    { type: 'register-plan', version: PROTOCOL_VERSION, driverId: 'd1', jobId: 'j', plan },
    { expect: 'ack', timeoutMs: 1000 },
  );
  const answer = driver.request(
    S.launchTasks('e0'),
    {
      type: 'launch-tasks',
      version: PROTOCOL_VERSION,
      driverId: 'd1',
      jobId: 'j',
      planVersion: 1,
      batch: { op: 'csv-infer', params: {} },
      tasks: Array.from({ length: tasks }, (_, i) => ({ taskId: 'abcdefgh'[i]!, partition: i % 2 })),
    },
    { expect: 'tasks-accepted', timeoutMs: 1000 },
  );
  // The launch runs as soon as it arrives; its answer may wait for the tasks (acceptHoldMs).
  while (finish.length < tasks) await wait(1);
  return { finish, got, executor, answer };
}

t.test('executor-backend: outcomes of one launch go out together once its last task ends', async (t) => {
  const r = await rig(t, 60_000);
  t.equal((await r.answer).accepted, true);
  t.equal((await r.answer).outcomes, undefined, 'answered after the hold, before the tasks ended');
  r.finish[0]!({ n: 0 });
  await wait(30);
  t.equal(r.got.length, 0, 'the first outcome waits for the rest of its launch');
  r.finish[1]!({ n: 1 });
  await wait(30);
  t.equal(r.got.length, 1, 'one message');
  t.same(
    r.got[0]!.msg.outcomes.map((o) => [o.taskId, o.partition, o.ok]),
    [
      ['a', 0, true],
      ['b', 1, true],
    ],
  );
  t.equal(r.executor.jobTasks().get(asJobId('j')), 0);
});

t.test('executor-backend: an outcome waits no longer than the hold for the rest of its launch', async (t) => {
  const r = await rig(t, 40);
  await r.answer;
  r.finish[0]!({ n: 0 });
  await wait(200);
  t.equal(r.got.length, 1, 'the first outcome went out alone after the hold');
  t.same(
    r.got[0]!.msg.outcomes.map((o) => o.taskId),
    ['a'],
  );
  r.finish[1]!({ n: 1 });
  await wait(30);
  t.equal(r.got.length, 2, 'the last outcome goes out at once');
  t.same(
    r.got[1]!.msg.outcomes.map((o) => o.taskId),
    ['b'],
  );
});

t.test('executor-backend: a launch that ends within the hold answers with its outcomes, and nothing else is published', async (t) => {
  const r = await rig(t, 60_000, 10_000);
  r.finish[1]!({ n: 1 });
  r.finish[0]!({ n: 0 });
  const answer = await r.answer;
  t.equal(answer.accepted, true);
  t.same(
    answer.outcomes?.map((o) => [o.taskId, o.partition, o.ok]),
    [
      ['b', 1, true],
      ['a', 0, true],
    ],
    'both outcomes, in the order the tasks ended',
  );
  await wait(30);
  t.equal(r.got.length, 0, 'no tasks-finished for outcomes the answer carried');
});

t.test('executor-backend: outcomes that ended during the hold of an unfinished launch follow in its tasks-finished', async (t) => {
  const r = await rig(t, 60_000, 40);
  r.finish[0]!({ n: 0 });
  const answer = await r.answer;
  t.equal(answer.accepted, true);
  t.equal(answer.outcomes, undefined, 'the launch had not ended when the hold ran out');
  r.finish[1]!({ n: 1 });
  await wait(30);
  t.equal(r.got.length, 1, 'one message once the launch ended');
  t.same(
    r.got[0]!.msg.outcomes.map((o) => o.taskId),
    ['a', 'b'],
  );
});

/** An outcome value of `floats` doubles, tagged with `n` in its first one. */
const big = (n: number, floats: number) => ({ values: Float64Array.from({ length: floats }, (_, i) => (i === 0 ? n : i)) });

t.test('executor-backend: large outcomes are split across messages of about outcomeMessageBytes, none lost or repeated', async (t) => {
  // 8 000 bytes of arrays each: two fit in 20 000 bytes, three do not.
  const r = await rig(t, 60_000, 20, 6, 20_000);
  await r.answer;
  r.finish.forEach((f, i) => f(big(i, 1000)));
  await wait(50);
  t.same(
    r.got.map((g) => g.msg.outcomes.length),
    [2, 2, 2],
    'three messages of two outcomes',
  );
  const seen = r.got.flatMap((g) => g.msg.outcomes.map((o) => [o.taskId, o.ok ? (o.result as { values: Float64Array }).values[0] : -1]));
  t.same(
    seen.sort(),
    ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => [id, i]),
    'every outcome once, its array intact',
  );
  t.equal(r.executor.jobTasks().get(asJobId('j')), 0);
});

t.test('executor-backend: a launch ending within the hold with outcomes over the size answers without them; they follow', async (t) => {
  const r = await rig(t, 60_000, 10_000, 3, 20_000);
  r.finish.forEach((f, i) => f(big(i, 1000)));
  const answer = await r.answer;
  t.equal(answer.accepted, true);
  t.equal(answer.outcomes, undefined, 'too large for the answer');
  await wait(50);
  t.same(
    r.got.map((g) => g.msg.outcomes.map((o) => o.taskId)),
    [['a', 'b'], ['c']],
  );
});
