import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  InProcessBus,
  PROTOCOL_VERSION,
  asJobId,
  asTaskId,
  subjects,
  type DriverHeartbeat,
  type TaskBatch,
  type TaskUpdate,
} from '@kindling/shared';
import { ClusterBackend } from '../../src/cluster/cluster-backend.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { FakeExecutor, RecordingLogger, inferResult, plan, settle, silentTransportLog, type Teardown } from './wire-fakes.js';

const DRIVER = 'driver-1';
const HEARTBEAT_MS = 1000;
const JOB = asJobId('job-1');
const s = subjects();

async function setup(t: Teardown) {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-backend-'));
  const input = join(dir, 'input.csv');
  writeFileSync(input, 'a,b\n1,2\n3,4\n');
  const bus = new InProcessBus();
  const transport = bus.connect({ log: silentTransportLog });
  const observer = bus.connect({ log: silentTransportLog });
  const announced: DriverHeartbeat[] = [];
  observer.subscribe(s.driverHeartbeats, (m) => {
    if (m.type === 'driver-heartbeat') announced.push(m);
  });
  const a = new FakeExecutor(bus, 'a');
  const clock = new ManualClock();
  const backend = await ClusterBackend.start(transport, new RecordingLogger(), {
    driverId: DRIVER,
    heartbeatMs: HEARTBEAT_MS,
    executorTimeoutMs: 60_000,
    clock,
  });
  await settle();
  t.teardown(async () => {
    await backend.close();
    await a.stop();
    await transport.close();
    await observer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { input, a, clock, backend, announced, observer };
}

function batch(partition: number): TaskBatch<'csv-infer'> {
  return { op: 'csv-infer', params: {}, tasks: [{ taskId: asTaskId(`t-p${partition}`), partition }] };
}

t.test('cluster-backend: start discovers the executors already running and announces the driver', async (t) => {
  const { backend, announced } = await setup(t);
  t.equal(backend.driverId, DRIVER);
  t.same(
    backend.executors().map((e) => e.id),
    ['a'],
  );
  t.same(
    backend.heartbeats().map((h) => h.executorId),
    ['a'],
  );
  t.match(announced, [{ type: 'driver-heartbeat', driverId: DRIVER, jobs: [] }]);
});

t.test('cluster-backend: the driver heartbeat lists the jobs with live plans until forgetJob', async (t) => {
  const { a, backend, announced, clock } = await setup(t);
  a.autoFinish = (m) => m.tasks.map((x) => ({ taskId: x.taskId, partition: x.partition, ok: true, result: inferResult(1) }));
  const updates: TaskUpdate[] = [];
  backend.executors()[0]!.launchTasks(JOB, plan(1), batch(0), (u) => updates.push(u));
  await settle();
  t.match(updates, [{ ok: true }]);
  clock.advance(HEARTBEAT_MS);
  await settle();
  t.same(announced.at(-1)?.jobs, ['job-1']);
  backend.forgetJob(JOB);
  clock.advance(HEARTBEAT_MS);
  await settle();
  t.same(announced.at(-1)?.jobs, [], 'executors may free the job once its driver stops listing it');
});

t.test('cluster-backend: serves a job input file to executors until the job is forgotten', async (t) => {
  const { input, a, backend, observer } = await setup(t);
  a.autoFinish = (m) => m.tasks.map((x) => ({ taskId: x.taskId, partition: x.partition, ok: true, result: inferResult(1) }));
  backend.executors()[0]!.launchTasks(
    JOB,
    {
      ...plan(1, input, 1),
      files: [{ path: input, size: 12, format: 'csv', compression: 'none' }],
      partitions: [{ file: 0, start: 4, end: 12, firstRowId: 0 }],
    },
    batch(0),
    () => undefined,
  );
  await settle();
  const fetch = () =>
    observer.request(
      s.fetchRange(DRIVER),
      { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'job-1', file: input, start: 4, end: 8 },
      { expect: 'range-data', timeoutMs: 2000 },
    );
  const got = await fetch();
  t.equal(Buffer.from(got.bytes).toString('utf8'), '1,2\n');
  backend.forgetJob(JOB);
  await t.rejects(fetch(), { code: 'E_IO', message: /has no input/ });
});

t.test('cluster-backend: markLost removes the executor and fails its tasks in flight', async (t) => {
  const { backend } = await setup(t);
  const updates: TaskUpdate[] = [];
  const lost: string[] = [];
  backend.onChange((c) => c.type === 'removed' && lost.push(c.executorId));
  backend.executors()[0]!.launchTasks(JOB, plan(1), batch(0), (u) => updates.push(u));
  await settle();
  backend.markLost(backend.executors()[0]!.id, 'pod default/a deleted');
  t.same(lost, ['a']);
  t.same(backend.executors(), []);
  t.match(updates, [{ ok: false, error: { code: 'E_EXECUTOR_LOST' } }]);
});

t.test('cluster-backend: close fails the tasks in flight and stops announcing the driver', async (t) => {
  const { backend, announced, clock } = await setup(t);
  const updates: TaskUpdate[] = [];
  backend.executors()[0]!.launchTasks(JOB, plan(1), batch(0), (u) => updates.push(u));
  await settle();
  await backend.close();
  t.match(updates, [{ ok: false, error: { code: 'E_EXECUTOR_LOST' } }]);
  const before = announced.length;
  clock.advance(10 * HEARTBEAT_MS);
  await settle();
  t.equal(announced.length, before);
  t.equal(clock.pendingTimers(), 0, 'every timer is cleared');
});
