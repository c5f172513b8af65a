import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { NatsServerProcess } from '@kindling/cli';
import { parseExecutorArgs, startExecutor, type ExecutorLogger } from '@kindling/executor/process';
import {
  DEFAULT_CSV_OPTIONS,
  NatsTransport,
  PROTOCOL_VERSION,
  subjects,
  type ExecutorHeartbeat,
  type FetchRange,
  type Message,
  type JobPlan,
  type TaskOutcome,
} from '@kindling/shared';
import { repoRoot } from '../harness/paths.js';

const MAIN = join(repoRoot, 'executor/dist/src/main.js');
const quiet: ExecutorLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function readyz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.text() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('main: is alive but not ready until NATS answers, then ready', async (t) => {
  const natsPort = await freePort();
  const config = parseExecutorArgs(
    ['--master', `nats://127.0.0.1:${natsPort}`, '--id', 'exec-late', '--cores', '1', '--health-port', '0', '--prefix', 'km1'],
    {},
  );
  const handle = await startExecutor(config, quiet);
  t.teardown(() => handle.stop('test over'));
  t.equal(handle.id, 'exec-late');
  t.equal((await fetch(`http://127.0.0.1:${handle.healthPort}/healthz`)).status, 200);
  const before = await readyz(handle.healthPort);
  t.equal(before.status, 503);
  t.match(before.body, /connecting to NATS/);

  // NATS comes up after the executor (pods start in any order): it connects by itself.
  const server = await NatsServerProcess.start({ port: natsPort, jetstream: false });
  t.teardown(() => server.stop());
  await handle.ready;
  t.equal((await readyz(handle.healthPort)).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${handle.healthPort}/metrics`)).text();
  t.match(metrics, /kindling_executor_cached_bytes\{executor="exec-late"\} 0/);
  // The pool thread records its heap once its modules have loaded, which may be just after ready.
  const threadSeries = /^kindling_executor_thread_heap_used_bytes\{thread="(\d+)",executor="exec-late"\} (\d+)$/gm;
  const threads = await until('the pool thread on /metrics', async () => {
    const found = [...(await (await fetch(`http://127.0.0.1:${handle.healthPort}/metrics`)).text()).matchAll(threadSeries)];
    return found.length > 0 ? found : undefined;
  });
  t.equal(threads.length, 1, 'one pool thread (--cores 1), its heap on /metrics');
  t.ok(Number(threads[0]?.[2]) > 0, 'a heap figure the thread recorded');
  const outcome = await handle.stop('test over');
  t.same(outcome, { reason: 'test over', drained: true, abandonedTasks: 0 });
});

/** A test driver: sees heartbeats and results, and answers FetchRange only when told to. */
async function driverOn(url: string, prefix: string, driverId: string) {
  const S = subjects(prefix);
  const transport = await NatsTransport.connect({ servers: url, prefix, name: driverId });
  const heartbeats: ExecutorHeartbeat[] = [];
  const results: Array<TaskOutcome & { executorId: string }> = [];
  const fetches: Array<{ msg: FetchRange; reply: (m: Message) => Promise<void> }> = [];
  transport.subscribe(S.executorHeartbeats, (m) => {
    if (m.type === 'executor-heartbeat') heartbeats.push(m);
  });
  transport.subscribe(S.taskResults(driverId), (m) => {
    if (m.type === 'tasks-finished') for (const o of m.outcomes) results.push({ ...o, executorId: m.executorId });
  });
  transport.subscribe(S.fetchRange(driverId), (m, reply) => {
    if (m.type === 'fetch-range' && reply) fetches.push({ msg: m, reply });
  });
  await transport.flush();
  /** Registers `plan` for `jobId` with the executor, then launches csv-infer on partition 0. */
  const inferOn = async (executorId: string, jobId: string, taskId: string, plan: JobPlan) => {
    await transport.request(
      S.registerPlan(executorId),
      { type: 'register-plan', version: PROTOCOL_VERSION, driverId, jobId, plan },
      { expect: 'ack', timeoutMs: 5000 },
    );
    return transport.request(
      S.launchTasks(executorId),
      {
        type: 'launch-tasks',
        version: PROTOCOL_VERSION,
        driverId,
        jobId,
        planVersion: plan.version,
        batch: { op: 'csv-infer', params: {} },
        tasks: [{ taskId, partition: 0 }],
      },
      { expect: 'tasks-accepted', timeoutMs: 5000 },
    );
  };
  return { S, transport, heartbeats, results, fetches, inferOn };
}

t.test('main: drains on stop, not ready while draining, and waits for the running task (input fetched from the driver)', async (t) => {
  const server = await NatsServerProcess.start({ port: 0, jetstream: false });
  t.teardown(() => server.stop());
  const driver = await driverOn(server.url, 'km2', 'drv');
  t.teardown(() => driver.transport.close());
  const config = parseExecutorArgs(
    ['--master', server.url, '--id', 'exec-drain', '--cores', '1', '--health-port', '0', '--prefix', 'km2', '--grace-ms', '20000'],
    {},
  );
  const handle = await startExecutor(config, quiet);
  t.teardown(() => handle.stop('test over'));
  await handle.ready;

  // A file the executor cannot read: it asks the driver for the bytes, and the test holds the
  // answer back, so the task is still running when the executor is told to stop.
  const body = '1,ann,2.5\n2,bob,3\n';
  const missing = join(t.testdir(), 'only-on-the-driver.csv');
  const plan: JobPlan = {
    version: 1,
    files: [{ path: missing, size: 14 + body.length, format: 'csv', compression: 'none' }],
    csv: DEFAULT_CSV_OPTIONS,
    columnNames: ['id', 'name', 'score'],
    partitions: [{ file: 0, start: 14, end: 14 + body.length, firstRowId: 0, firstLine: 2 }],
  };
  const accepted = await driver.inferOn('exec-drain', 'job-d', 't-d', plan);
  t.equal(accepted.accepted, true);
  const fetch1 = await until('a FetchRange from the executor', () => driver.fetches[0]);
  t.same(fetch1.msg, { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'job-d', file: missing, start: 14, end: 14 + body.length });

  const metrics = await (await fetch(`http://127.0.0.1:${handle.healthPort}/metrics`)).text();
  t.match(metrics, /kindling_executor_tasks_started_total\{op="csv-infer",executor="exec-drain"\} 1/);
  t.match(metrics, /kindling_executor_running_tasks\{executor="exec-drain"\} 1/);

  const stopping = handle.stop('SIGTERM');
  const draining = await until('a draining heartbeat', () => driver.heartbeats.find((h) => h.executorId === 'exec-drain' && h.draining));
  t.equal(draining.runningTasks, 1, 'the draining heartbeat shows the task still running');
  const r = await readyz(handle.healthPort);
  t.equal(r.status, 503);
  t.match(r.body, /draining/);
  const refused = await driver.transport.request(
    driver.S.launchTasks('exec-drain'),
    {
      type: 'launch-tasks',
      version: PROTOCOL_VERSION,
      driverId: 'drv',
      jobId: 'job-d',
      planVersion: 1,
      batch: { op: 'csv-infer', params: {} },
      tasks: [{ taskId: 't-e', partition: 0 }],
    },
    { expect: 'tasks-accepted', timeoutMs: 5000 },
  );
  t.equal(refused.accepted, false, 'a draining executor takes no new task');

  await fetch1.reply({ type: 'range-data', version: PROTOCOL_VERSION, bytes: new TextEncoder().encode(body) });
  const outcome = await stopping;
  t.same(outcome, { reason: 'SIGTERM', drained: true, abandonedTasks: 0 });
  const finished = await until('the task result', () => driver.results.find((m) => m.taskId === 't-d'));
  t.equal(finished.executorId, 'exec-drain', 'the running task finished and reported before the executor stopped');
  t.equal(finished.ok, true, 'the worker parsed the bytes the driver sent');
  if (finished.ok) t.same(finished.result, { rowCount: 2, malformedCount: 0, lineCount: 2, types: ['int', 'string', 'double'] });
});

t.test('main: tasks still running at the end of the grace period are reported lost', async (t) => {
  const server = await NatsServerProcess.start({ port: 0, jetstream: false });
  t.teardown(() => server.stop());
  const driver = await driverOn(server.url, 'km3', 'drv');
  t.teardown(() => driver.transport.close());
  const config = parseExecutorArgs(
    [
      '--master',
      server.url,
      '--id',
      'exec-late-task',
      '--cores',
      '1',
      '--health-port',
      '0',
      '--prefix',
      'km3',
      '--grace-ms',
      '300',
      '--fetch-timeout-ms',
      '1000',
    ],
    {},
  );
  const handle = await startExecutor(config, quiet);
  t.teardown(() => handle.stop('test over'));
  await handle.ready;
  const missing = join(t.testdir(), 'nowhere.csv');
  await driver.inferOn('exec-late-task', 'job-l', 't-l', {
    version: 1,
    files: [{ path: missing, size: 10, format: 'csv', compression: 'none' }],
    csv: DEFAULT_CSV_OPTIONS,
    columnNames: ['a'],
    partitions: [{ file: 0, start: 0, end: 10, firstRowId: 0 }],
  });
  await until('a FetchRange', () => driver.fetches[0]); // never answered
  const outcome = await handle.stop('SIGTERM');
  t.same(outcome, { reason: 'SIGTERM', drained: false, abandonedTasks: 1 });
  const lost = await until('the lost-task report', () => driver.results.find((m) => m.taskId === 't-l'));
  t.equal(lost.ok, false);
  if (!lost.ok) t.equal(lost.error.code, 'E_EXECUTOR_LOST');
});

t.test('main: the built bin drains on SIGTERM, heartbeating draining first, and exits 0', async (t) => {
  const server = await NatsServerProcess.start({ port: 0, jetstream: false });
  t.teardown(() => server.stop());
  const driver = await driverOn(server.url, 'km4', 'drv');
  t.teardown(() => driver.transport.close());
  const dir = t.testdir();
  writeFileSync(join(dir, 'x.csv'), 'a\n1\n');
  const child = spawn(
    process.execPath,
    [
      MAIN,
      '--master',
      server.url,
      '--id',
      'exec-bin',
      '--cores',
      '1',
      '--health-port',
      '0',
      '--prefix',
      'km4',
      '--heartbeat-ms',
      '200',
      '--grace-ms',
      '5000',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  await until('a heartbeat from the bin', () => driver.heartbeats.find((h) => h.executorId === 'exec-bin' && !h.draining));
  const started = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const healthPort = started.find((l) => l.msg === 'executor starting')?.healthPort as number;
  t.equal((await readyz(healthPort)).status, 200);

  const beatsBefore = driver.heartbeats.length;
  child.kill('SIGTERM');
  let slow: NodeJS.Timeout | undefined;
  // The grace period (5 s) plus start-up slack on a busy machine.
  const code = await Promise.race([exited, new Promise<'too slow'>((r) => (slow = setTimeout(() => r('too slow'), 5000 + 5000)))]);
  clearTimeout(slow);
  t.equal(code, 0, `exit code (stderr: ${stderr})`);
  await driver.transport.flush();
  const after = driver.heartbeats.slice(beatsBefore).filter((h) => h.executorId === 'exec-bin');
  t.ok(after.length > 0 && after[0]!.draining, 'the first heartbeat after SIGTERM says draining');
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(
    lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number' && typeof l.msg === 'string'),
    'logs are JSON lines',
  );
  const stoppedLine = lines.find((l) => l.msg === 'executor stopped');
  t.match(stoppedLine, { reason: 'SIGTERM', drained: true }, 'the last line says why and how it stopped');
  t.match(stoppedLine, { peakCachedBytes: Number, evictions: 0, rebuilds: Number }, 'and what its block store did, to size --memory by');
});

t.test('main: a failure after connecting is logged and the bin exits 1, not alive, unready and silent', async (t) => {
  const server = await NatsServerProcess.start({ port: 0, jetstream: false });
  t.teardown(() => server.stop());
  // The trigger: node rejects per-process flags such as --v8-pool-size in a Worker's execArgv
  // (ERR_WORKER_INVALID_EXEC_ARGV) and the thread pool hands its workers the process's flags
  // (all but --expose-gc, which it drops), so the pool throws once NATS is up.
  const child = spawn(
    process.execPath,
    ['--v8-pool-size=2', MAIN, '--master', server.url, '--id', 'exec-fail', '--cores', '1', '--health-port', '0', '--prefix', 'km5'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let slow: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | null>((r) => child.on('exit', (c) => r(c))),
    new Promise<'still running'>((r) => (slow = setTimeout(() => r('still running'), 15_000))),
  ]);
  clearTimeout(slow);
  t.equal(code, 1, 'exits 1');
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const failed = lines.find((l) => l.msg === 'executor failed to start serving');
  t.match(failed, { level: 50, err: /execArgv/ }, 'the reason is logged as an error');
  t.ok(
    lines.some((l) => l.msg === 'executor stopped' && l.drained === true),
    'then it stops',
  );
});
