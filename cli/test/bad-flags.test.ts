/**
 * Every command of the CLI, run with bad flag values through its entry (runCli in-process, and
 * the `kindling` executable for `kindling executor`, whose parser writes to the process's
 * streams): each must be a one-line usage error naming the flag and the value, exit 2, and
 * must fail before doing anything (no cluster started, no NATS connection tried).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from '../src/run-cli.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kindling-bad-flags-'));
const file = join(dir, 'some.pem');
writeFileSync(file, 'not a certificate');
// Had a bad value slipped through, `cluster up` would start here, on a free port, and the
// assertions below would fail; clean up whatever it started either way.
const clusterDir = join(dir, 'cluster');
const up = ['cluster', 'up', '--dir', clusterDir, '--port', '0', '--wait-ms', '1'];
t.teardown(async () => {
  await runCli(['cluster', 'down', '--dir', clusterDir], { stdout: { write: () => true }, stderr: { write: () => true } });
  rmSync(dir, { recursive: true, force: true });
});

/** [argv, what stderr must match] */
const CASES: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [[...up, '--executors', '0'], /option '--executors <n>' argument '0' is invalid\. 0 is out of range \(1 to 256\)/],
  [[...up, '--executors', 'three'], /option '--executors <n>' argument 'three' is invalid\. expected a whole number/],
  [[...up, '--executors', '2.5'], /'--executors <n>' argument '2\.5' is invalid/],
  [[...up, '--executors', '1e3'], /'--executors <n>' argument '1e3' is invalid/],
  [[...up, '--cores', '0'], /'--cores <n>' argument '0' is invalid\. 0 is out of range \(1 to 1024\)/],
  [[...up, '--cores', ''], /'--cores <n>' argument '' is invalid/],
  [[...up, '--port', '65536'], /'--port <port>' argument '65536' is invalid\. 65536 is out of range \(0 to 65535\)/],
  [[...up, '--port', 'http'], /'--port <port>' argument 'http' is invalid/],
  [[...up, '--wait-ms', '-1'], /'--wait-ms <ms>' argument '-1' is invalid/],
  [[...up, '--prefix', 'a b'], /'--prefix <prefix>' argument 'a b' is invalid\. expected dot-separated tokens/],
  [[...up, '--prefix', 'a..b'], /'--prefix <prefix>' argument 'a\.\.b' is invalid/],
  [[...up, '--prefix', 'a.*'], /'--prefix <prefix>' argument 'a\.\*' is invalid/],
  [[...up, '--dir', ''], /'--dir <dir>' argument '' is invalid\. expected a value/],
  [[...up, '--executors'], /option '--executors <n>' argument missing/],
  [[...up, '--bogus'], /unknown option '--bogus'/],
  [['cluster', 'status', '--dir', ' '], /'--dir <dir>' argument ' ' is invalid/],
  [['cluster', 'down', '--dir', ''], /'--dir <dir>' argument '' is invalid/],
  [['cluster', 'sideways'], /unknown command 'sideways'/],
  [['executors'], /required option '--master <url>' not specified/],
  [['executors', '--master', 'foo'], /'--master <url>' argument 'foo' is invalid\. invalid master URL "foo"/],
  [['executors', '--master', 'local[2]'], /'--master <url>' argument 'local\[2\]' is invalid\. .*not listed from a local master/],
  [['executors', '--master', 'k8s://Bad_NS'], /'--master <url>' argument 'k8s:\/\/Bad_NS' is invalid\. .*not a Kubernetes namespace name/],
  [
    ['executors', '--master', 'nats://h:1', '--wait-ms', '0'],
    /'--wait-ms <ms>' argument '0' is invalid\. 0 is out of range \(1 to 600000\)/,
  ],
  [
    ['executors', '--master', 'k8s://ns', '--nats-url', 'http://h:1'],
    /'--nats-url <url>' argument 'http:\/\/h:1' is invalid\. "http:\/\/h:1": expected a nats:\/\/ or tls:\/\/ URL/,
  ],
  [['executors', '--master', 'nats://h:1', '--prefix', 'x y'], /'--prefix <prefix>' argument 'x y' is invalid/],
  [
    ['executors', '--master', 'nats://h:1', '--nats-tls-ca', join(dir, 'missing.pem')],
    /'--nats-tls-ca <file>' argument '.*missing\.pem' is invalid\. .*missing\.pem: no such file/,
  ],
  [['executors', '--master', 'nats://h:1', '--nats-tls-cert', dir], /'--nats-tls-cert <file>' argument '.*' is invalid\. .* is not a file/],
  [['executors', '--master', 'nats://h:1', '--nats-tls-cert', file], /^kindling: error: --nats-tls-cert needs a key too/],
  [['executors', '--master', 'nats://h:1', '--nats-user', 'me'], /^kindling: error: --nats-user needs a password too/],
  [
    ['executors', '--master', 'nats://h:1', '--nats-token', 't', '--nats-user', 'u', '--nats-pass', 'p'],
    /--nats-token cannot be combined with a user and password/,
  ],
  [['executors', '--master', 'nats://h:1', '--nats-token', ''], /'--nats-token <token>' argument '' is invalid/],
  [['scale', 'many'], /command-argument value 'many' is invalid for argument 'replicas'\. expected a whole number from 0 to 10000/],
  [['scale', '--', '-1'], /command-argument value '-1' is invalid for argument 'replicas'/],
  [['scale', '10001'], /value '10001' is invalid for argument 'replicas'\. 10001 is out of range/],
  [['scale', '2', '--namespace', 'Prod'], /'--namespace <ns>' argument 'Prod' is invalid\. expected a Kubernetes name/],
  [['scale', '2', '--name', 'exec_1'], /'--name <name>' argument 'exec_1' is invalid/],
  [['scale', '2', '--context', ''], /'--context <ctx>' argument '' is invalid/],
  [['scale'], /missing required argument 'replicas'/],
  [['submit', '--executor-wait', 'soon', 'job.yaml'], /'--executor-wait <ms>' argument 'soon' is invalid\. expected a whole number/],
  [['submit', '--nats-url', 'nats://', 'job.yaml'], /'--nats-url <url>' argument 'nats:\/\/' is invalid/],
  [['submit', '--image', ' ', 'job.yaml'], /'--image <image>' argument ' ' is invalid/],
  [['submit', '--data-claim', 'My Data', 'job.yaml'], /'--data-claim <pvc>' argument 'My Data' is invalid\. expected a Kubernetes name/],
  [
    ['submit', '--nats-tls-secret', 'Client_TLS', 'job.yaml'],
    /'--nats-tls-secret <secret>' argument 'Client_TLS' is invalid\. expected a Kubernetes name/,
  ],
  [
    ['submit', '--nats-nkey-secret', 'NKey', 'job.yaml'],
    /'--nats-nkey-secret <secret>' argument 'NKey' is invalid\. expected a Kubernetes name/,
  ],
  [['cluster', 'nkey', '--dir', ''], /'--dir <dir>' argument '' is invalid/],
  [['submit', '--output-claim', '-out', 'job.yaml'], /'--output-claim <pvc>' argument '-out' is invalid/],
  [['submit', '--output', '', 'job.yaml'], /'--output <dir>' argument '' is invalid/],
  [['submit', '--name', '', 'job.yaml'], /'--name <name>' argument '' is invalid/],
  [
    ['submit', '--deploy-mode', 'sideways', 'job.yaml'],
    /'--deploy-mode <mode>' argument 'sideways' is invalid\. Allowed choices are client, cluster/,
  ],
  [['submit', '--log-level', 'loud', 'job.yaml'], /'--log-level <level>' argument 'loud' is invalid/],
  [['submit', '--master', 'local[0]', 'job.yaml'], /invalid master URL "local\[0\]": the thread count must be/],
  [['submit', '--conf', 'noequals', 'job.yaml'], /--conf "noequals": expected key=value/],
  [['submit', '--prefix', '', 'job.yaml'], /'--prefix <prefix>' argument '' is invalid/],
  [['submit', '--nats-pass', 'p', 'job.yaml'], /--nats-pass needs a user too/],
  [
    ['submit', '--nats-nkey-seed', join(dir, 'missing.nk'), 'job.yaml'],
    /'--nats-nkey-seed <file>' argument '.*missing\.nk' is invalid\. .*no such file/,
  ],
  [
    ['executors', '--master', 'nats://h:1', '--nats-token', 't', '--nats-creds', file],
    /--nats-creds cannot be combined with --nats-token: give one way to authenticate/,
  ],
];

t.test('every command: a bad flag value is a one-line usage error naming flag and value, exit 2', async (t) => {
  for (const [argv, message] of CASES) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    const name = `kindling ${argv.join(' ')}`;
    t.equal(code, 2, `${name}: exit 2`);
    t.match(stderr, message, `${name}: names the flag and value`);
    t.match(stderr, /^kindling: error: /, `${name}: the one-line format`);
    t.equal(stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.notMatch(stderr, /E_INTERNAL|\n\s+at /, `${name}: no internal error, no stack`);
    t.equal(stdout, '', `${name}: nothing on stdout`);
  }
});

/** `kindling executor` cases: [argv, env, the one stderr line]. */
const EXECUTOR_CASES: ReadonlyArray<readonly [readonly string[], Record<string, string>, RegExp]> = [
  [['--master', 'nats://h:1', '--cores', '0'], {}, /--cores: 0 is out of range \(1 to 1024\)/],
  [['--master', 'nats://h:1', '--health-port', 'x'], {}, /--health-port: "x" is not a whole number/],
  [['--master', 'http://h:1'], {}, /--master: "http:\/\/h:1": expected a nats:\/\/ or tls:\/\/ URL/],
  [['--master', 'nats://h:1', '--id', 'a.b'], {}, /--id: "a\.b" may contain only letters/],
  [['--master', 'nats://h:1'], { KINDLING_EXECUTOR_CORES: 'all' }, /KINDLING_EXECUTOR_CORES: "all" is not a whole number/],
  [['--master', 'nats://h:1', '--log-level', 'loud'], {}, /--log-level: "loud" is not one of/],
  [['--master', 'nats://h:1', '--tls-ca', '/no/such.pem'], {}, /--tls-ca: \/no\/such\.pem: no such file/],
  [['--master', 'nats://h:1', '--grace-ms'], {}, /--grace-ms/],
  [['--master', 'nats://h:1', '--memory', '2 gigs'], {}, /--memory: "2 gigs" is not a byte size/],
  [['--master', 'nats://h:1'], { KINDLING_MEMORY_LIMIT: 'x' }, /KINDLING_MEMORY_LIMIT: "x" is not a byte size/],
  [['--master', 'nats://h:1', '--nkey-seed', '/no/seed.nk'], {}, /--nkey-seed: \/no\/seed\.nk: no such file/],
  [
    ['--master', 'nats://h:1', '--token', 't', '--creds', '/etc/hostname'],
    {},
    /--creds: cannot be combined with --token: give one way to authenticate/,
  ],
  [[], {}, /--master: is required/],
];

t.test('kindling executor: a bad flag or variable is a one-line usage error, exit 2', async (t) => {
  for (const [argv, env, message] of EXECUTOR_CASES) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KINDLING_')));
    const r = spawnSync(process.execPath, [MAIN, 'executor', ...argv], { encoding: 'utf8', env: { ...clean, ...env } });
    const name = `kindling executor ${argv.join(' ')} ${JSON.stringify(env)}`;
    t.equal(r.status, 2, `${name}: exit 2`);
    t.match(r.stderr, message, name);
    t.match(r.stderr, /^kindling executor: error: [^\n]+\n$/, `${name}: one line`);
  }
});
