import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from '../../src/run-cli.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** Runs the built CLI in `cwd`, as a user would. */
function kindling(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the CLI in this process with captured output: cheaper than a child process on a busy
 * machine. A few tests still spawn the real binary, as a user runs it.
 */
async function inProcess(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { isTTY: false, write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(before);
  }
}

const VALID = 'input:\n  path: data.csv\npipeline:\n  label: y\n';

t.test('submit: lists the spark-submit style flags in its help', async (t) => {
  const r = await inProcess(process.cwd(), 'submit', '--help');
  t.equal(r.code, 0);
  for (const flag of [
    '--master <url>',
    '--name <name>',
    '--conf <key=value>',
    '--output <dir>',
    '--overwrite',
    '--log-level <level>',
    '--no-progress',
    '--json',
  ]) {
    t.ok(r.stdout.includes(flag), flag);
  }
  t.match(r.stdout, /default: "local\[\*\]"/);
});

t.test('submit: exits 2 with one clear line when the job file is missing', async (t) => {
  const dir = t.testdir({});
  const r = kindling(dir, 'submit', 'missing.yaml');
  t.equal(r.code, 2);
  t.equal(r.stderr, 'kindling: error: missing.yaml: cannot read the job file: no such file [E_JOB_SPEC]\n');
  t.equal(r.stdout, '');
});

t.test('submit: exits 2 naming the file, field and line of an invalid spec', async (t) => {
  const dir = t.testdir({ 'job.yaml': `${VALID}model:\n  maxIter: ten\n` });
  const r = kindling(dir, 'submit', '--master', 'local[1]', 'job.yaml');
  t.equal(r.code, 2);
  t.equal(r.stderr, 'kindling: error: job.yaml: model.maxIter: expected a positive integer, got "ten" (line 6) [E_JOB_SPEC]\n');

  writeFileSync(path.join(dir, 'job.yaml'), `${VALID}outptu:\n  mode: overwrite\n`);
  const typo = await inProcess(dir, 'submit', 'job.yaml');
  t.equal(typo.code, 2);
  t.equal(typo.stderr, 'kindling: error: job.yaml: outptu: unknown key, did you mean "output"? (line 5) [E_JOB_SPEC]\n');
});

t.test('submit: a local job that fails on its spec stops the worker threads it started early', async (t) => {
  // local[N] starts its pool before the spec is read (runSubmit); a spec error must not leave
  // those threads running in a process that goes on (an IDE, a notebook, this test).
  const dir = t.testdir({ 'job.yaml': `${VALID}model:\n  maxIter: ten\n` });
  const threads = (): number => readdirSync('/proc/self/task').length;
  const first = await inProcess(dir, 'submit', '--master', 'local[2]', 'job.yaml');
  t.equal(first.code, 2);
  const baseline = threads();
  for (let i = 0; i < 3; i++) {
    const r = await inProcess(dir, 'submit', '--master', 'local[2]', 'job.yaml');
    t.equal(r.code, 2, `run ${i + 2} is a usage error`);
  }
  // A stopped thread may take a moment to leave /proc; a leaked pool adds 2 threads per run for good.
  for (let waited = 0; threads() > baseline && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  t.ok(threads() <= baseline, `the process has ${threads()} threads after three more failed jobs, ${baseline} after the first`);
});

t.test('submit: exits 2 for a bad --conf, naming the flag', async (t) => {
  const dir = t.testdir({ 'job.yaml': VALID });
  let r = await inProcess(dir, 'submit', '--conf', 'model.maxIter=0', 'job.yaml');
  t.equal(r.code, 2);
  t.equal(r.stderr, 'kindling: error: job.yaml: model.maxIter: expected a positive integer, got 0 (--conf model.maxIter=0) [E_JOB_SPEC]\n');
  r = await inProcess(dir, 'submit', '--conf', 'model.iterations=5', 'job.yaml');
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /^kindling: error: job\.yaml: model\.iterations: --conf model\.iterations=5: unknown key; expected one of: type, maxIter, /,
  );
  r = await inProcess(dir, 'submit', '--conf', 'maxIter', 'job.yaml');
  t.equal(r.code, 2);
  t.equal(r.stderr, 'kindling: error: --conf "maxIter": expected key=value, e.g. model.maxIter=20 [E_INVALID_VALUE]\n');
});

t.test('submit: exits 2 for a master it cannot use, before reading the job', async (t) => {
  const dir = t.testdir({ 'job.yaml': VALID });
  // A NATS master is usable: the spec is checked before any connection is tried…
  let r = await inProcess(dir, 'submit', '--master', 'nats://127.0.0.1:1', 'missing.yaml');
  t.equal(r.code, 2);
  t.match(r.stderr, /^kindling: error: missing\.yaml: cannot read the job file/);
  // …and an unreachable server is a job failure (exit 1) that names the address.
  r = await inProcess(dir, 'submit', '--master', 'nats://127.0.0.1:1', '--no-progress', 'job.yaml');
  t.equal(r.code, 1);
  t.match(r.stderr, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: connection refused/);
  r = await inProcess(dir, 'submit', '--master', 'k8s://kindling', '--deploy-mode', 'cluster', 'missing.yaml');
  t.equal(r.code, 2);
  t.match(r.stderr, /^kindling: error: missing\.yaml: cannot read the job file/);
  r = await inProcess(dir, 'submit', '--master', 'k8s://kindling', '--deploy-mode', 'sideways', 'job.yaml');
  t.equal(r.code, 2);
  t.match(r.stderr, /deploy-mode/);
  r = await inProcess(dir, 'submit', '--master', 'local[0]', 'missing.yaml');
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    'kindling: error: invalid master URL "local[0]": the thread count must be * or an integer from 1 to 4096 [E_INVALID_VALUE]\n',
  );
});

t.test('submit: exits 2 for usage mistakes, each on one line', async (t) => {
  const dir = t.testdir({ 'job.yaml': VALID });
  let r = await inProcess(dir, 'submit');
  t.equal(r.code, 2);
  t.equal(r.stderr, "kindling: error: missing required argument 'job.yaml'\n");
  r = await inProcess(dir, 'submit', '--mastr', 'local', 'job.yaml');
  t.equal(r.code, 2);
  t.equal(r.stderr, "kindling: error: unknown option '--mastr' (Did you mean --master?)\n");
  r = await inProcess(dir, 'submit', '--log-level', 'loud', 'job.yaml');
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /^kindling: error: option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent\.\n$/,
  );
});

t.test('submit: exits 1 when the job starts and fails', async (t) => {
  const dir = t.testdir({ 'job.yaml': `${VALID}output:\n  path: out\n` });
  const r = await inProcess(dir, 'submit', '--master', 'local[1]', '--log-level', 'silent', 'job.yaml');
  t.equal(r.code, 1);
  t.match(r.stderr, /^kindling: error: .*data\.csv.*\[E_IO\]\n$/);
  t.equal(r.stdout, '');
});

t.test('submit: prints the stack only at debug level', async (t) => {
  const dir = t.testdir({});
  const quiet = await inProcess(dir, 'submit', 'missing.yaml');
  t.notMatch(quiet.stderr, /\n\s+at /);
  const debug = await inProcess(dir, 'submit', '--log-level', 'debug', 'missing.yaml');
  t.equal(debug.code, 2);
  t.match(debug.stderr, /^kindling: error: missing\.yaml: cannot read the job file: no such file \[E_JOB_SPEC\]\nJobSpecError: .*\n\s+at /);
});
