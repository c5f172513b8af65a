/**
 * Faults and elasticity end to end, with real executor processes, real signals and a real
 * nats-server: executors killed (-9) in each phase, added mid-training, drained by SIGTERM,
 * the NATS server restarted, and all executors gone. Each job that finishes must give the
 * same bits as a run without faults.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { EventBus, parseJobSpecFile, type JobResult, type JobSpec } from '@kindling/coordinator';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-faults-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

// A bank-like file big enough that training spans seconds, so faults land mid-phase.
const bigCsv = join(scratch, 'bank-60k.csv');
execFileSync(process.execPath, [resolve(repoRoot, 'scripts/gen-bank-like.mjs'), '--rows', '60000', '--out', bigCsv, '--seed', '11'], {
  stdio: 'ignore',
});

let outputs = 0;
const spec = (conf: Record<string, string> = {}): Promise<JobSpec> =>
  parseJobSpecFile(bankJob, {
    output: join(scratch, `out-${outputs++}`),
    conf: { 'input.path': bigCsv, 'input.partitions': '6', 'model.maxIter': '25', 'model.tol': '1e-12', ...conf },
  });

let baseline: JobResult;
t.before(async () => {
  baseline = await runLocal(await spec(), 2);
});

function sameAsBaseline(t: Test, r: JobResult, what: string, base: JobResult = baseline): void {
  const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  t.same(bits(r.coefficients), bits(base.coefficients), `${what}: coefficients bit-identical to the fault-free run`);
  t.ok(Object.is(r.intercept, base.intercept), `${what}: intercept bit-identical`);
  t.same(r.metrics, base.metrics, `${what}: metrics identical`);
}

/** Runs the job on `cluster` and calls `fault` once, when a stage whose name matches `when` is submitted. */
async function runWithFault(cluster: LocalCluster, when: RegExp, fault: () => void | Promise<void>, jobSpec?: JobSpec): Promise<JobResult> {
  const events = new EventBus();
  let fired = false;
  events.on('stage-submitted', (e) => {
    if (fired || !when.test(e.name)) return;
    fired = true;
    void fault();
  });
  const r = await runOnCluster(jobSpec ?? (await spec()), cluster.connectionOptions('driver-faults'), { events, executorWaitMs: 10_000 });
  if (!fired) throw new Error(`no stage matched ${when}`);
  return r;
}

for (const [phase, when] of [
  ['loading', /^load /],
  ['training', /^gradient 4$/],
  ['evaluation', /^evaluate training split$/],
] as const) {
  t.test(`faults: kill -9 of one of three executors during ${phase} still gives the same bits`, async (t) => {
    const cluster = await LocalCluster.start(3);
    t.teardown(() => cluster.stop());
    const victim = cluster.executors.get('executor-1')!;
    const r = await runWithFault(cluster, when, () => {
      victim.child.kill('SIGKILL');
    });
    t.equal(await victim.exited, 'SIGKILL', 'the executor really died');
    sameAsBaseline(t, r, `kill -9 during ${phase}`);
  });
}

t.test('faults: an executor killed and restarted under the same name (as a StatefulSet does) is not waited for', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const victim = cluster.executors.get('executor-0')!;
  const started = Date.now();
  const r = await runWithFault(cluster, /^load /, async () => {
    victim.child.kill('SIGKILL');
    await victim.exited;
    // The replacement heartbeats well inside the driver's heartbeat deadline.
    cluster.startExecutor('executor-0');
  });
  t.ok(Date.now() - started < 60_000, `finished in ${Date.now() - started} ms, not at a task timeout`);
  sameAsBaseline(t, r, 'kill -9 + restart under the same id');
});

t.test('faults: executors added while the job runs take tasks and the result is unchanged', async (t) => {
  // The new executors are started when the job starts (schema inference): a process start
  // plus a NATS connect takes 1–2 s on a busy machine, so they join during loading or
  // training (46 iterations over 200k rows) and get partitions at the next stage boundary.
  // Starting them at a later stage raced the job's end once iterations got cheap.
  const longCsv = join(scratch, 'bank-200k.csv');
  execFileSync(process.execPath, [resolve(repoRoot, 'scripts/gen-bank-like.mjs'), '--rows', '200000', '--out', longCsv, '--seed', '12'], {
    stdio: 'ignore',
  });
  const long = { 'input.path': longCsv, 'model.maxIter': '100', 'model.tol': '0' };
  const base = await runLocal(await spec(long), 2);
  const cluster = await LocalCluster.start(1);
  t.teardown(() => cluster.stop());
  const r = await runWithFault(
    cluster,
    /^scan /,
    () => {
      cluster.startExecutor('executor-1');
      cluster.startExecutor('executor-2');
    },
    await spec(long),
  );
  t.ok((r.tasksByExecutor['executor-1'] ?? 0) > 0, `executor-1 ran ${r.tasksByExecutor['executor-1'] ?? 0} task(s)`);
  t.ok((r.tasksByExecutor['executor-2'] ?? 0) > 0, `executor-2 ran ${r.tasksByExecutor['executor-2'] ?? 0} task(s)`);
  sameAsBaseline(t, r, 'scale up 1 → 3', base);
});

t.test('faults: SIGTERM drains an executor within its grace period and the job is unchanged', async (t) => {
  const cluster = await LocalCluster.start(3);
  t.teardown(() => cluster.stop());
  const victim = cluster.executors.get('executor-2')!;
  let signalledAt = 0;
  const r = await runWithFault(cluster, /^gradient 3$/, () => {
    signalledAt = Date.now();
    victim.child.kill('SIGTERM');
  });
  const code = await victim.exited;
  const tookMs = Date.now() - signalledAt;
  t.equal(code, 0, 'the drained executor exits 0');
  t.ok(tookMs < 25_000, `it exited within the grace period (${tookMs} ms)`);
  sameAsBaseline(t, r, 'SIGTERM mid-training');
});

t.test('faults: a NATS server restart mid-job is survived', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const r = await runWithFault(cluster, /^gradient 3$/, () => cluster.server.restart());
  sameAsBaseline(t, r, 'NATS restart');
});

t.test('faults: with every executor gone the job fails clearly after the configured wait', async (t) => {
  const cluster = await LocalCluster.start(1);
  t.teardown(() => cluster.stop());
  const victim = cluster.executors.get('executor-0')!;
  const s = await spec();
  const events = new EventBus();
  events.on('stage-submitted', (e) => {
    if (e.name === 'gradient 2') victim.child.kill('SIGKILL');
  });
  const started = Date.now();
  const err = await runOnCluster(s, cluster.connectionOptions('driver-alone'), { events, executorWaitMs: 1500 }).then(
    () => undefined,
    (e: { code: string; message: string }) => e,
  );
  t.equal(err?.code, 'E_NO_EXECUTORS', err?.message ?? 'the job should have failed');
  t.match(err?.message ?? '', /no executor registered within 1500 ms/);
  t.ok(Date.now() - started < 20_000, 'it fails promptly');
  t.notOk(existsSync(s.output.path), 'no output folder that looks complete');
});
