/**
 * Ctrl-C during a local job, with a real process and a real SIGINT: `kindling submit` says the
 * job was interrupted (E_INTERRUPTED, exit 130) rather than reporting the worker-thread error
 * the stop causes, and leaves no output folder and no staging folder behind. On a cluster the
 * same, and the executors free the job at once (the driver drops it on its way out).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-interrupt-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('interrupt: SIGINT during a local job reports the interruption, exit 130, nothing left in the output parent', async (t) => {
  // Big enough (~50 MB) that loading alone outlasts the signal, which goes as soon as the job starts.
  const csv = join(scratch, 'bank-600k.csv');
  execFileSync(process.execPath, [resolve(repoRoot, 'scripts/gen-bank-like.mjs'), '--rows', '600000', '--out', csv, '--seed', '5'], {
    stdio: 'ignore',
  });
  const parent = join(scratch, 'out');
  const output = join(parent, 'job');
  const child = spawn(
    process.execPath,
    [cliMain, 'submit', '--master', 'local[2]', '--no-progress', '--conf', `input.path=${csv}`, '--output', output, bankJob],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let signalled = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!signalled && /job bank-lr started/.test(stderr)) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  t.ok(signalled, 'the signal was sent while the job ran');
  t.equal(code, 130, 'exit 130 (128 + SIGINT)');
  t.match(stderr, /kindling: error: job bank-lr was interrupted \(SIGINT\) before it finished \[E_INTERRUPTED\]/);
  t.notMatch(stderr, /Terminating worker thread|E_INTERNAL|E_TASK_FAILED/, 'no worker-thread error reported');
  t.equal(stdout, '', 'no result printed');
  t.notOk(existsSync(output), 'no output folder');
  t.same(existsSync(parent) ? readdirSync(parent) : [], [], 'no staging folder left next to it');
});

t.test('interrupt: SIGINT during a cluster job reports it, exit 130, and frees the job on the executors at once', async (t) => {
  // The executors' default driver timeout (15 s) would free the job much later: freed within a
  // few seconds means the driver told them (drop-job) on its way out.
  const cluster = await LocalCluster.start(2, { cores: 1 });
  t.teardown(() => cluster.stop());
  const output = join(scratch, 'cluster-out', 'job');
  const child = spawn(
    process.execPath,
    [
      cliMain,
      'submit',
      '--master',
      cluster.url,
      '--no-progress',
      '--no-ui',
      '--conf',
      'model.maxIter=500',
      '--conf',
      'model.tol=0',
      '--output',
      output,
      bankJob,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let held = 0;
  for (const deadline = Date.now() + 60_000; held === 0 && child.exitCode === null && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 100));
    held = (await cluster.discover()).reduce((a, hb) => a + hb.cachedBytes, 0);
  }
  t.ok(held > 0, `the executors cached ${held} bytes of the running job when the signal went`);
  child.kill('SIGINT');
  const sentAt = Date.now();
  t.equal(await exited, 130, 'exit 130 (128 + SIGINT)');
  t.match(stderr, /kindling: error: job bank-lr was interrupted \(SIGINT\) before it finished \[E_INTERRUPTED\]/);
  t.notMatch(stderr, /E_INTERNAL|E_TASK_FAILED/, 'no scheduler or task error reported');
  t.notOk(existsSync(output), 'no output folder');
  let left = held;
  while (left > 0 && Date.now() - sentAt < 5000) {
    left = (await cluster.discover()).reduce((a, hb) => a + hb.cachedBytes + hb.jobs.length, 0);
    if (left > 0) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(left, 0, `the executors freed the job ${Date.now() - sentAt} ms after the signal (their driver timeout is 15 s)`);
});
