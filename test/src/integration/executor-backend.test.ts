import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { connect } from '@nats-io/transport-node';
import { NatsServerProcess } from '@kindling/cli';
import { BlockStore, Executor, TaskRunner, ThreadPool } from '@kindling/executor';
import { ExecutorBackend, Heartbeater, type ExecutorLogger } from '@kindling/executor/process';
import {
  DEFAULT_CSV_OPTIONS,
  NatsTransport,
  PROTOCOL_VERSION,
  subjects,
  type ExecutorHeartbeat,
  type JobPlan,
  type LaunchTasks,
  type Message,
  type OpWithParams,
  type TaskOutcome,
  type Transport,
} from '@kindling/shared';

const PREFIX = 'kt';
const S = subjects(PREFIX);

/** A logger that keeps its lines, so tests can check what an operator would read. */
function memoryLogger(): ExecutorLogger & { lines: Array<{ level: string; msg: string } & Record<string, unknown>> } {
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, ...obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A small CSV and a one-partition plan of it (schema known, so it can be loaded too). */
function csvPlan(dir: string, name: string, body: string, header = 'id,name,score\n'): JobPlan {
  const file = join(dir, name);
  writeFileSync(file, header + body);
  const start = Buffer.byteLength(header);
  const end = start + Buffer.byteLength(body);
  return {
    version: 1,
    files: [{ path: file, size: end, format: 'csv', compression: 'none' }],
    csv: DEFAULT_CSV_OPTIONS,
    columnNames: ['id', 'name', 'score'],
    partitions: [{ file: 0, start, end, firstRowId: 0, firstLine: 2 }],
    schema: [
      { name: 'id', type: 'int' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'double' },
    ],
  };
}

function launch(driverId: string, jobId: string, taskId: string, batch: OpWithParams, planVersion = 1): LaunchTasks {
  return { type: 'launch-tasks', version: PROTOCOL_VERSION, driverId, jobId, planVersion, batch, tasks: [{ taskId, partition: 0 }] };
}

/** Registers a plan with an executor as a driver does; resolves with the Ack. */
function register(driver: Transport, executorId: string, driverId: string, jobId: string, plan: JobPlan) {
  return driver.request(
    S.registerPlan(executorId),
    { type: 'register-plan', version: PROTOCOL_VERSION, driverId, jobId, plan },
    { expect: 'ack', timeoutMs: 5000 },
  );
}

/** Collects the task outcomes sent to one driver and waits for a given task's. */
/**
 * The outcomes a driver hears, as TaskLauncher hears them: in TasksFinished on its results
 * subject, and in the answer to a launch whose tasks ended within the executor's hold (the
 * driver's request is wrapped so those count too).
 */
function resultsOf(driver: Transport, driverId: string) {
  const got: Array<TaskOutcome & { executorId: string; jobId: string }> = [];
  const waiters: Array<() => void> = [];
  const heard = (executorId: string, jobId: string, outcomes: readonly TaskOutcome[]) => {
    for (const o of outcomes) got.push({ ...o, executorId, jobId });
    for (const w of waiters.splice(0)) w();
  };
  driver.subscribe(S.taskResults(driverId), (m) => {
    if (m.type === 'tasks-finished') heard(m.executorId, m.jobId, m.outcomes);
  });
  const request = driver.request.bind(driver);
  driver.request = (async (subject: string, msg: Message, opts: { expect: never; timeoutMs: number }) => {
    const reply = (await request(subject, msg, opts)) as Message;
    const executorId = new RegExp(`^${PREFIX}\\.executor\\.([^.]+)\\.launch$`).exec(subject)?.[1];
    if (reply.type === 'tasks-accepted' && reply.outcomes && msg.type === 'launch-tasks' && executorId !== undefined)
      heard(executorId, msg.jobId, reply.outcomes);
    return reply;
  }) as typeof driver.request;
  return {
    got,
    async next(taskId: string): Promise<TaskOutcome & { executorId: string; jobId: string }> {
      for (;;) {
        const found = got.find((m) => m.taskId === taskId);
        if (found) return found;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const server = await NatsServerProcess.start({ port: 0, jetstream: false });
t.teardown(() => server.stop());
// One worker thread for the whole file: starting threads is the slow part, and they hold no state.
const pool = new ThreadPool(1);
t.teardown(() => pool.close());

interface Rig {
  readonly driver: Transport;
  readonly backend: ExecutorBackend;
  readonly executor: Executor;
  readonly store: BlockStore;
  readonly log: ReturnType<typeof memoryLogger>;
  heartbeat(): Promise<ExecutorHeartbeat>;
}

/** An executor backend (real store, pool and runner) and a driver transport on the shared server. */
async function rig(
  t: { teardown(fn: () => unknown): void },
  id: string,
  driverTimeoutMs = 60_000,
  outcomeHoldMs?: number,
  acceptHoldMs?: number,
): Promise<Rig> {
  const log = memoryLogger();
  const transport = await NatsTransport.connect({ servers: server.url, prefix: PREFIX, name: id }, log);
  const driver = await NatsTransport.connect({ servers: server.url, prefix: PREFIX, name: `driver-of-${id}` });
  const store = new BlockStore();
  const executor = new Executor({ id, runner: new TaskRunner(store, pool), store });
  const backend = new ExecutorBackend({
    executorId: id,
    prefix: PREFIX,
    transport,
    executor,
    log,
    driverTimeoutMs,
    sweepIntervalMs: 50,
    ...(outcomeHoldMs !== undefined && { outcomeHoldMs }),
    ...(acceptHoldMs !== undefined && { acceptHoldMs }),
  });
  const hb = new Heartbeater({
    executorId: id,
    slots: 1,
    intervalMs: 1000,
    state: () => ({
      runningTasks: executor.runningTasks(),
      jobs: backend.jobs(),
      draining: executor.isDraining,
      cachedBlocks: store.stats().blocks,
      cachedBytes: store.stats().bytes,
    }),
    publish: (m) => backend.publishHeartbeat(m),
    log,
  });
  backend.start(() => hb.current());
  await transport.flush();
  t.teardown(async () => {
    backend.stop();
    await transport.close();
    await driver.close();
  });
  return {
    driver,
    backend,
    executor,
    store,
    log,
    heartbeat: () =>
      driver.request(
        S.discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { expect: 'executor-heartbeat', timeoutMs: 5000 },
      ),
  };
}

t.test('executor-backend: runs a launched csv-infer task and publishes its InferPartial to the driver', async (t) => {
  const r = await rig(t, 'exec-infer');
  const results = resultsOf(r.driver, 'd1');
  await r.driver.flush();
  const plan = csvPlan(t.testdir(), 'people.csv', '1,ann,2.5\n2,bob,3\n3,,4e2\n');
  t.equal((await register(r.driver, 'exec-infer', 'd1', 'job-1', plan)).ok, true);
  const accepted = await r.driver.request(S.launchTasks('exec-infer'), launch('d1', 'job-1', 't-1', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.same(accepted, { type: 'tasks-accepted', version: PROTOCOL_VERSION, accepted: true });
  const done = await results.next('t-1');
  t.equal(done.ok, true);
  t.equal(done.executorId, 'exec-infer');
  t.equal(done.jobId, 'job-1');
  if (done.ok) t.same(done.result, { rowCount: 3, malformedCount: 0, lineCount: 3, types: ['int', 'string', 'double'] });
  const hb = await r.heartbeat();
  t.equal(hb.executorId, 'exec-infer');
  t.equal(hb.runningTasks, 0);
  t.same(hb.jobs, ['job-1'], 'the executor holds the job it has a plan of');
  t.equal(hb.draining, false);
});

t.test('executor-backend: a malformed CSV comes back as ok:false with E_CSV_MALFORMED', async (t) => {
  const r = await rig(t, 'exec-bad');
  const results = resultsOf(r.driver, 'd1');
  await r.driver.flush();
  await register(r.driver, 'exec-bad', 'd1', 'job-2', csvPlan(t.testdir(), 'bad.csv', '1,ann,2.5\n2,"bob,3\n'));
  const accepted = await r.driver.request(S.launchTasks('exec-bad'), launch('d1', 'job-2', 't-2', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(accepted.accepted, true);
  const done = await results.next('t-2');
  t.equal(done.ok, false);
  if (!done.ok) {
    t.equal(done.error.code, 'E_CSV_MALFORMED');
    t.match(done.error.message, /bad\.csv/, 'the error names the file');
  }
});

t.test('executor-backend: garbage on every subject leaves the executor serving', async (t) => {
  const r = await rig(t, 'exec-garbage');
  const results = resultsOf(r.driver, 'd1');
  const raw = await connect({ servers: server.url, name: 'garbage' });
  t.teardown(() => raw.close());
  const listened = [
    S.registerPlan('exec-garbage'),
    S.launchTasks('exec-garbage'),
    S.dropJob('exec-garbage'),
    S.discover,
    S.driverHeartbeats,
  ];
  const junk: Uint8Array[] = [
    new Uint8Array(0),
    new TextEncoder().encode(`{"type":"launch-tasks","version":${PROTOCOL_VERSION}}`),
    new TextEncoder().encode('hello'),
    Uint8Array.from([0xc1, 0xff, 0x00, 0x13, 0x37]),
    Uint8Array.from([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xab]), // a msgpack map cut short
  ];
  for (const subject of listened) {
    for (const bytes of junk) {
      raw.publish(subject, bytes);
      // Requests too: whatever the executor answers (or not), it must not go down.
      raw.request(subject, bytes, { timeout: 200 }).catch(() => undefined);
    }
  }
  await raw.flush();
  // Well-formed messages of the wrong type on a command subject are refused, not run.
  const wrong = await r.driver.request(
    S.launchTasks('exec-garbage'),
    { type: 'drop-job', version: PROTOCOL_VERSION, jobId: 'x' },
    { expect: 'ack', timeoutMs: 5000 },
  );
  t.equal(wrong.ok, false);
  t.equal(wrong.error?.code, 'E_BAD_MESSAGE');
  // A valid plan and launch afterwards still run.
  await r.driver.flush();
  await register(r.driver, 'exec-garbage', 'd1', 'job-3', csvPlan(t.testdir(), 'ok.csv', '7,zed,1.5\n'));
  const accepted = await r.driver.request(S.launchTasks('exec-garbage'), launch('d1', 'job-3', 't-3', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(accepted.accepted, true);
  const done = await results.next('t-3');
  t.equal(done.ok, true);
  if (done.ok) t.same(done.result, { rowCount: 1, malformedCount: 0, lineCount: 1, types: ['int', 'string', 'double'] });
});

t.test('executor-backend: fuzzed messages (real ones with a field changed, removed or added) leave the executor serving', async (t) => {
  const r = await rig(t, 'exec-fuzz');
  const results = resultsOf(r.driver, 'd1');
  const raw = await connect({ servers: server.url, name: 'fuzz' });
  t.teardown(() => raw.close());
  const plan = csvPlan(t.testdir(), 'f.csv', '1,a,2\n');
  const real: Array<[string, Record<string, unknown>]> = [
    [S.registerPlan('exec-fuzz'), { type: 'register-plan', version: PROTOCOL_VERSION, driverId: 'dz', jobId: 'job-z', plan }],
    [S.launchTasks('exec-fuzz'), launch('dz', 'job-z', 't-z', { op: 'csv-infer', params: {} }) as unknown as Record<string, unknown>],
    [S.dropJob('exec-fuzz'), { type: 'drop-job', version: PROTOCOL_VERSION, driverId: 'dz', jobId: 'job-z' }],
    [S.driverHeartbeats, { type: 'driver-heartbeat', version: PROTOCOL_VERSION, driverId: 'dz', jobs: ['job-z'], sentAt: Date.now() }],
  ];
  const anyValue = fc.anything({ maxDepth: 2, withTypedArray: true, withBigInt: true, withDate: true, withMap: true, withSet: true });
  const mutated = fc
    .record({
      i: fc.nat({ max: real.length - 1 }),
      key: fc.string({ maxLength: 10 }),
      value: anyValue,
      op: fc.constantFrom('set', 'delete', 'add'),
    })
    .map(({ i, key, value, op }) => {
      const [subject, msg] = real[i]!;
      const keys = Object.keys(msg);
      const target = op === 'add' ? `x${key}` : keys[key.length % keys.length]!;
      const copy: Record<string, unknown> = { ...msg };
      if (op === 'delete') delete copy[target];
      else copy[target] = value;
      return [subject, copy] as const;
    });
  let sent = 0;
  for (const [subject, msg] of fc.sample(mutated, { seed: 20261203, numRuns: 400 })) {
    let bytes: Uint8Array;
    try {
      bytes = pack(msg);
    } catch {
      continue; // not encodable by msgpack: nothing a peer could send
    }
    raw.publish(subject, bytes);
    sent++;
  }
  await raw.flush();
  t.ok(sent > 200, `${sent} fuzzed messages sent`);
  // Still serving: a valid plan and launch run as before.
  await r.driver.flush();
  await register(r.driver, 'exec-fuzz', 'd1', 'job-ok', csvPlan(t.testdir(), 'ok.csv', '7,zed,1.5\n'));
  const accepted = await r.driver.request(S.launchTasks('exec-fuzz'), launch('d1', 'job-ok', 't-ok', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(accepted.accepted, true);
  const done = await results.next('t-ok');
  t.equal(done.ok, true);
  t.ok(
    r.log.lines.some((l) => l.level === 'warn'),
    'refused messages are logged',
  );
});

t.test('executor-backend: refuses launches while draining, without the plan, or of another protocol version', async (t) => {
  const r = await rig(t, 'exec-refuse');
  const plan = csvPlan(t.testdir(), 'x.csv', '1,a,1\n');
  const old = { ...launch('d1', 'job-4', 't-4', { op: 'csv-infer', params: {} }), version: PROTOCOL_VERSION + 1 } as unknown as Message;
  // The codec drops messages of another version before any handler: the driver times out.
  const refusedVersion = await r.driver
    .request(S.launchTasks('exec-refuse'), old, { expect: 'tasks-accepted', timeoutMs: 300 })
    .catch((e: Error) => e);
  t.ok(refusedVersion instanceof Error, 'a launch of another protocol version gets no answer');
  const noPlan = await r.driver.request(S.launchTasks('exec-refuse'), launch('d1', 'job-4', 't-5', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(noPlan.accepted, false);
  t.equal(noPlan.error?.code, 'E_PLAN_MISSING', 'a launch before its plan is refused as such');
  await register(r.driver, 'exec-refuse', 'd1', 'job-4', plan);
  const stale = await r.driver.request(S.launchTasks('exec-refuse'), launch('d1', 'job-4', 't-6', { op: 'csv-infer', params: {} }, 2), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(stale.error?.code, 'E_PLAN_MISSING', 'a launch naming another plan version is refused');
  const otherDriver = await r.driver.request(S.launchTasks('exec-refuse'), launch('d2', 'job-4', 't-7', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(otherDriver.error?.code, 'E_PLAN_MISSING', "another driver's launch for the job is refused");
  r.executor.drain();
  const refused = await r.driver.request(S.launchTasks('exec-refuse'), launch('d1', 'job-4', 't-8', { op: 'csv-infer', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal(refused.accepted, false);
  t.equal(refused.error?.code, 'E_EXECUTOR_LOST');
  t.match(refused.error?.message, /draining/);
  t.equal((await r.heartbeat()).draining, true);
});

for (const [how, acceptHoldMs, inAnswer] of [
  ['in the answer to the launch (both ended within its hold)', 60_000, true],
  ['in one TasksFinished (the launch was answered at once)', 0, false],
] as const) {
  t.test(`executor-backend: one launch runs several partitions and their outcomes come back together, ${how}`, async (t) => {
    // Long holds: the two outcomes must wait for each other, whatever the machine's load.
    const r = await rig(t, `exec-batch-${acceptHoldMs}`, 60_000, 60_000, acceptHoldMs);
    const results = resultsOf(r.driver, 'd1');
    await r.driver.flush();
    const base = csvPlan(t.testdir(), 'two.csv', '1,ann,2.5\n2,bob,3\n3,cy,4\n');
    const p0 = base.partitions[0]!;
    const cut = p0.start + Buffer.byteLength('1,ann,2.5\n');
    const plan: JobPlan = {
      ...base,
      partitions: [
        { ...p0, end: cut },
        { file: 0, start: cut, end: p0.end, firstRowId: 1, firstLine: 3 },
      ],
    };
    const executorId = `exec-batch-${acceptHoldMs}`;
    await register(r.driver, executorId, 'd1', 'job-b', plan);
    let messages = 0;
    r.driver.subscribe(S.taskResults('d1'), () => void messages++);
    await r.driver.flush();
    const msg: LaunchTasks = {
      ...launch('d1', 'job-b', 'b-0', { op: 'csv-infer', params: {} }),
      tasks: [
        { taskId: 'b-0', partition: 0 },
        { taskId: 'b-1', partition: 1 },
      ],
    };
    const answer = await r.driver.request(S.launchTasks(executorId), msg, { expect: 'tasks-accepted', timeoutMs: 5000 });
    t.equal(answer.accepted, true);
    const [a, b] = [await results.next('b-0'), await results.next('b-1')];
    t.equal(a.ok && b.ok, true);
    if (a.ok && b.ok) {
      t.same(a.result, { rowCount: 1, malformedCount: 0, lineCount: 1, types: ['int', 'string', 'double'] });
      t.same(b.result, { rowCount: 2, malformedCount: 0, lineCount: 2, types: ['int', 'string', 'int'] });
    }
    t.equal(a.partition, 0);
    t.equal(b.partition, 1);
    t.equal(answer.outcomes?.length ?? 0, inAnswer ? 2 : 0, inAnswer ? 'the answer carries both outcomes' : 'the answer carries none');
    t.equal(messages, inAnswer ? 0 : 1, inAnswer ? 'and no TasksFinished follows' : 'one TasksFinished carries both outcomes');
  });
}

t.test('executor-backend: DropJob frees the job blocks', async (t) => {
  const r = await rig(t, 'exec-drop');
  const results = resultsOf(r.driver, 'd1');
  await r.driver.flush();
  await register(r.driver, 'exec-drop', 'd1', 'job-5', csvPlan(t.testdir(), 'load.csv', '1,ann,2.5\n2,bob,3\n'));
  await r.driver.request(S.launchTasks('exec-drop'), launch('d1', 'job-5', 't-6', { op: 'csv-load', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  const done = await results.next('t-6');
  t.equal(done.ok, true);
  const before = await r.heartbeat();
  t.equal(before.cachedBlocks, 1, 'csv-load caches the rows block');
  t.ok(before.cachedBytes > 0);
  const ack = await r.driver.request(
    S.dropJob('exec-drop'),
    { type: 'drop-job', version: PROTOCOL_VERSION, jobId: 'job-5' },
    { expect: 'ack', timeoutMs: 5000 },
  );
  t.equal(ack.ok, true);
  const after = await r.heartbeat();
  t.equal(after.cachedBytes, 0);
  t.equal(after.cachedBlocks, 0);
  t.same(after.jobs, []);
  t.ok(r.log.lines.some((l) => l.msg === 'job dropped' && l.jobId === 'job-5' && l.freedBytes === before.cachedBytes));
});

t.test('executor-backend: frees the blocks of a driver silent past the timeout', async (t) => {
  const r = await rig(t, 'exec-silent', 1000);
  const results = resultsOf(r.driver, 'd-silent');
  await r.driver.flush();
  await register(r.driver, 'exec-silent', 'd-silent', 'job-6', csvPlan(t.testdir(), 'load.csv', '1,ann,2.5\n2,bob,3\n'));
  await r.driver.request(S.launchTasks('exec-silent'), launch('d-silent', 'job-6', 't-7', { op: 'csv-load', params: {} }), {
    expect: 'tasks-accepted',
    timeoutMs: 5000,
  });
  t.equal((await results.next('t-7')).ok, true);
  // While the driver heartbeats, its blocks stay, well past the timeout.
  const beat = () =>
    r.driver.publish(S.driverHeartbeats, {
      type: 'driver-heartbeat',
      version: PROTOCOL_VERSION,
      driverId: 'd-silent',
      jobs: ['job-6'],
      sentAt: Date.now(),
    });
  for (let i = 0; i < 15; i++) {
    await beat();
    await new Promise((res) => setTimeout(res, 100));
  }
  const alive = await r.heartbeat();
  t.ok(alive.cachedBytes > 0, 'a live driver keeps its blocks');
  // Then it falls silent.
  await until('blocks freed', async () => (await r.heartbeat()).cachedBytes === 0);
  t.same((await r.heartbeat()).jobs, []);
  const line = r.log.lines.find((l) => l.msg === 'driver silent: freed its job blocks');
  t.ok(line, 'the executor logs what it freed');
  t.equal(line?.jobId, 'job-6');
  t.equal(line?.freedBytes, alive.cachedBytes);
});
