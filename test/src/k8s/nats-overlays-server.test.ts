/**
 * The NATS config each overlay renders (nats.conf with the auth.conf and tls.conf it includes,
 * from `kubectl kustomize`) run by a real nats-server, with the Secrets' values given as the
 * StatefulSet gives them (environment variables, files at the mounted paths): the server starts,
 * admits a client holding what the overlay's executors hold, and refuses every other client.
 * There is no Kubernetes here; this is the part of the deployment that can run for real.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { findFreePort, findNatsServer, makeClusterPki } from '@kindling/cli';
import { NatsTransport, createUserNKey, type NatsConnectionOptions } from '@kindling/shared';
import { repoRoot } from '../harness/paths.js';
import { renderKustomize } from './manifest-schema.js';

const TOKEN = 'overlay-test-token';

for (const overlay of ['minikube', 'tls', 'nkey', 'tls-nkey']) {
  t.test(`nats overlays: ${overlay}: a real nats-server runs its config and admits only the executors' credentials`, async (t) => {
    const objects = renderKustomize(resolve(repoRoot, `k8s/overlays/${overlay}`));
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kindling-nats-config');
    const data = config!['data'] as Record<string, string>;
    const dir = mkdtempSync(join(tmpdir(), `kindling-overlay-${overlay}-`));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const pki = makeClusterPki(join(dir, 'pki'));
    const user = await createUserNKey();
    const seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, user.seed, { mode: 0o600 });
    const [port, monitor] = [await findFreePort(), await findFreePort()];
    // The mounted paths become this machine's files; the ports free ones on loopback.
    const local = (text: string) =>
      text
        .replace(/\/etc\/nats\/tls\/tls\.crt/g, pki.serverCert)
        .replace(/\/etc\/nats\/tls\/tls\.key/g, pki.serverKey)
        .replace(/\/etc\/nats\/tls\/ca\.crt/g, pki.caFile)
        .replace(/^port: 4222$/m, `listen: 127.0.0.1:${port}`)
        .replace(/^http_port: 8222$/m, `http: 127.0.0.1:${monitor}`);
    const confDir = join(dir, 'etc-nats');
    mkdirSync(confDir);
    for (const [key, text] of Object.entries(data)) writeFileSync(join(confDir, key), local(text));
    const server = spawn(findNatsServer(), ['-c', join(confDir, 'nats.conf'), '-js', '-sd', join(dir, 'js')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, POD_NAME: 'kindling-nats-0', NATS_TOKEN: TOKEN, NATS_USER_NKEY: user.publicKey },
    });
    let stderr = '';
    server.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
    t.teardown(() => void server.kill('SIGKILL'));

    const tls = overlay.includes('tls');
    const nkey = overlay.includes('nkey');
    const base: NatsConnectionOptions = { servers: `nats://127.0.0.1:${port}`, name: 'overlay-probe', connectTimeoutMs: 3000 };
    const cert = { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey };
    const executor: NatsConnectionOptions = {
      ...base,
      ...(nkey ? { nkeySeedFile: seedFile } : { token: TOKEN }),
      ...(tls && { tls: cert }),
    };

    let ok: NatsTransport | undefined;
    for (let i = 0; i < 50 && !ok && server.exitCode === null; i++) {
      ok = await NatsTransport.connect(executor).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    t.ok(ok, `a client with the executors' credentials connects${ok ? '' : `; nats-server said: ${stderr}`}`);
    await ok?.close();

    const refused: Array<[string, NatsConnectionOptions]> = [
      ['no credentials', { ...base, ...(tls && { tls: cert }) }],
      ['a wrong token', { ...base, token: 'not-the-token', ...(tls && { tls: cert }) }],
    ];
    if (nkey) {
      // The token of the base is not accepted once the NKey replaces it.
      refused.push(['the base token', { ...base, token: TOKEN, ...(tls && { tls: cert }) }]);
      const other = join(dir, 'other.nk');
      writeFileSync(other, (await createUserNKey()).seed, { mode: 0o600 });
      refused.push(['another NKey', { ...base, nkeySeedFile: other, ...(tls && { tls: cert }) }]);
    }
    if (tls) {
      refused.push(['plaintext', { ...base, ...(nkey ? { nkeySeedFile: seedFile } : { token: TOKEN }) }]);
      refused.push(['TLS without a client certificate', { ...executor, tls: { caFile: pki.caFile } }]);
    }
    for (const [what, opts] of refused) await t.rejects(NatsTransport.connect(opts), { code: 'E_IO' }, `${what}: refused`);
  });
}
