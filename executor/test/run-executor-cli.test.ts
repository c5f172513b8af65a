/**
 * The executor's command line as its users meet it: runExecutorCli in process, and the built
 * bin spawned with flags and variables (exit codes, one-line errors, no stack traces). What
 * needs a running nats-server is tested in test/src/integration/executor-main.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runExecutorCli } from '../src/main.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Runs the built bin without the test's own KINDLING_* variables, plus `env`. */
function executorBin(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KINDLING_') && k !== 'POD_NAME'));
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('run-executor-cli: --help prints usage and a bad flag exits 2 naming it', async (t) => {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
  } as unknown as Parameters<typeof runExecutorCli>[1];
  t.equal(await runExecutorCli(['--help'], io), 0);
  t.match(out, /Usage: kindling executor --master/);
  t.equal(err, '');
  t.equal(await runExecutorCli(['--master', 'nats://h:1', '--cores', 'many'], io), 2);
  t.match(err, /^kindling executor: error: --cores: "many" is not a whole number\n$/);
});

t.test('run-executor-cli: the bin prints usage for --help and -h and exits 0', async (t) => {
  for (const flag of ['--help', '-h']) {
    const r = executorBin([flag]);
    t.equal(r.code, 0, flag);
    t.match(r.stdout, /^Usage: kindling executor --master nats:\/\/host:4222/, flag);
    t.match(r.stdout, /--fetch-timeout-ms <ms>/, flag);
    t.equal(r.stderr, '', flag);
  }
});

t.test('run-executor-cli: the bin reports bad flags and variables in one line and exits 2', async (t) => {
  const cases: Array<[string[], Record<string, string>, string]> = [
    [['--master', 'nats://h:1', '--cores', 'many'], {}, 'kindling executor: error: --cores: "many" is not a whole number\n'],
    [['--master', 'nats://h:1', '--cors', '2'], {}, "kindling executor: error: unknown option '--cors' (Did you mean --cores?)\n"],
    [['--master', 'nats://h:1', '--grace-ms'], {}, "kindling executor: error: option '--grace-ms <ms>' argument missing\n"],
    [
      ['--master', 'nats://h:1'],
      { KINDLING_HEALTH_PORT: '99999' },
      'kindling executor: error: KINDLING_HEALTH_PORT: 99999 is out of range (0 to 65535)\n',
    ],
    [[], {}, 'kindling executor: error: --master: is required (or set KINDLING_MASTER), e.g. --master nats://127.0.0.1:4222\n'],
  ];
  for (const [args, env, stderr] of cases) {
    const r = executorBin(args, env);
    const what = `${args.join(' ')} ${JSON.stringify(env)}`;
    t.equal(r.code, 2, what);
    t.equal(r.stderr, stderr, what);
    t.equal(r.stdout, '', what);
  }
});
