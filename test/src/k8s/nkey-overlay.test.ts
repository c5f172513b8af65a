/**
 * The k8s/overlays/nkey overlay and a cluster-mode driver given its Secret: executors and the
 * driver pod sign with the seed of Secret kindling-nats-nkey (key user.nk, mounted alone,
 * read-only, readable by the non-root user) and carry no token. manifests.test.ts checks the
 * server side and validates every object; nats-overlays-server.test.ts runs the server's config.
 */
import { resolve } from 'node:path';
import t from 'tap';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { DRIVER_NKEY_DIR, KINDLING_RESOURCES, driverJobManifest } from '@kindling/coordinator/k8s';
import { repoRoot } from '../harness/paths.js';
import { renderKustomize, validateObject, type KubeObject } from './manifest-schema.js';

const objects = renderKustomize(resolve(repoRoot, 'k8s/overlays/nkey'));
const podOf = (o: KubeObject): IPodSpec => (o as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;

/** The folder the NKey Secret is mounted at in container `c`, checking how it is mounted. */
function seedMount(spec: IPodSpec, c: IContainer): string {
  const volume = spec.volumes?.find((v) => v.secret?.secretName === KINDLING_RESOURCES.natsNkeySecret);
  if (!volume) throw new Error('no volume of the NKey Secret');
  t.same(
    volume.secret!.items,
    [{ key: KINDLING_RESOURCES.natsNkeySeedKey, path: KINDLING_RESOURCES.natsNkeySeedKey }],
    'only the seed is mounted',
  );
  t.ok(((volume.secret!.defaultMode ?? 0o644) & 0o040) !== 0, `group-readable (fsGroup ${spec.securityContext?.fsGroup})`);
  t.equal((volume.secret!.defaultMode ?? 0o644) & 0o007, 0, 'not readable by others');
  const mount = c.volumeMounts?.find((m) => m.name === volume.name);
  t.equal(mount?.readOnly, true, 'mounted read-only');
  return mount!.mountPath;
}

t.test('nkey overlay: executors sign with the mounted seed and carry no token', async (t) => {
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === KINDLING_RESOURCES.executorStatefulSet)!;
  const spec = podOf(sts);
  const c = spec.containers.find((x) => x.name === 'executor')!;
  const dir = seedMount(spec, c);
  t.equal(c.env?.find((e) => e.name === 'KINDLING_NATS_NKEY_SEED')?.value, `${dir}/${KINDLING_RESOURCES.natsNkeySeedKey}`);
  t.notOk(
    c.env?.some((e) => e.name === 'KINDLING_NATS_TOKEN'),
    'no token',
  );
  t.notOk(
    objects.some((o) => o.kind === 'Secret' && o.metadata.name === KINDLING_RESOURCES.natsSecret),
    "the base's example token Secret is not applied",
  );
});

t.test('nkey overlay: a cluster-mode driver Job given the NKey Secret signs with its seed like the executors', async (t) => {
  const { job } = driverJobManifest({
    namespace: 'kindling',
    jobName: 'kindling-bank-lr-nkey1',
    jobYaml: 'name: bank-lr\n',
    image: 'kindling:dev',
    natsNkeySecret: KINDLING_RESOURCES.natsNkeySecret,
  });
  t.doesNotThrow(() => validateObject(job as unknown as KubeObject), 'the Job passes the Kubernetes schema');
  const spec = podOf(job as unknown as KubeObject);
  const c = spec.containers[0]!;
  const dir = seedMount(spec, c);
  t.equal(dir, DRIVER_NKEY_DIR);
  t.notOk(
    c.volumeMounts?.some((m) => m.mountPath !== dir && dir.startsWith(`${m.mountPath}/`)),
    'not inside another mount (the job file is a read-only ConfigMap volume)',
  );
  t.equal(c.env?.find((e) => e.name === 'KINDLING_NATS_NKEY_SEED')?.value, `${dir}/${KINDLING_RESOURCES.natsNkeySeedKey}`);
  t.notOk(
    c.env?.some((e) => e.name === 'KINDLING_NATS_TOKEN'),
    'no token',
  );

  const plain = driverJobManifest({ namespace: 'kindling', jobName: 'j', jobYaml: 'x', image: 'i' });
  t.ok(
    podOf(plain.job as unknown as KubeObject).containers[0]!.env?.some((e) => e.name === 'KINDLING_NATS_TOKEN'),
    'without it the driver uses the token, as before',
  );
  t.throws(() => driverJobManifest({ namespace: 'kindling', jobName: 'j', jobYaml: 'x', image: 'i', natsNkeySecret: 'NKey' }), {
    code: 'E_INVALID_VALUE',
    message: /natsNkeySecret: "NKey" is not a DNS-1123 subdomain/,
  });
  t.throws(
    () => driverJobManifest({ namespace: 'kindling', jobName: 'j', jobYaml: 'x', image: 'i', natsNkeySecret: 'a', natsSecret: 'b' }),
    { code: 'E_INVALID_VALUE', message: /natsSecret: and natsNkeySecret both choose how the driver authenticates/ },
  );
});
