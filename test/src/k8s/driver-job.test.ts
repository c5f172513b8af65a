// No Kubernetes cluster or API server runs on the build machine: the driver Job that
// `kindling submit --deploy-mode cluster` creates is built by driverJobManifest (pure) and
// validated here against the Kubernetes schema (kubernetes-models), the "restricted" Pod
// Security profile, and the objects k8s/base defines (rendered with kubectl kustomize).
import { resolve } from 'node:path';
import t from 'tap';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import {
  DRIVER_JOB_FILE,
  DRIVER_METRICS_PORT,
  DRIVER_UI_PORT,
  KINDLING_RESOURCES,
  KINDLING_UID,
  PART_OF_LABEL,
  clusterJobName,
  driverJobManifest,
  withOwnerReference,
} from '@kindling/coordinator/k8s';
import { repoRoot } from '../harness/paths.js';
import { renderKustomize, validateObject, type KubeObject } from './manifest-schema.js';
import { restrictedPodViolations } from './pod-security.js';

const JOB_YAML = 'name: bank-lr\ninput:\n  path: /app/examples/data/bank.csv\n  header: true\n';

function build(extra: Partial<Parameters<typeof driverJobManifest>[0]> = {}): { job: IJob; configMap: IConfigMap; service: IService } {
  const { job, configMap, service } = driverJobManifest({
    namespace: 'kindling',
    jobName: 'kindling-bank-lr-m3x1',
    jobYaml: JOB_YAML,
    image: 'kindling:dev',
    ...extra,
  });
  return { job: job as unknown as IJob, configMap: configMap as unknown as IConfigMap, service: service as unknown as IService };
}

t.test('driver-job: the Job and ConfigMap pass the Kubernetes schema', async (t) => {
  for (const variant of [
    build(),
    build({
      dataClaim: 'kindling-data',
      outputClaim: 'kindling-out',
      imagePullPolicy: 'Never',
      activeDeadlineSeconds: 3600,
      args: ['--conf', 'model.maxIter=5'],
    }),
  ]) {
    t.doesNotThrow(() => validateObject(variant.job as unknown as KubeObject), 'Job');
    t.doesNotThrow(() => validateObject(variant.configMap as unknown as KubeObject), 'ConfigMap');
    t.doesNotThrow(() => validateObject(variant.service as unknown as KubeObject), 'Service');
  }
  const owned = withOwnerReference(build().configMap as unknown as Parameters<typeof withOwnerReference>[0], {
    metadata: { name: 'kindling-bank-lr-m3x1', uid: '6f1c-42' },
  });
  t.doesNotThrow(() => validateObject(owned as unknown as KubeObject), 'ConfigMap with its owner reference');
  t.same(owned.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'kindling-bank-lr-m3x1', uid: '6f1c-42' }]);
});

t.test('driver-job: the driver runs kindling submit on the mounted job file, once', async (t) => {
  const { job, configMap } = build({ args: ['--conf', 'model.maxIter=5'] });
  const spec = job.spec!;
  t.equal(spec.backoffLimit, 0, 'a failed driver is not re-run');
  t.ok((spec.ttlSecondsAfterFinished ?? 0) > 0, 'finished Jobs are cleaned up');
  const pod = spec.template.spec!;
  t.equal(pod.restartPolicy, 'Never');
  t.equal(pod.serviceAccountName, KINDLING_RESOURCES.driverServiceAccount);
  const c = pod.containers[0]!;
  t.same(c.args?.slice(0, 3), ['submit', '--master', '$(KINDLING_MASTER)']);
  t.equal(c.args?.at(-1), DRIVER_JOB_FILE);
  t.ok(c.args?.includes('model.maxIter=5'), 'extra flags are passed through');
  t.same(
    c.env?.find((e) => e.name === 'KINDLING_MASTER')?.valueFrom,
    { configMapKeyRef: { name: KINDLING_RESOURCES.configMap, key: 'KINDLING_MASTER' } },
    '$(KINDLING_MASTER) is a declared variable, so Kubernetes expands it',
  );
  t.same(c.env?.find((e) => e.name === 'KINDLING_NATS_TOKEN')?.valueFrom, {
    secretKeyRef: { name: KINDLING_RESOURCES.natsSecret, key: KINDLING_RESOURCES.natsSecretTokenKey },
  });
  const mount = c.volumeMounts?.find((m) => DRIVER_JOB_FILE.startsWith(`${m.mountPath}/`));
  t.equal(mount?.readOnly, true, 'the job file is mounted read-only');
  t.same(pod.volumes?.find((v) => v.name === mount?.name)?.configMap?.name, configMap.metadata?.name);
  t.equal(configMap.data?.['job.yaml'], JOB_YAML);
  t.ok(c.resources?.requests?.['cpu'] && c.resources?.limits?.['memory'], 'requests and limits');
});

t.test('driver-job: the driver pod meets the "restricted" Pod Security profile', async (t) => {
  for (const { job } of [build(), build({ dataClaim: 'kindling-data', outputClaim: 'kindling-out' })]) {
    const pod = job.spec!.template.spec!;
    t.same(restrictedPodViolations('driver Job', pod), []);
    t.equal(pod.securityContext?.runAsUser, KINDLING_UID);
    const c = pod.containers[0]!;
    for (const path of ['/tmp', '/out'])
      t.ok(
        c.volumeMounts?.some((m) => m.mountPath === path && !m.readOnly),
        `${path} is writable on a read-only root filesystem`,
      );
  }
});

t.test('driver-job: the driver fits the objects and policies of k8s/base', async (t) => {
  const base = renderKustomize(resolve(repoRoot, 'k8s/base'));
  const names = new Set(base.map((o) => `${o.kind}/${o.metadata.name}`));
  const { job } = build();
  const pod = job.spec!.template.spec!;
  t.ok(names.has(`ServiceAccount/${pod.serviceAccountName}`), 'its service account exists');
  for (const e of pod.containers[0]!.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef?.name;
    const secret = e.valueFrom?.secretKeyRef?.name;
    if (cm) t.ok(names.has(`ConfigMap/${cm}`), `${e.name} comes from ConfigMap ${cm}`);
    if (secret) t.ok(names.has(`Secret/${secret}`), `${e.name} comes from Secret ${secret}`);
  }
  const labels = job.spec!.template.metadata?.labels ?? {};
  t.match(labels, PART_OF_LABEL, 'part-of=kindling, so the NATS NetworkPolicy admits the driver');
  const policy = base.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'kindling-driver') as unknown as INetworkPolicy;
  const selector = policy.spec?.podSelector.matchLabels ?? {};
  t.ok(
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v),
    'NetworkPolicy kindling-driver selects the driver pod',
  );
});

t.test('driver-job: Prometheus finds the driver pod and a Service fronts its UI and metrics', async (t) => {
  const { job, service } = build();
  const template = job.spec!.template;
  t.same(
    template.metadata?.annotations,
    { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(DRIVER_METRICS_PORT), 'prometheus.io/path': '/metrics' },
    'the conventional scrape annotations',
  );
  const c = template.spec!.containers[0]!;
  const args = c.args ?? [];
  t.equal(args[args.indexOf('--metrics-port') + 1], String(DRIVER_METRICS_PORT), 'the driver serves /metrics on the annotated port');
  t.equal(args[args.indexOf('--metrics-host') + 1], '0.0.0.0', 'on the pod IP, where Prometheus scrapes');
  t.same(c.ports, [
    { name: 'ui', containerPort: DRIVER_UI_PORT },
    { name: 'metrics', containerPort: DRIVER_METRICS_PORT },
  ]);
  t.equal(service.metadata?.name, job.metadata?.name, 'the Service is named like the Job');
  t.equal(service.spec?.type, 'ClusterIP');
  const labels = template.metadata?.labels ?? {};
  const selector = service.spec?.selector ?? {};
  t.ok(
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v),
    'the Service selects the driver pod',
  );
  t.equal(selector['app.kubernetes.io/instance'], job.metadata?.name, "and only this Job's driver");
  for (const p of service.spec?.ports ?? []) {
    t.ok(
      c.ports?.some((cp) => cp.name === p.targetPort),
      `Service port ${p.name} targets a named container port`,
    );
  }
  t.same(
    service.spec?.ports?.map((p) => [p.name, p.port]),
    [
      ['ui', DRIVER_UI_PORT],
      ['metrics', DRIVER_METRICS_PORT],
    ],
  );
  const owned = withOwnerReference(service as unknown as Parameters<typeof withOwnerReference>[0], {
    metadata: { name: 'kindling-bank-lr-m3x1', uid: '6f1c-42' },
  });
  t.equal(owned.metadata?.ownerReferences?.[0]?.kind, 'Job');
  t.doesNotThrow(() => validateObject(owned as unknown as KubeObject), 'Service with its owner reference');
});

t.test('driver-job: invalid names and empty specs are rejected with the field', async (t) => {
  t.throws(() => build({ jobName: 'Bank LR' }), { code: 'E_INVALID_VALUE', message: /jobName: "Bank LR" is not a DNS-1123 label/ });
  t.throws(() => build({ jobName: 'x'.repeat(64) }), { message: /jobName/ });
  t.throws(() => build({ jobYaml: '  \n' }), { message: /jobYaml: is empty/ });
  t.throws(() => build({ image: '' }), { message: /image: is empty/ });
  t.throws(() => build({ jobYaml: 'x'.repeat(1024 * 1024) }), { message: /larger than a ConfigMap/ });
});

t.test('driver-job: clusterJobName makes a valid, stable Job name from any job name', async (t) => {
  const now = Date.UTC(2025, 0, 1);
  t.equal(clusterJobName('bank-lr', now), `kindling-bank-lr-${now.toString(36)}`);
  t.equal(clusterJobName('Bank_LR v2!', now), `kindling-bank-lr-v2-${now.toString(36)}`);
  const long = clusterJobName('a'.repeat(100), now);
  t.ok(long.length <= 63);
  t.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  t.equal(clusterJobName('___', now), `kindling-${now.toString(36)}`);
  t.doesNotThrow(() => build({ jobName: long }));
});
