import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KindlingError, NatsTransport, PROTOCOL_VERSION, type NatsConnectionOptions, type TransportLogger } from '@kindling/shared';
import { NatsServerProcess, findFreePort, findNatsServer } from '../../src/cluster/nats-server-process.js';
import { makeTestPki } from './test-pki.js';

const v = PROTOCOL_VERSION;
// The connection errors under test are thrown; nothing here reads the transports' log lines.
const log: TransportLogger = { warn() {}, info() {} };

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    const r = await p;
    if (r instanceof NatsTransport) await r.close();
    return undefined;
  } catch (err) {
    return err instanceof KindlingError ? { code: err.code, message: err.message } : { code: 'not a KindlingError', message: String(err) };
  }
}

/** Connects, checks a request/reply round trip on the connection, closes. */
async function roundTrip(opts: NatsConnectionOptions): Promise<boolean> {
  const tr = await NatsTransport.connect(opts, log);
  try {
    tr.subscribe('test.ping', async (_m, reply) => {
      await reply?.({ type: 'ack', version: v, ok: true });
    });
    await tr.flush();
    const r = await tr.request('test.ping', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 5_000 });
    return r.ok;
  } finally {
    await tr.close();
  }
}

t.test('nats-server-process: the binary is found, and a missing one names the install command', async (t) => {
  t.ok(findNatsServer().endsWith('/nats-server'), 'found on this machine (apt-get install -y nats-server)');
  const e = await errorOf(NatsServerProcess.start({ binary: '/nonexistent/nats-server' }));
  t.equal(e?.code, 'E_IO');
  t.match(e?.message, /^nats-server not found; install it with: apt-get install -y nats-server/);
});

t.test('nats-server-process: starts on a free loopback port with the configured max_payload, and stop() cleans up', async (t) => {
  const store = mkdtempSync(join(tmpdir(), 'kindling-js-test-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const port = await findFreePort();
  const srv = await NatsServerProcess.start({ port, maxPayload: 8 * 1024 * 1024, storeDir: store });
  t.equal(srv.port, port);
  t.equal(srv.url, `nats://127.0.0.1:${port}`);
  const pid = srv.pid;
  t.ok(pid !== undefined && pid > 0, 'has a pid');
  const tr = await NatsTransport.connect({ servers: srv.url }, log);
  t.equal(tr.maxPayload, 8 * 1024 * 1024);
  await tr.close();
  t.ok(existsSync(join(store, 'jetstream')), 'JetStream uses the given store dir');
  await srv.stop();
  t.equal(srv.pid, undefined, 'no pid once stopped');
  t.throws(() => process.kill(pid!, 0), 'the process is gone');
  t.ok(existsSync(store), 'a caller-owned store dir is kept');
  t.strictSame(await errorOf(NatsTransport.connect({ servers: srv.url }, log)), {
    code: 'E_IO',
    message: `cannot connect to NATS at ${srv.url}: connection refused (connect ECONNREFUSED 127.0.0.1:${port})`,
  });
});

t.test('nats-server-process: a port in use is reported with the server log', async (t) => {
  const srv = await NatsServerProcess.start({ jetstream: false });
  t.teardown(() => srv.stop());
  const e = await errorOf(NatsServerProcess.start({ port: srv.port, jetstream: false }));
  t.equal(e?.code, 'E_IO');
  t.match(e?.message, /nats-server exited at start[\s\S]*address already in use/);
});

t.test('nats-server-process: user/password auth refuses wrong credentials and accepts the right ones', async (t) => {
  const pass = 'p"a$s\\w{rd}';
  const srv = await NatsServerProcess.start({ jetstream: false, auth: { user: 'kindling', pass } });
  t.teardown(() => srv.stop());
  const refused = 'authorization violation: the server refused the credentials (check user/pass or token)';
  t.strictSame(await errorOf(NatsTransport.connect({ servers: srv.url, user: 'kindling', pass: 'wrong' }, log)), {
    code: 'E_IO',
    message: `cannot connect to NATS at ${srv.url}: ${refused}`,
  });
  t.equal(
    (await errorOf(NatsTransport.connect({ servers: srv.url }, log)))?.message,
    `cannot connect to NATS at ${srv.url}: ${refused}`,
    'none',
  );
  t.equal(await roundTrip({ servers: srv.url, user: 'kindling', pass }), true);
});

t.test('nats-server-process: token auth refuses a wrong token and accepts the right one', async (t) => {
  const srv = await NatsServerProcess.start({ jetstream: false, auth: { token: 's3cr3t-t0ken' } });
  t.teardown(() => srv.stop());
  t.match(await errorOf(NatsTransport.connect({ servers: srv.url, token: 'nope' }, log)), {
    code: 'E_IO',
    message: /authorization violation/,
  });
  t.equal(await roundTrip({ servers: srv.url, token: 's3cr3t-t0ken' }), true);
});

t.test('nats-server-process: TLS connects with the right CA and fails with another', async (t) => {
  const dir = t.testdir({});
  const pki = makeTestPki(dir);
  const srv = await NatsServerProcess.start({ jetstream: false, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
  t.teardown(() => srv.stop());
  t.equal(await roundTrip({ servers: srv.url, tls: { caFile: pki.caFile } }), true);
  const wrong = await errorOf(NatsTransport.connect({ servers: srv.url, tls: { caFile: pki.otherCaFile } }, log));
  t.equal(wrong?.code, 'E_IO');
  t.match(wrong?.message, new RegExp(`^cannot connect to NATS at ${srv.url}: .*(certificate|verify)`));
  const missing = await errorOf(NatsTransport.connect({ servers: srv.url, tls: { caFile: join(dir, 'nope.pem') } }, log));
  t.match(missing, { code: 'E_IO', message: new RegExp(`^cannot read the NATS TLS CA file ${join(dir, 'nope.pem')}`) });
});

t.test('nats-server-process: mutual TLS requires a client certificate signed by the CA', async (t) => {
  const dir = t.testdir({});
  const pki = makeTestPki(dir);
  t.ok(readFileSync(pki.clientCert, 'utf8').includes('BEGIN CERTIFICATE'), 'client certificate made');
  const srv = await NatsServerProcess.start({
    jetstream: false,
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caFile, verify: true },
  });
  t.teardown(() => srv.stop());
  t.equal(await roundTrip({ servers: srv.url, tls: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey } }), true);
  const noCert = await errorOf(NatsTransport.connect({ servers: srv.url, tls: { caFile: pki.caFile }, connectTimeoutMs: 1_000 }, log));
  t.equal(noCert?.code, 'E_IO', 'refused without a client certificate');
  t.match(noCert?.message, /set tls\.certFile and tls\.keyFile/, 'with a hint');
});
