/**
 * Encryption and identity end to end, with real processes: `kindling cluster up --mtls` makes a
 * CA and certificates, starts nats-server with TLS and client verification, and executors that
 * use them; a driver with the CA and the client pair runs the bank job bit-identical to local
 * mode; a plaintext client and a TLS client without a certificate are refused with a clear
 * error, and the server logs the refusal. `--tls` alone admits a TLS client without a
 * certificate and still refuses plaintext.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { NatsTransport, PROTOCOL_VERSION, subjects, type NatsConnectionOptions } from '@kindling/shared';
import { bankJob, cliMain } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-tls-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

interface State {
  readonly url: string;
  readonly prefix: string;
  readonly nats: { readonly log: string };
  readonly tls?: { readonly mode: string; readonly caFile: string; readonly certFile?: string; readonly keyFile?: string };
}

function kindling(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliMain, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function clusterUp(t: Tap, name: string, mode: '--tls' | '--mtls'): State {
  const dir = join(scratch, name);
  t.teardown(() => void kindling('cluster', 'down', '--dir', dir));
  const up = kindling('cluster', 'up', mode, '--executors', '2', '--cores', '1', '--port', '0', '--dir', dir);
  t.equal(up.code, 0, `cluster up ${mode}: ${up.stderr}`);
  t.match(up.stdout, /with 2 of 2 executor\(s\) registered/);
  t.match(up.stdout, /submit with: kindling submit --master nats:\/\/127\.0\.0\.1:\d+ --nats-tls-ca \S+ca\.pem/);
  return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as State;
}

async function connectError(conn: NatsConnectionOptions): Promise<Error | undefined> {
  try {
    const tr = await NatsTransport.connect({ ...conn, connectTimeoutMs: 3000 });
    await tr.close();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function bits(r: JobResult): Buffer {
  return Buffer.from(r.coefficients.buffer, r.coefficients.byteOffset, r.coefficients.byteLength);
}
type Tap = import('tap').Test;

t.test(
  'tls: cluster up --mtls runs the bank job bit-identical to local mode and refuses clients without TLS or a certificate',
  async (t) => {
    const state = clusterUp(t, 'mtls', '--mtls');
    t.equal(state.tls?.mode, 'mtls');
    const base = { servers: state.url, prefix: state.prefix };
    const tls = { caFile: state.tls!.caFile, certFile: state.tls!.certFile!, keyFile: state.tls!.keyFile! };

    const local = await runLocal(await parseJobSpecFile(bankJob, { output: join(scratch, 'local') }), 2);
    const remote = await runOnCluster(await parseJobSpecFile(bankJob, { output: join(scratch, 'mtls-out') }), {
      ...base,
      name: 'driver-mtls',
      tls,
    });
    t.same(bits(remote), bits(local), 'coefficients bit-identical over mutual TLS');
    t.same(remote.metrics, local.metrics, 'metrics identical');

    const plain = await connectError({ ...base, name: 'plaintext' });
    t.match(
      plain,
      {
        code: 'E_IO',
        message:
          /cannot connect to NATS .*the server requires TLS with a certificate this client does not trust; give its CA: --nats-tls-ca/,
      },
      'a plaintext client is refused, told to give the CA',
    );
    const noCert = await connectError({ ...base, name: 'no-client-cert', tls: { caFile: tls.caFile } });
    t.match(
      noCert,
      { code: 'E_IO', message: /if the server requires client certificates, set tls.certFile and tls.keyFile/ },
      'a TLS client without a certificate is refused',
    );
    t.match(
      readFileSync(state.nats.log, 'utf8'),
      /TLS handshake error: tls: client didn't provide a certificate/,
      'the server logs the refusal',
    );

    const cli = kindling('executors', '--master', state.url);
    t.equal(cli.code, 1, 'kindling executors without the CA fails');
    t.match(
      cli.stderr,
      /^kindling: error: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*give its CA: --nats-tls-ca .*\[E_IO\]\n$/,
    );
    const ok = kindling(
      'executors',
      '--master',
      state.url,
      '--nats-tls-ca',
      tls.caFile,
      '--nats-tls-cert',
      tls.certFile,
      '--nats-tls-key',
      tls.keyFile,
    );
    t.equal(ok.code, 0, 'kindling executors with the client pair lists them');
    t.match(ok.stdout, /executor-0\s+active[\s\S]*executor-1\s+active/);
  },
);

t.test('tls: cluster up --tls admits a TLS client without a certificate, refuses plaintext', async (t) => {
  const state = clusterUp(t, 'tls', '--tls');
  t.equal(state.tls?.mode, 'tls');
  t.equal(state.tls?.certFile, undefined, 'no client certificate handed out');
  const base = { servers: state.url, prefix: state.prefix, name: 'probe' };
  t.match(await connectError(base), { code: 'E_IO', message: /requires TLS/ }, 'plaintext refused');
  const tr = await NatsTransport.connect({ ...base, tls: { caFile: state.tls!.caFile } });
  try {
    const replies = await tr.requestMany(
      subjects(state.prefix).discover,
      { type: 'discover-executors', version: PROTOCOL_VERSION },
      { timeoutMs: 500 },
    );
    t.equal(replies.filter((m) => m.type === 'executor-heartbeat').length, 2, 'both executors answer over TLS');
  } finally {
    await tr.close();
  }
});
