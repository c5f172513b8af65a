/**
 * NKey authentication with real processes: a nats-server that knows only one user's public
 * NKey admits an executor process started with `--nkey-seed` and a driver-side client with
 * the seed file (`nkeySeedFile`), and refuses a client with another seed or none, with a clear
 * error; the server logs the refusal. `kindling cluster up --nkey` sets that up by itself: a new
 * user NKey, a server that admits only it, executors and the printed driver line that use it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { nkeys } from '@nats-io/transport-node';
import { findFreePort, findNatsServer } from '@kindling/cli';
import { NatsTransport, PROTOCOL_VERSION, subjects } from '@kindling/shared';
import { cliMain, repoRoot } from '../harness/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-nkey-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('nkey: the executor and a client with the seed are admitted; another seed and none are refused', async (t) => {
  const user = nkeys.createUser();
  const seedFile = join(scratch, 'user.nk');
  writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
  const otherFile = join(scratch, 'other.nk');
  writeFileSync(otherFile, new TextDecoder().decode(nkeys.createUser().getSeed()), { mode: 0o600 });
  const port = await findFreePort();
  const log = join(scratch, 'nats.log');
  writeFileSync(
    join(scratch, 'nats.conf'),
    `listen: 127.0.0.1:${port}\nlog_file: ${JSON.stringify(log)}\nauthorization { users: [ { nkey: ${user.getPublicKey()} } ] }\n`,
  );
  const server = spawn(findNatsServer(), ['-c', join(scratch, 'nats.conf')], { stdio: 'ignore' });
  t.teardown(() => void server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;

  const executor = spawn(
    process.execPath,
    [
      resolve(repoRoot, 'executor/dist/src/main.js'),
      '--master',
      url,
      '--id',
      'executor-nk',
      '--cores',
      '1',
      '--health-port',
      '0',
      '--nkey-seed',
      seedFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let executorLog = '';
  executor.stdout.on('data', (d: Buffer) => (executorLog += d.toString()));
  executor.stderr.on('data', (d: Buffer) => (executorLog += d.toString()));
  t.teardown(() => void executor.kill('SIGKILL'));

  const conn = { servers: url, prefix: 'kindling', name: 'nkey-driver', nkeySeedFile: seedFile, connectTimeoutMs: 3000 };
  let client: NatsTransport | undefined;
  for (let i = 0; i < 50 && !client; i++) {
    client = await NatsTransport.connect(conn).catch(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return undefined;
    });
  }
  t.ok(client, 'a client with the seed connects');
  try {
    let ids: string[] = [];
    for (let i = 0; i < 60 && ids.length === 0; i++) {
      const replies = await client!.requestMany(
        subjects('kindling').discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { timeoutMs: 300 },
      );
      ids = replies.flatMap((m) => (m.type === 'executor-heartbeat' ? [m.executorId] : []));
      // No subscriber yet answers at once: wait for the executor to start and connect.
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    t.same(
      ids,
      ['executor-nk'],
      `the executor authenticated with its NKey and serves${ids.length ? '' : `; its log: ${executorLog.slice(-1500)}`}`,
    );
  } finally {
    await client?.close();
  }
  await t.rejects(
    NatsTransport.connect({ ...conn, nkeySeedFile: otherFile }),
    { code: 'E_IO', message: /authorization violation: the server refused the credentials/ },
    'another seed: refused',
  );
  await t.rejects(
    NatsTransport.connect({ servers: url, prefix: 'kindling', name: 'anonymous', connectTimeoutMs: 3000 }),
    { code: 'E_IO', message: /authorization violation/ },
    'no credentials: refused',
  );
  await t.rejects(NatsTransport.connect({ ...conn, nkeySeedFile: join(scratch, 'missing.nk') }), {
    code: 'E_IO',
    message: /cannot read the NATS NKey seed file .*missing\.nk/,
  });
  t.match(readFileSync(log, 'utf8'), /Authorization Error|authentication error/i, 'the server logs the refusals');
});

function kindling(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliMain, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('nkey: cluster up --nkey admits its executors and the driver line it prints, and refuses a client without the seed', async (t) => {
  const dir = join(scratch, 'cluster');
  t.teardown(() => void kindling('cluster', 'down', '--dir', dir));
  const up = kindling('cluster', 'up', '--nkey', '--executors', '2', '--cores', '1', '--port', '0', '--dir', dir);
  t.equal(up.code, 0, `cluster up --nkey: ${up.stderr}`);
  t.match(up.stdout, /with 2 of 2 executor\(s\) registered/, 'both executors authenticated with the seed');
  const seed = join(dir, 'nkey', 'user.nk');
  const line = /submit with: kindling submit --master (nats:\/\/127\.0\.0\.1:\d+) --nats-nkey-seed (\S+) job\.yaml/.exec(up.stdout);
  t.ok(line, `the printed submit line names the seed: ${up.stdout}`);
  t.equal(line?.[2], seed);
  t.equal(statSync(seed).mode & 0o777, 0o600, 'the seed is readable by its owner only');
  // Compare against this seed's own text: a pattern such as /SU[A-Z0-9]{20,}/ also matches inside a random public key.
  const conf = readFileSync(join(dir, 'nats.conf'), 'utf8');
  const seedText = readFileSync(seed, 'utf8').trim();
  t.match(seedText, /^SU[A-Z2-7]{56}$/, 'user.nk holds a user seed');
  t.notOk(conf.includes(seedText), 'the server config does not hold the seed');
  t.match(conf, /nkey: "U[A-Z2-7]{55}"/, 'the server config holds a user public key');

  const listed = kindling('executors', '--master', line![1]!, '--nats-nkey-seed', seed);
  t.equal(listed.code, 0, `kindling executors with the seed: ${listed.stderr}`);
  t.match(listed.stdout, /executor-0[\s\S]*executor-1/, 'a driver command with the printed flag sees both executors');
  const anonymous = kindling('executors', '--master', line![1]!);
  t.not(anonymous.code, 0, 'without the seed the driver command fails');
  t.match(anonymous.stderr, /authorization violation/, 'and says the server refused it');
});

t.test('nkey: cluster nkey writes the seed and public key the nkey overlay Secret holds, and never replaces a seed', async (t) => {
  const dir = join(scratch, 'made');
  const made = kindling('cluster', 'nkey', '--dir', dir);
  t.equal(made.code, 0, `cluster nkey: ${made.stderr}`);
  const seed = readFileSync(join(dir, 'user.nk'), 'utf8').trim();
  const publicKey = readFileSync(join(dir, 'user.pub'), 'utf8').trim();
  t.match(seed, /^SU[A-Z2-7]{56}$/, 'user.nk is a user seed');
  t.equal(nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey(), publicKey, "user.pub is that seed's public key");
  t.equal(statSync(join(dir, 'user.nk')).mode & 0o777, 0o600, 'the seed is readable by its owner only');
  t.match(
    made.stdout,
    new RegExp(`kubectl -n kindling create secret generic kindling-nats-nkey --from-file=${dir}/user\\.nk --from-file=${dir}/user\\.pub`),
  );
  const again = kindling('cluster', 'nkey', '--dir', dir);
  t.equal(again.code, 1, 'a second run fails');
  t.match(again.stderr, /user\.nk exists: remove it first or choose another --dir/);
  t.equal(readFileSync(join(dir, 'user.nk'), 'utf8').trim(), seed, 'and the seed is unchanged');
});
