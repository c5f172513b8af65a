import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from '../src/run-cli.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

function kindling(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('main: prints help listing the submit command and exits 0', async (t) => {
  const r = kindling('--help');
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: kindling \[options\] \[command\]/);
  t.match(r.stdout, /submit \[options\] <job\.yaml>/);
  t.equal(r.stderr, '');
});

t.test('main: prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  let stdout = '';
  const code = await runCli(['--version'], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
  t.equal(code, 0);
  t.equal(stdout, `${pkg.version}\n`);
});

t.test('main: treats a missing or unknown command as a usage error (exit 2)', async (t) => {
  let stderr = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
  t.equal(await runCli([], io), 2);
  t.match(stderr, /^Usage: kindling/);
  stderr = '';
  t.equal(await runCli(['sumbit', 'job.yaml'], io), 2);
  t.equal(stderr, "kindling: error: unknown command 'sumbit' (Did you mean submit?)\n");
});

t.test('main: `kindling executor` hands its flags to the executor: --help exits 0, a bad value exits 2 in one line', async (t) => {
  const help = kindling('executor', '--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: kindling executor --master nats:\/\/host:4222/);
  t.match(help.stdout, /--master <urls> .*\(env:\s+KINDLING_MASTER\)/s);
  const bad = kindling('executor', '--master', 'nats://h:1', '--heartbeat-ms', 'often');
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'kindling executor: error: --heartbeat-ms: "often" is not a whole number\n');
});
