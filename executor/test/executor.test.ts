import t from 'tap';
import { asJobId, asTaskId, DEFAULT_CSV_OPTIONS, type JobPlan, type TaskUpdate } from '@kindling/shared/compute';
import { Executor } from '../src/executor.js';

const job = asJobId('job-1');

function plan(version: number, partitions = 2): JobPlan {
  return {
    version,
    files: [{ path: '/data/x.csv', size: 100 * partitions, format: 'csv', compression: 'none' }],
    csv: DEFAULT_CSV_OPTIONS,
    columnNames: ['a'],
    partitions: Array.from({ length: partitions }, (_, i) => ({ file: 0, start: i * 100, end: (i + 1) * 100, firstRowId: i * 10 })),
  };
}

/** A runner whose tasks finish when the test says so; records what it was asked to run. */
function manualRunner() {
  const calls: Array<{ op: string; partition: number; version: number; resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  const run = (p: JobPlan, op: string, partition: number) =>
    new Promise<unknown>((resolve, reject) => calls.push({ op, partition, version: p.version, resolve, reject }));
  return {
    calls,
    runMany: (_jobId: unknown, p: JobPlan, op: string, _params: unknown, partitions: readonly number[]) =>
      partitions.map((partition) => run(p, op, partition)),
  };
}

function rig() {
  const runner = manualRunner();
  const dropped: string[] = [];
  const executor = new Executor({ id: 'e0', runner, store: { dropJob: (j) => (dropped.push(j), 0), partitionBlocks: () => [] } });
  const updates: TaskUpdate[] = [];
  const launch = (version: number, tasks: Array<[string, number]>) =>
    executor.launch(
      {
        jobId: job,
        planVersion: version,
        op: 'csv-infer',
        params: {},
        tasks: tasks.map(([id, p]) => ({ taskId: asTaskId(id), partition: p })),
      },
      (u) => updates.push(u),
    );
  return { runner, executor, updates, launch, dropped };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('executor: refuses a launch without the plan version it names, then runs it once the plan is there', async (t) => {
  const r = rig();
  const none = r.launch(1, [['t0', 0]]);
  t.equal(none.accepted, false);
  if (!none.accepted) t.equal(none.error.code, 'E_PLAN_MISSING');
  r.executor.registerPlan(job, plan(1));
  const stale = r.launch(2, [['t0', 0]]);
  if (!stale.accepted) t.match(stale.error.message, /holds version 1 of job job-1, not version 2/);
  else t.fail('a launch for another plan version was accepted');
  t.same(
    r.launch(1, [
      ['t0', 0],
      ['t1', 1],
    ]),
    { accepted: true },
  );
  t.same(
    r.runner.calls.map((c) => [c.partition, c.version]),
    [
      [0, 1],
      [1, 1],
    ],
    'one run per task, against the plan version held',
  );
  r.runner.calls[1]!.resolve({ n: 1 });
  r.runner.calls[0]!.reject(Object.assign(new Error('disk'), { code: 'EIO' }));
  await tick();
  t.same(
    r.updates.map((u) => [u.taskId, u.partition, u.ok]),
    [
      ['t1', 1, true],
      ['t0', 0, false],
    ],
    'each outcome is reported once, as it ends',
  );
  const failed = r.updates[1]!;
  if (!failed.ok) t.equal(failed.error.code, 'E_IO');
});

t.test('executor: a repeated launch of a running task does not run it twice; a partition outside the plan is refused', async (t) => {
  const r = rig();
  r.executor.registerPlan(job, plan(1));
  r.launch(1, [['t0', 0]]);
  r.launch(1, [['t0', 0]]);
  t.equal(r.runner.calls.length, 1);
  const bad = r.launch(1, [['t9', 5]]);
  t.equal(bad.accepted, false);
  if (!bad.accepted) t.equal(bad.error.code, 'E_BAD_MESSAGE');
  t.equal(r.runner.calls.length, 1, 'nothing of a refused launch runs');
});

t.test('executor: dropping a job with tasks running frees it once they end; later launches need the plan again', async (t) => {
  const r = rig();
  r.executor.registerPlan(job, plan(1));
  r.launch(1, [['t0', 0]]);
  r.executor.dropJob(job);
  t.same(r.dropped, ['job-1'], 'blocks freed at once');
  t.equal(r.executor.jobTasks().get(job), 1, 'the job stays known while its task runs');
  const during = r.launch(1, [['t1', 1]]);
  t.equal(during.accepted, false, 'no new tasks of a dropped job');
  r.runner.calls[0]!.resolve({});
  await tick();
  t.equal(r.executor.jobTasks().has(job), false, 'gone once its last task ended');
  t.same(r.dropped, ['job-1', 'job-1'], 'blocks the running task cached are freed too');
  t.equal(r.executor.planVersion(job), undefined);
});

t.test('executor: draining refuses new launches; abandoning reports running tasks lost exactly once', async (t) => {
  const r = rig();
  r.executor.registerPlan(job, plan(1));
  r.launch(1, [
    ['t0', 0],
    ['t1', 1],
  ]);
  r.executor.drain();
  const refused = r.launch(1, [['t2', 0]]);
  if (!refused.accepted) t.equal(refused.error.code, 'E_EXECUTOR_LOST');
  else t.fail('a draining executor took a task');
  t.equal(await r.executor.waitIdle(20), false, 'not idle while tasks run');
  t.equal(r.executor.abandonRunning('stopped'), 2);
  t.same(
    r.updates.map((u) => [u.taskId, u.ok]),
    [
      ['t0', false],
      ['t1', false],
    ],
  );
  t.ok(r.updates.every((u) => !u.ok && u.error.code === 'E_EXECUTOR_LOST'));
  r.runner.calls[0]!.resolve({});
  await tick();
  t.equal(r.updates.length, 2, 'an abandoned task that finishes later is not reported again');
  t.equal(r.executor.runningTasks(), 0);
});
