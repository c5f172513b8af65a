import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KindlingError } from '@kindling/shared';
import { natsOptionsOf, parseExecutorArgs, readExecutorCommandLine, sanitizeExecutorId } from '../src/config.js';

const errorOf = (f: () => unknown): KindlingError => {
  try {
    f();
  } catch (err) {
    if (err instanceof KindlingError) return err;
    throw err;
  }
  throw new KindlingError('E_INTERNAL', 'expected parseExecutorArgs to throw');
};

t.test('config: applies the documented defaults', async (t) => {
  const c = parseExecutorArgs(['--master', 'nats://127.0.0.1:4222'], {});
  t.same(c.servers, ['nats://127.0.0.1:4222']);
  t.equal(c.id, sanitizeExecutorId(os.hostname()));
  t.match(c.id, /^[A-Za-z0-9_-]+$/);
  t.equal(c.cores, os.availableParallelism());
  t.equal(c.prefix, 'kindling');
  t.equal(c.healthPort, 4041);
  t.equal(c.heartbeatMs, 1000);
  t.equal(c.driverTimeoutMs, 15000);
  t.equal(c.graceMs, 25000);
  t.equal(c.fetchTimeoutMs, 30000);
  t.equal(c.logLevel, 'info');
  t.equal(c.user, undefined);
  t.equal(c.token, undefined);
  t.equal(c.tls, undefined);
  t.ok(Object.isFrozen(c), 'the config is frozen');
  t.ok(Object.isFrozen(c.servers), 'the server list is frozen');
});

t.test('config: reads every setting from flags, in both --flag value and --flag=value forms', async (t) => {
  const c = parseExecutorArgs(
    [
      '--master=nats://a:4222,nats://b:4223',
      '--id',
      'exec-0',
      '--cores=3',
      '--prefix',
      'team.k1',
      '--health-port',
      '0',
      '--heartbeat-ms',
      '250',
      '--driver-timeout-ms=2000',
      '--grace-ms',
      '5000',
      '--fetch-timeout-ms',
      '800',
      '--user',
      'u',
      '--pass',
      'p',
      '--log-level',
      'debug',
    ],
    { KINDLING_MASTER: 'nats://ignored:1', KINDLING_EXECUTOR_CORES: '9' },
  );
  t.same(c.servers, ['nats://a:4222', 'nats://b:4223']);
  t.equal(c.id, 'exec-0');
  t.equal(c.cores, 3, 'a flag wins over the environment');
  t.equal(c.prefix, 'team.k1');
  t.equal(c.healthPort, 0);
  t.equal(c.heartbeatMs, 250);
  t.equal(c.driverTimeoutMs, 2000);
  t.equal(c.graceMs, 5000);
  t.equal(c.fetchTimeoutMs, 800);
  t.equal(c.user, 'u');
  t.equal(c.pass, 'p');
  t.equal(c.logLevel, 'debug');
  t.same(natsOptionsOf(c), { servers: ['nats://a:4222', 'nats://b:4223'], prefix: 'team.k1', name: 'exec-0', user: 'u', pass: 'p' });
});

t.test('config: falls back to the environment (Kubernetes sets POD_NAME and secrets)', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'ca', 'cert.pem': 'cert', 'key.pem': 'key' });
  const c = parseExecutorArgs([], {
    KINDLING_MASTER: 'nats://nats.kindling.svc:4222',
    POD_NAME: 'kindling-executor-2',
    KINDLING_EXECUTOR_CORES: '2',
    KINDLING_PREFIX: 'prod',
    KINDLING_HEALTH_PORT: '9000',
    KINDLING_NATS_TOKEN: 's3cret',
    KINDLING_NATS_TLS_CA: join(dir, 'ca.pem'),
    KINDLING_NATS_TLS_CERT: join(dir, 'cert.pem'),
    KINDLING_NATS_TLS_KEY: join(dir, 'key.pem'),
  });
  t.same(c.servers, ['nats://nats.kindling.svc:4222']);
  t.equal(c.id, 'kindling-executor-2');
  t.equal(c.cores, 2);
  t.equal(c.prefix, 'prod');
  t.equal(c.healthPort, 9000);
  t.equal(c.token, 's3cret');
  t.same(c.tls, { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
  t.same(natsOptionsOf(c).tls, c.tls);
});

t.test('config: reads the timing, credential and log settings from the environment too', async (t) => {
  const c = parseExecutorArgs([], {
    KINDLING_MASTER: 'tls://a:4222, tls://b:4222',
    KINDLING_HEARTBEAT_MS: '500',
    KINDLING_DRIVER_TIMEOUT_MS: '60000',
    KINDLING_GRACE_MS: '0',
    KINDLING_FETCH_TIMEOUT_MS: '100',
    KINDLING_NATS_USER: 'exec',
    KINDLING_NATS_PASS: 'pw',
    KINDLING_LOG_LEVEL: 'warn',
  });
  t.same(c.servers, ['tls://a:4222', 'tls://b:4222']);
  t.equal(c.heartbeatMs, 500);
  t.equal(c.driverTimeoutMs, 60000);
  t.equal(c.graceMs, 0);
  t.equal(c.fetchTimeoutMs, 100);
  t.equal(c.user, 'exec');
  t.equal(c.pass, 'pw');
  t.equal(c.logLevel, 'warn');
});

t.test('config: an empty variable counts as unset (a manifest value: "")', async (t) => {
  const c = parseExecutorArgs(['--master', 'nats://h:1'], {
    KINDLING_EXECUTOR_CORES: '',
    KINDLING_NATS_TOKEN: '',
    POD_NAME: '',
    KINDLING_LOG_LEVEL: '',
  });
  t.equal(c.cores, os.availableParallelism());
  t.equal(c.token, undefined);
  t.equal(c.id, sanitizeExecutorId(os.hostname()));
  t.equal(c.logLevel, 'info');
});

t.test('config: reads the environment it is given, not the process environment', async (t) => {
  const saved = process.env;
  process.env = { ...saved, KINDLING_MASTER: 'nats://from-process:1', KINDLING_EXECUTOR_CORES: '7' };
  try {
    const c = parseExecutorArgs([], { KINDLING_MASTER: 'nats://given:1' });
    t.same(c.servers, ['nats://given:1']);
    t.equal(c.cores, os.availableParallelism());
    t.equal(process.env['KINDLING_EXECUTOR_CORES'], '7', 'the process environment is left as it was');
  } finally {
    process.env = saved;
  }
});

t.test('config: --help gives the usage, listing every flag with its variable, whatever else is wrong', async (t) => {
  const line = readExecutorCommandLine(['--cores', 'two', '--help', '--cors'], { KINDLING_GRACE_MS: 'soon' });
  if (line.kind !== 'help') return t.fail('expected the usage');
  t.match(line.usage, /^Usage: kindling executor --master nats:\/\/host:4222/);
  const flags: Array<[string, string | undefined]> = [
    ['--master', 'KINDLING_MASTER'],
    ['--id', undefined],
    ['--cores', 'KINDLING_EXECUTOR_CORES'],
    ['--prefix', 'KINDLING_PREFIX'],
    ['--health-port', 'KINDLING_HEALTH_PORT'],
    ['--heartbeat-ms', 'KINDLING_HEARTBEAT_MS'],
    ['--driver-timeout-ms', 'KINDLING_DRIVER_TIMEOUT_MS'],
    ['--grace-ms', 'KINDLING_GRACE_MS'],
    ['--fetch-timeout-ms', 'KINDLING_FETCH_TIMEOUT_MS'],
    ['--user', 'KINDLING_NATS_USER'],
    ['--pass', 'KINDLING_NATS_PASS'],
    ['--token', 'KINDLING_NATS_TOKEN'],
    ['--tls-ca', 'KINDLING_NATS_TLS_CA'],
    ['--tls-cert', 'KINDLING_NATS_TLS_CERT'],
    ['--tls-key', 'KINDLING_NATS_TLS_KEY'],
    ['--log-level', 'KINDLING_LOG_LEVEL'],
    ['-h, --help', undefined],
  ];
  // One entry per option: its line and the wrapped lines under it.
  const entries = line.usage.split(/\n(?= {2}-)/).map((e) => e.replace(/\s+/g, ' ').trim());
  const entry = (flag: string): string => entries.find((e) => e.startsWith(`${flag} `)) ?? '';
  for (const [flag, env] of flags) {
    t.not(entry(flag), '', `lists ${flag}`);
    if (env !== undefined) t.match(entry(flag), new RegExp(`env: ${env}\\)$`), `names ${env}`);
  }
  t.match(entry('--health-port'), /default: 4041,/);
  t.match(entry('--cores'), /default: all cores,/);
  t.same(readExecutorCommandLine(['-h'], {}).kind, 'help');
  t.match(errorOf(() => parseExecutorArgs(['--help'], {})).message, /^--help: asks for the usage text/);
});

t.test('config: turns a dotted hostname into a subject token', async (t) => {
  t.equal(sanitizeExecutorId('ip-10-0-0-7.ec2.internal'), 'ip-10-0-0-7-ec2-internal');
  t.equal(sanitizeExecutorId('host name*with>wild'), 'host-name-with-wild');
  t.equal(sanitizeExecutorId('...'), 'executor');
  t.equal(parseExecutorArgs(['--master', 'nats://h:1'], { POD_NAME: 'pod.with.dots' }).id, 'pod-with-dots');
});

t.test('config: errors name the bad flag or variable', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [[], {}, /^--master: is required/],
    [['--master', 'http://x:1'], {}, /^--master: "http:\/\/x:1": expected a nats:\/\/ or tls:\/\/ URL/],
    [[], { KINDLING_MASTER: 'not a url' }, /^KINDLING_MASTER: "not a url" is not a URL/],
    [['--master', 'nats://h:1', '--id', 'a.b'], {}, /^--id: "a.b" may contain only letters, digits, - and _/],
    [['--master', 'nats://h:1', '--cores', 'two'], {}, /^--cores: "two" is not a whole number/],
    [['--master', 'nats://h:1', '--cores', '0'], {}, /^--cores: 0 is out of range \(1 to 1024\)/],
    [['--master', 'nats://h:1'], { KINDLING_EXECUTOR_CORES: '-1' }, /^KINDLING_EXECUTOR_CORES: "-1" is not a whole number/],
    [['--master', 'nats://h:1', '--health-port', '70000'], {}, /^--health-port: 70000 is out of range/],
    [['--master', 'nats://h:1', '--prefix', 'a..b'], {}, /^--prefix: "a..b" is not a subject prefix/],
    [['--master', 'nats://h:1', '--user', 'u'], {}, /^--user: needs a password too/],
    [['--master', 'nats://h:1', '--token', 't', '--user', 'u', '--pass', 'p'], {}, /^--token: cannot be combined/],
    [['--master', 'nats://h:1', '--tls-ca', '/no/such/ca.pem'], {}, /^--tls-ca: \/no\/such\/ca.pem: no such file/],
    [['--master', 'nats://h:1', '--log-level', 'loud'], {}, /^--log-level: "loud" is not one of/],
    [
      ['--master', 'nats://h:1'],
      { KINDLING_LOG_LEVEL: 'loud' },
      /^KINDLING_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent$/,
    ],
    [['--master', 'nats://h:1'], { KINDLING_HEARTBEAT_MS: '5' }, /^KINDLING_HEARTBEAT_MS: 5 is out of range \(10 to 3600000\)$/],
    [['--master', 'nats://h:1'], { KINDLING_NATS_PASS: 'p' }, /^KINDLING_NATS_PASS: needs a user too/],
    [['--master', 'nats://h:1', '--cors', '2'], {}, /^unknown option '--cors' \(Did you mean --cores\?\)$/],
    [['--master', 'nats://h:1', '--grace-ms'], {}, /^option '--grace-ms <ms>' argument missing$/],
    [['--master', 'nats://h:1', '--grace-ms', '--cores', '2'], {}, /^--grace-ms: needs a value \(it is followed by --cores\)$/],
    [['--master', 'nats://h:1', 'stray'], {}, /^stray: unexpected argument/],
    [['nats://h:1'], {}, /^nats:\/\/h:1: unexpected argument; flags look like --master nats:\/\/host:4222/],
    [['--master', 'nats://h:1', '--cores', '1', '--cores=2'], {}, /^--cores: given twice/],
  ];
  for (const [argv, env, message] of cases) {
    const err = errorOf(() => parseExecutorArgs(argv, env));
    t.equal(err.code, 'E_INVALID_VALUE', argv.join(' '));
    t.match(err.message, message, argv.join(' ') || JSON.stringify(env));
    t.notMatch(err.message, /\n/, 'one line');
  }
});

t.test('config: a client certificate needs its key', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'cert.pem'), 'cert');
  const err = errorOf(() => parseExecutorArgs(['--master', 'nats://h:1', '--tls-cert', join(dir, 'cert.pem')], {}));
  t.match(err.message, /^--tls-cert: needs --tls-key/);
});
