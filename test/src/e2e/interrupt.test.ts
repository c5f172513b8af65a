/**
 * Ctrl-C during a local job, with a real process and a real SIGINT: `kindling submit` says the
 * job was interrupted (E_INTERRUPTED, exit 130) rather than reporting the worker-thread error
 * the stop causes, and leaves no output folder and no staging folder behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
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
