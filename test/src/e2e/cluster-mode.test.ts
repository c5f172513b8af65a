/**
 * Cluster mode end to end: a real nats-server on a random loopback port and real executor
 * processes. The bank job gives the same bits on 1, 2 and 3 executors as in local mode, two
 * drivers share one pool without mixing data, and executors free a job's memory when it
 * ends or its driver dies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parseJobSpecFile, type JobResult, type JobSpec } from '@kindling/coordinator';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-e2e-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const spec = (name: string, file = bankJob, conf: Record<string, string> = {}): Promise<JobSpec> =>
  parseJobSpecFile(file, { output: join(scratch, name), conf });

function sameResult(t: Tap, a: JobResult, b: JobResult, what: string): void {
  t.same(
    Buffer.from(a.coefficients.buffer, a.coefficients.byteOffset, a.coefficients.byteLength),
    Buffer.from(b.coefficients.buffer, b.coefficients.byteOffset, b.coefficients.byteLength),
    `${what}: coefficients bit-identical`,
  );
  t.ok(Object.is(a.intercept, b.intercept), `${what}: intercept bit-identical`);
  t.same(a.objectiveHistory, b.objectiveHistory, `${what}: objective history`);
  t.same(a.metrics, b.metrics, `${what}: metrics`);
}
type Tap = import('tap').Test;

t.test('cluster mode: the bank job on 1, 2 and 3 executor processes is bit-identical to local mode', async (t) => {
  const local = await runLocal(await spec('local'), 2);
  const cluster = await LocalCluster.start(1);
  t.teardown(() => cluster.stop());
  const results: JobResult[] = [];
  for (const n of [1, 2, 3]) {
    if (n > 1) {
      cluster.startExecutor(`executor-${n - 1}`);
      await cluster.waitForExecutors(n, 30_000);
    }
    const r = await runOnCluster(await spec(`cluster-${n}`), cluster.connectionOptions('driver-test'));
    results.push(r);
    sameResult(t, r, local, `${n} executor(s) vs local[2]`);
  }
  t.equal(results.length, 3);
});

t.test('cluster mode: two jobs submitted at once to one pool both finish with their own results', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const tutorial = resolve(repoRoot, 'examples/spark-tutorial.yaml');
  const [a, b] = await Promise.all([
    runOnCluster(await spec('both-bank'), cluster.connectionOptions('driver-a')),
    runOnCluster(await spec('both-tutorial', tutorial, { compat: 'spark-2.3' }), cluster.connectionOptions('driver-b')),
  ]);
  sameResult(t, a, await runLocal(await spec('both-bank-local'), 2), 'bank job');
  t.equal(b.testRows, 3398, 'the tutorial job kept its own Spark 2.3 split');
  t.equal((b.spark as { evaluator: { areaUnderROC: number } }).evaluator.areaUnderROC, 0.8858324614449619, 'and its published test AUC');
});

t.test("cluster mode: executors free a job's blocks when it ends and when its driver is killed", async (t) => {
  const cluster = await LocalCluster.start(2, { executorArgs: ['--driver-timeout-ms', '1500'] });
  t.teardown(() => cluster.stop());
  await runOnCluster(await spec('free-after'), cluster.connectionOptions('driver-free'));
  await new Promise((r) => setTimeout(r, 600));
  for (const hb of await cluster.discover()) t.equal(hb.cachedBytes, 0, `${hb.executorId} holds nothing after the job`);

  // A driver process killed with SIGKILL mid-training never says goodbye.
  const driver = spawn(
    process.execPath,
    [
      cliMain,
      'submit',
      '--master',
      cluster.url,
      '--no-progress',
      '--log-level',
      'warn',
      '--output',
      join(scratch, 'killed'),
      '--conf',
      'model.maxIter=200',
      '--conf',
      'model.tol=0',
      bankJob,
    ],
    { stdio: 'ignore' },
  );
  let held = 0;
  const deadline = Date.now() + 20_000;
  while (held === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    held = (await cluster.discover()).reduce((a, hb) => a + hb.cachedBytes, 0);
  }
  t.ok(held > 0, `executors cached ${held} bytes for the running job`);
  driver.kill('SIGKILL');
  let freed = false;
  const until = Date.now() + 15_000;
  while (!freed && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    freed = (await cluster.discover()).every((hb) => hb.cachedBytes === 0);
  }
  t.ok(freed, 'blocks freed after the driver went silent');
});

t.test('cluster mode: the executors list shows registered executors', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const out = await new Promise<string>((res) => {
    const p = spawn(process.execPath, [cliMain, 'executors', '--master', cluster.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d: Buffer) => (s += d.toString()));
    p.on('exit', () => res(s));
  });
  t.match(out, /executor-0\s+active\s+1/);
  t.match(out, /executor-1\s+active\s+1/);
});

t.test('cluster mode: kindling cluster up, submit --master nats:// and cluster down work from the command line', async (t) => {
  const dir = join(scratch, 'cli-cluster');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const p = spawn(process.execPath, [cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => res({ code, out, err }));
    });
  const up = await run(['cluster', 'up', '--executors', '2', '--cores', '1', '--port', '0', '--dir', dir]);
  t.teardown(() => run(['cluster', 'down', '--dir', dir]));
  t.equal(up.code, 0, up.err);
  const url = /cluster up: (nats:\/\/\S+) with 2 of 2 executor\(s\) registered/.exec(up.out)?.[1];
  t.ok(url, up.out);
  const submitted = await run([
    'submit',
    '--master',
    url!,
    '--json',
    '--no-progress',
    '--log-level',
    'warn',
    '--output',
    join(scratch, 'cli-cluster-out'),
    bankJob,
  ]);
  t.equal(submitted.code, 0, submitted.err);
  const local = await run([
    'submit',
    '--master',
    'local[2]',
    '--json',
    '--no-progress',
    '--log-level',
    'warn',
    '--output',
    join(scratch, 'cli-local-out'),
    bankJob,
  ]);
  const a = JSON.parse(submitted.out) as { metrics: unknown; objectiveHistory: unknown };
  const b = JSON.parse(local.out) as { metrics: unknown; objectiveHistory: unknown };
  t.same(a.metrics, b.metrics, 'the CLI prints the same metrics for the cluster and local[2]');
  t.same(a.objectiveHistory, b.objectiveHistory);
  const status = await run(['cluster', 'status', '--dir', dir]);
  t.match(status.out, /executor-1 pid \d+ running/);
  const down = await run(['cluster', 'down', '--dir', dir]);
  t.match(down.out, /stopped 2 executor\(s\)/);
});

t.test('cluster mode: a token-protected NATS server admits the job and refuses a wrong token', async (t) => {
  const cluster = await LocalCluster.start(1, { server: { auth: { token: 'kindling-s3cret' } }, connection: { token: 'kindling-s3cret' } });
  t.teardown(() => cluster.stop());
  const r = await runOnCluster(await spec('auth'), cluster.connectionOptions('driver-auth'));
  t.equal(r.trainRows + r.testRows, 11162, 'the job ran on the authenticated executor');
  const { NatsTransport } = await import('@kindling/shared');
  await t.rejects(NatsTransport.connect({ servers: cluster.url, token: 'wrong', name: 'intruder' }), {
    code: 'E_IO',
    message: /authorization/i,
  });
});
