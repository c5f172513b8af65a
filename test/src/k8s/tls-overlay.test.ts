/**
 * The k8s/overlays/tls overlay, rendered with the real `kubectl kustomize` (manifests.test.ts
 * validates every object of it against the Kubernetes schema, like every overlay): nats-server
 * requires TLS and client certificates from Secret kindling-nats-tls, executors present the
 * client pair of Secret kindling-client-tls, both in cert-manager's layout (tls.crt, tls.key,
 * ca.crt), readable by the pods' non-root user; and the TLS block the overlay writes is one a
 * real nats-server starts with and enforces.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { findFreePort, findNatsServer, makeClusterPki } from '@kindling/cli';
import { DRIVER_TLS_DIR, driverJobManifest } from '@kindling/coordinator/k8s';
import { NatsTransport } from '@kindling/shared';
import { repoRoot } from '../harness/paths.js';
import { renderKustomize, validateObject, type KubeObject } from './manifest-schema.js';

const objects = renderKustomize(resolve(repoRoot, 'k8s/overlays/tls'));
const get = (kind: string, name: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const pod = (name: string): IPodSpec =>
  (get('StatefulSet', name) as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
const natsData = get('ConfigMap', 'kindling-nats-config')['data'] as Record<string, string>;
/** The TLS settings nats.conf includes (k8s/components/tls writes them). */
const tlsConf = natsData['tls.conf']!;

function secretMount(spec: IPodSpec, c: IContainer, secretName: string): string {
  const volume = spec.volumes?.find((v) => v.secret?.secretName === secretName);
  if (!volume) throw new Error(`no volume of Secret ${secretName}`);
  const mount = c.volumeMounts?.find((m) => m.name === volume.name);
  if (!mount) throw new Error(`Secret ${secretName} not mounted`);
  t.ok(((volume.secret!.defaultMode ?? 0o644) & 0o040) !== 0, `${secretName}: group-readable (fsGroup ${spec.securityContext?.fsGroup})`);
  t.equal(mount.readOnly, true, `${secretName}: mounted read-only`);
  return mount.mountPath;
}

t.test('tls overlay: nats-server requires TLS and verifies client certificates from Secret kindling-nats-tls', async (t) => {
  const spec = pod('kindling-nats');
  const dir = secretMount(
    spec,
    spec.containers.find((c) => c.name === 'nats')!,
    'kindling-nats-tls',
  );
  t.match(natsData['nats.conf'], /include \.\/tls\.conf/, 'nats.conf includes them');
  t.match(
    tlsConf,
    new RegExp(`tls \\{[^}]*cert_file: ${dir}/tls\\.crt[^}]*key_file: ${dir}/tls\\.key[^}]*ca_file: ${dir}/ca\\.crt[^}]*verify: true`),
  );
  t.match(natsData['auth.conf'], /authorization \{\s*token: \$NATS_TOKEN/, 'the token is still required as well');
});

t.test('tls overlay: executors present the client pair of Secret kindling-client-tls', async (t) => {
  const spec = pod('kindling-executor');
  const c = spec.containers.find((x) => x.name === 'executor')!;
  const dir = secretMount(spec, c, 'kindling-client-tls');
  const env = (n: string) => c.env?.find((e) => e.name === n)?.value;
  t.equal(env('KINDLING_NATS_TLS_CA'), `${dir}/ca.crt`);
  t.equal(env('KINDLING_NATS_TLS_CERT'), `${dir}/tls.crt`);
  t.equal(env('KINDLING_NATS_TLS_KEY'), `${dir}/tls.key`);
});

t.test('tls overlay: a cluster-mode driver Job given Secret kindling-client-tls presents it like the executors', async (t) => {
  const { job } = driverJobManifest({
    namespace: 'kindling',
    jobName: 'kindling-bank-lr-tls1',
    jobYaml: 'name: bank-lr\n',
    image: 'kindling:dev',
    natsTlsSecret: 'kindling-client-tls',
  });
  t.doesNotThrow(() => validateObject(job as unknown as KubeObject), 'the Job passes the Kubernetes schema');
  const spec = (job as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
  const c = spec.containers[0]!;
  const dir = secretMount(spec, c, 'kindling-client-tls');
  t.equal(dir, DRIVER_TLS_DIR);
  t.notOk(
    c.volumeMounts?.some((m) => m.mountPath !== dir && dir.startsWith(`${m.mountPath}/`)),
    'not inside another mount (the job file is a read-only ConfigMap volume)',
  );
  const executor = pod('kindling-executor').containers.find((x) => x.name === 'executor')!;
  for (const [name, file] of [
    ['KINDLING_NATS_TLS_CA', 'ca.crt'],
    ['KINDLING_NATS_TLS_CERT', 'tls.crt'],
    ['KINDLING_NATS_TLS_KEY', 'tls.key'],
  ] as const) {
    t.equal(c.env?.find((e) => e.name === name)?.value, `${dir}/${file}`, `${name} names the mounted ${file}`);
    t.ok(executor.env?.find((e) => e.name === name)?.value?.endsWith(`/${file}`), `the executors read the same key of the Secret`);
  }
  t.throws(() => driverJobManifest({ namespace: 'kindling', jobName: 'j', jobYaml: 'x', image: 'i', natsTlsSecret: 'Bad_Name' }), {
    code: 'E_INVALID_VALUE',
    message: /natsTlsSecret: "Bad_Name" is not a DNS-1123 subdomain/,
  });
});

t.test('tls overlay: its tls block, with real files, makes a real nats-server refuse clients without a certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-tls-overlay-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeClusterPki(join(dir, 'pki'));
  const block = /tls \{[^}]*\}/
    .exec(tlsConf)![0]
    .replace(/\/etc\/nats\/tls\/tls\.crt/, pki.serverCert)
    .replace(/\/etc\/nats\/tls\/tls\.key/, pki.serverKey)
    .replace(/\/etc\/nats\/tls\/ca\.crt/, pki.caFile);
  const port = await findFreePort();
  writeFileSync(join(dir, 'nats.conf'), `listen: 127.0.0.1:${port}\n${block}\n`);
  const server = spawn(findNatsServer(), ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
  t.teardown(() => void server.kill('SIGKILL'));
  const conn = { servers: `nats://127.0.0.1:${port}`, prefix: 'kindling', name: 'overlay-probe', connectTimeoutMs: 3000 };
  let ok: NatsTransport | undefined;
  for (let i = 0; i < 50 && !ok; i++) {
    ok = await NatsTransport.connect({ ...conn, tls: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey } }).catch(
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      },
    );
  }
  t.ok(ok, 'a client with the CA and a client certificate connects');
  await ok?.close();
  await t.rejects(
    NatsTransport.connect({ ...conn, tls: { caFile: pki.caFile } }),
    { code: 'E_IO' },
    'without a client certificate: refused',
  );
  await t.rejects(NatsTransport.connect(conn), { code: 'E_IO', message: /requires TLS/ }, 'plaintext: refused');
});
