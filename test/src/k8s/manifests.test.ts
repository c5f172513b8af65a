// What these tests can and cannot show: there is NO Kubernetes cluster, API server or Docker
// engine on the build machine. The manifests are rendered with the real `kubectl kustomize`,
// every object is validated against the Kubernetes schema (kubernetes-models), and the
// properties Kindling relies on are asserted, so a careless edit fails here. Whether the
// pods actually start is not tested (docs/kubernetes.md, "What was validated here, and how").
import { chmodSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import type { IContainer, IPodSpec, IProbe, IService } from 'kubernetes-models/v1';
import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IRole, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  DRIVER_METRICS_PORT,
  DRIVER_UI_PORT,
  EXECUTOR_GRACE_MS,
  EXECUTOR_HEALTH_PORT,
  EXECUTOR_LABELS,
  KINDLING_RESOURCES,
  KINDLING_UID,
  NATS_CLIENT_PORT,
  NATS_LABELS,
  PART_OF_LABEL,
  cpuMillicores,
  memoryBytes,
} from '@kindling/coordinator/k8s';
import { repoRoot } from '../harness/paths.js';
import { renderKustomize, validateObject, type KubeObject } from './manifest-schema.js';
import { restrictedPodViolations } from './pod-security.js';

const OVERLAYS = readdirSync(resolve(repoRoot, 'k8s/overlays'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const RENDERS = ['base', ...OVERLAYS];
const cache = new Map<string, KubeObject[]>();

/** `kubectl kustomize` output of k8s/base or an overlay (rendered once per file run). */
function render(name: string): KubeObject[] {
  let objects = cache.get(name);
  if (!objects) {
    objects = renderKustomize(resolve(repoRoot, name === 'base' ? 'k8s/base' : `k8s/overlays/${name}`));
    cache.set(name, objects);
  }
  return objects;
}

function find<T>(objects: readonly KubeObject[], kind: string, name: string): T {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return obj as unknown as T;
}

/** Every pod template with the object that owns it. */
function podSpecs(objects: readonly KubeObject[]): Array<{ owner: string; spec: IPodSpec }> {
  return objects.flatMap((o) => {
    const spec = (o as unknown as { spec?: { template?: { spec?: IPodSpec } } }).spec?.template?.spec;
    return spec ? [{ owner: `${o.kind} ${o.metadata.name}`, spec }] : [];
  });
}

function container(sts: IStatefulSet, name: string): IContainer {
  const c = sts.spec?.template.spec?.containers.find((c) => c.name === name);
  if (!c) throw new Error(`StatefulSet ${sts.metadata?.name} has no container ${name}`);
  return c;
}

/** The numeric port of an httpGet probe, resolving a named container port. */
function probePort(c: IContainer, probe: IProbe | undefined): number | undefined {
  const port = probe?.httpGet?.port;
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

/** Label maps are equal whatever their key order (kustomize sorts keys). */
function sameLabels(a: Record<string, string> | undefined, b: Readonly<Record<string, string>>): boolean {
  return a !== undefined && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

function envValue(c: IContainer, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

t.test('manifests: a missing or too old kubectl fails with an install hint instead of skipping', async (t) => {
  // Runs before any real render (the kubectl check is remembered once it passes).
  const bin = t.testdir({
    empty: {},
    kubectl: '#!/bin/sh\necho \'{"clientVersion":{"gitVersion":"v1.20.2"},"kustomizeVersion":"v2.0.3"}\'\n',
  });
  chmodSync(resolve(bin, 'kubectl'), 0o755);
  const path = process.env['PATH'];
  try {
    process.env['PATH'] = resolve(bin, 'empty');
    t.throws(() => renderKustomize(resolve(repoRoot, 'k8s/base')), {
      code: 'E_IO',
      message: /kubectl is not installed.*Install kubectl 1\.27 or newer/,
    });
    process.env['PATH'] = bin;
    t.throws(() => renderKustomize(resolve(repoRoot, 'k8s/base')), {
      code: 'E_IO',
      message: /kustomize is v2\.0\.3, k8s\/ needs v5 or newer/,
    });
  } finally {
    process.env['PATH'] = path;
  }
});

t.test('manifests: the minikube and production overlays exist', async (t) => {
  t.same(
    OVERLAYS.filter((o) => o === 'minikube' || o === 'production'),
    ['minikube', 'production'],
  );
});

for (const name of RENDERS) {
  // Overlays with k8s/components/nkey authenticate with a user NKey instead of the token.
  const nkey = name.includes('nkey');
  t.test(`manifests: ${name} renders and every object passes its Kubernetes schema`, async (t) => {
    const objects = render(name);
    t.ok(objects.length >= 14, `${objects.length} objects`);
    for (const obj of objects) t.doesNotThrow(() => validateObject(obj), `${obj.kind} ${obj.metadata.name}`);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    t.same([...new Set(keys)].sort(), [...keys].sort(), 'no object is defined twice');
    if (name !== 'base') {
      for (const obj of objects.filter((o) => o.kind !== 'Namespace'))
        t.equal(obj.metadata.namespace, 'kindling', `${obj.kind} ${obj.metadata.name} is in namespace kindling`);
      t.equal(find<KubeObject>(objects, 'Namespace', 'kindling').metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    } else {
      t.notOk(
        objects.some((o) => o.metadata.namespace !== undefined || o.kind === 'Namespace'),
        'the base names no namespace',
      );
    }
  });

  t.test(`manifests: ${name} executor StatefulSet has the ids, probes, grace period and resources executors need`, async (t) => {
    const objects = render(name);
    const sts = find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet);
    const spec = sts.spec!;
    t.equal(spec.podManagementPolicy, 'Parallel');
    t.same(spec.selector.matchLabels, EXECUTOR_LABELS, 'selector = the labels coordinator/src/k8s looks pods up by');
    t.match(spec.template.metadata?.labels, { ...EXECUTOR_LABELS, ...PART_OF_LABEL }, 'pods carry the executor and part-of labels');
    const headless = find<IService>(objects, 'Service', spec.serviceName!);
    t.equal(headless.spec?.clusterIP, 'None', 'the governing Service is headless');
    t.same(headless.spec?.selector, EXECUTOR_LABELS);

    const pod = spec.template.spec!;
    const c = container(sts, 'executor');
    t.same(c.args, ['executor']);
    t.same(pod.containers.length, 1);
    t.same(
      c.env?.find((e) => e.name === 'POD_NAME')?.valueFrom,
      { fieldRef: { fieldPath: 'metadata.name' } },
      'the executor id is the pod name',
    );
    if (!nkey) {
      t.same(c.env?.find((e) => e.name === 'KINDLING_NATS_TOKEN')?.valueFrom, {
        secretKeyRef: { name: KINDLING_RESOURCES.natsSecret, key: KINDLING_RESOURCES.natsSecretTokenKey },
      });
    }
    t.same(c.envFrom, [{ configMapRef: { name: KINDLING_RESOURCES.configMap } }]);
    t.equal(envValue(c, 'KINDLING_HEALTH_PORT'), String(EXECUTOR_HEALTH_PORT));

    t.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    t.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    t.equal(probePort(c, c.readinessProbe), EXECUTOR_HEALTH_PORT, 'readiness probes the health port');
    t.equal(probePort(c, c.livenessProbe), EXECUTOR_HEALTH_PORT, 'liveness probes the health port');
    t.same(
      spec.template.metadata?.annotations,
      { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(EXECUTOR_HEALTH_PORT), 'prometheus.io/path': '/metrics' },
      'Prometheus scrapes /metrics on the health port',
    );
    t.ok(
      c.ports?.some((p) => p.containerPort === EXECUTOR_HEALTH_PORT),
      'which the container declares',
    );

    const graceMs = Number(envValue(c, 'KINDLING_GRACE_MS'));
    t.equal(graceMs, EXECUTOR_GRACE_MS);
    t.ok((pod.terminationGracePeriodSeconds ?? 30) >= graceMs / 1000 + 5, 'Kubernetes waits for the drain plus 5 s before SIGKILL');

    const preferred = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    t.equal(preferred[0]?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname', 'executors spread over nodes');
    t.same(preferred[0]?.podAffinityTerm.labelSelector?.matchLabels, EXECUTOR_LABELS);
    t.equal(pod.automountServiceAccountToken, false, 'executors get no API token');
    const tmp = pod.volumes?.find((v) => v.name === c.volumeMounts?.find((m) => m.mountPath === '/tmp')?.name);
    t.ok(tmp?.emptyDir, 'a writable emptyDir at /tmp (the root filesystem is read-only)');
    t.equal(c.volumeMounts?.find((m) => m.mountPath === '/data')?.readOnly, true, 'input data is mounted read-only');
  });

  t.test(`manifests: ${name} pods all have requests and limits, and threads fit the CPU limit`, async (t) => {
    const objects = render(name);
    for (const { owner, spec } of podSpecs(objects)) {
      for (const c of spec.containers) {
        const { requests, limits } = c.resources ?? {};
        for (const r of ['cpu', 'memory'] as const) {
          t.ok(requests?.[r] !== undefined && limits?.[r] !== undefined, `${owner}/${c.name}: ${r} request and limit set`);
          const parse = r === 'cpu' ? cpuMillicores : memoryBytes;
          t.ok(parse(String(requests?.[r])) <= parse(String(limits?.[r])), `${owner}/${c.name}: ${r} request ≤ limit`);
        }
      }
    }
    const sts = find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet);
    const cores = Number(
      (find<KubeObject>(objects, 'ConfigMap', KINDLING_RESOURCES.configMap)['data'] as Record<string, string>)['KINDLING_EXECUTOR_CORES'],
    );
    const cpuLimit = cpuMillicores(String(container(sts, 'executor').resources?.limits?.['cpu']));
    t.ok(Number.isInteger(cores) && cores >= 1 && cores * 1000 <= cpuLimit, `${cores} worker threads fit a ${cpuLimit}m CPU limit`);
  });

  t.test(`manifests: ${name} pods run non-root with a read-only root filesystem (Pod Security "restricted")`, async (t) => {
    const specs = podSpecs(render(name));
    t.same(specs.map((s) => s.owner).sort(), ['StatefulSet kindling-executor', 'StatefulSet kindling-nats']);
    for (const { owner, spec } of specs) {
      t.same(restrictedPodViolations(owner, spec), [], `${owner} meets "restricted"`);
      t.equal(spec.securityContext?.runAsUser, KINDLING_UID, `${owner}: runs as uid ${KINDLING_UID}`);
      t.equal(spec.securityContext?.fsGroup, KINDLING_UID, `${owner}: fsGroup lets the uid write its volumes`);
    }
  });

  t.test(`manifests: ${name} RBAC is one namespaced Role with exactly the driver's verbs`, async (t) => {
    const objects = render(name);
    t.notOk(
      objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'),
      'no cluster-scoped RBAC',
    );
    t.same(
      objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.name),
      [KINDLING_RESOURCES.driverServiceAccount],
    );
    const role = find<IRole>(objects, 'Role', KINDLING_RESOURCES.driverServiceAccount);
    t.same(role.rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: [''], resources: ['services'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: ['apps'], resources: ['statefulsets', 'statefulsets/scale'], verbs: ['get', 'patch'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    t.notOk(JSON.stringify(role.rules).includes('*'), 'no wildcards');
    const binding = find<IRoleBinding>(objects, 'RoleBinding', KINDLING_RESOURCES.driverServiceAccount);
    t.same(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata?.name });
    t.match(binding.subjects, [{ kind: 'ServiceAccount', name: KINDLING_RESOURCES.driverServiceAccount }]);
    t.ok(find<KubeObject>(objects, 'ServiceAccount', KINDLING_RESOURCES.driverServiceAccount));
  });

  t.test(`manifests: ${name} HPA scales the executor StatefulSet on 70 % CPU, and a PDB limits disruption`, async (t) => {
    const objects = render(name);
    const hpa = find<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', KINDLING_RESOURCES.executorStatefulSet);
    t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: KINDLING_RESOURCES.executorStatefulSet });
    t.same(hpa.spec?.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    t.equal(hpa.spec?.maxReplicas, 10);
    const replicas = find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet).spec?.replicas ?? 1;
    const min = hpa.spec?.minReplicas ?? 1;
    t.ok(min >= 1 && min <= replicas, `HPA minReplicas ${min} ≤ the ${replicas} executors applied`);
    if (name === 'base') t.equal(min, 1);
    const pdb = find<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', KINDLING_RESOURCES.executorStatefulSet);
    t.equal(pdb.spec?.maxUnavailable, 1);
    t.same(pdb.spec?.selector?.matchLabels, EXECUTOR_LABELS);
  });

  t.test(`manifests: ${name} NetworkPolicies let Kindling pods reach NATS and nothing else`, async (t) => {
    const objects = render(name);
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
    const nats = policies.find((p) => sameLabels(p.spec?.podSelector.matchLabels, NATS_LABELS));
    t.ok(nats, 'a policy selects the NATS pods');
    t.same(nats?.spec?.policyTypes, ['Ingress']);
    t.equal(nats?.spec?.ingress?.length, 1);
    t.same(nats?.spec?.ingress?.[0]?.from, [{ podSelector: { matchLabels: PART_OF_LABEL } }], 'only part-of=kindling pods');
    t.ok(
      nats?.spec?.ingress?.[0]?.ports?.some((p) => p.port === NATS_CLIENT_PORT && p.protocol === 'TCP'),
      'the NATS client port',
    );

    const exec = policies.find((p) => sameLabels(p.spec?.podSelector.matchLabels, EXECUTOR_LABELS));
    t.same(exec?.spec?.policyTypes, ['Ingress', 'Egress']);
    t.same(
      exec?.spec?.ingress,
      [{ ports: [{ protocol: 'TCP', port: EXECUTOR_HEALTH_PORT }] }],
      'executors admit only the probe/metrics port',
    );
    const driver = policies.find((p) => p.metadata?.name === 'kindling-driver');
    t.same(
      driver?.spec?.ingress,
      [
        {
          ports: [
            { protocol: 'TCP', port: DRIVER_UI_PORT },
            { protocol: 'TCP', port: DRIVER_METRICS_PORT },
          ],
        },
      ],
      'drivers admit only their UI and metrics ports',
    );
    const egress = exec?.spec?.egress ?? [];
    t.same(
      egress[0],
      { to: [{ podSelector: { matchLabels: NATS_LABELS } }], ports: [{ protocol: 'TCP', port: NATS_CLIENT_PORT }] },
      'executors reach NATS',
    );
    t.ok(
      egress.slice(1).every((r) => r.to === undefined && (r.ports ?? []).every((p) => p.port === 53)),
      'and otherwise only DNS',
    );

    const natsPods = find<IStatefulSet>(objects, 'StatefulSet', 'kindling-nats').spec?.template.metadata?.labels;
    t.match(natsPods, PART_OF_LABEL);
    const client = find<IService>(objects, 'Service', KINDLING_RESOURCES.natsService);
    t.ok(
      client.spec?.ports?.some((p) => p.port === NATS_CLIENT_PORT),
      'Service kindling-nats serves 4222',
    );
    t.ok(
      client.spec?.ports?.some((p) => p.port === 8222),
      'and 8222 monitoring',
    );
    const master = (find<KubeObject>(objects, 'ConfigMap', KINDLING_RESOURCES.configMap)['data'] as Record<string, string>)[
      'KINDLING_MASTER'
    ];
    t.equal(master, `nats://${KINDLING_RESOURCES.natsService}:${NATS_CLIENT_PORT}`);
  });

  t.test(`manifests: ${name} NATS runs JetStream on a persistent volume with ${nkey ? 'NKey' : 'token'} auth`, async (t) => {
    const objects = render(name);
    const sts = find<IStatefulSet>(objects, 'StatefulSet', 'kindling-nats');
    const c = container(sts, 'nats');
    t.match(c.image, /^nats:2\.10-alpine$/);
    const args = c.args ?? [];
    t.ok(args.includes('-js'), 'JetStream on');
    t.equal(args[args.indexOf('-sd') + 1], '/data', 'store in /data');
    const dataMount = c.volumeMounts?.find((m) => m.mountPath === '/data');
    const claim = sts.spec?.volumeClaimTemplates?.find((v) => v.metadata?.name === dataMount?.name);
    t.ok(claim, '/data is a PersistentVolumeClaim template');
    t.ok(memoryBytes(String(claim?.spec?.resources?.requests?.['storage'])) >= 1024 ** 3, 'of at least 1Gi');
    const env = (n: string) => c.env?.find((e) => e.name === n)?.valueFrom;
    const data = find<KubeObject>(objects, 'ConfigMap', 'kindling-nats-config')['data'] as Record<string, string>;
    t.match(data['nats.conf'], /include \.\/auth\.conf\s+include \.\/tls\.conf/, 'nats.conf includes the auth and TLS settings');
    const executor = container(find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet), 'executor');
    const executorEnv = (n: string) => executor.env?.find((e) => e.name === n);
    if (nkey) {
      t.same(env('NATS_USER_NKEY'), {
        secretKeyRef: { name: KINDLING_RESOURCES.natsNkeySecret, key: KINDLING_RESOURCES.natsNkeyPublicKey },
      });
      t.match(
        data['auth.conf'],
        /authorization\s*\{\s*users:\s*\[\s*\{\s*nkey:\s*\$NATS_USER_NKEY\s*\}\s*\]\s*\}/,
        'the server admits the NKey',
      );
      t.notOk(env('NATS_TOKEN') ?? executorEnv('KINDLING_NATS_TOKEN'), 'no token anywhere');
      t.match(executorEnv('KINDLING_NATS_NKEY_SEED')?.value, /\/user\.nk$/, 'executors sign with the seed');
    } else {
      t.same(env('NATS_TOKEN'), {
        secretKeyRef: { name: KINDLING_RESOURCES.natsSecret, key: KINDLING_RESOURCES.natsSecretTokenKey },
      });
      t.match(data['auth.conf'], /authorization\s*\{\s*token:\s*\$NATS_TOKEN\s*\}/, 'the server requires the token');
      t.ok(executorEnv('KINDLING_NATS_TOKEN')?.valueFrom?.secretKeyRef, 'executors present the token');
    }
    t.equal(probePort(c, c.livenessProbe), 8222);
    t.ok(c.readinessProbe?.httpGet?.path?.startsWith('/healthz'));
  });

  t.test(`manifests: ${name} every ConfigMap, Secret and ServiceAccount a pod uses is defined`, async (t) => {
    const objects = render(name);
    const defined = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    // Production removes the example token: the operator creates this Secret (docs/kubernetes.md).
    // NKey overlays read the NKey Secret the operator creates (docs/kubernetes.md, "NKeys").
    const external = new Set<string>([
      ...(name === 'production' ? [`Secret/${KINDLING_RESOURCES.natsSecret}`] : []),
      ...(nkey ? [`Secret/${KINDLING_RESOURCES.natsNkeySecret}`] : []),
    ]);
    for (const { owner, spec } of podSpecs(objects)) {
      const refs = new Set<string>();
      if (spec.serviceAccountName) refs.add(`ServiceAccount/${spec.serviceAccountName}`);
      for (const v of spec.volumes ?? []) if (v.configMap) refs.add(`ConfigMap/${v.configMap.name}`);
      for (const c of spec.containers) {
        for (const f of c.envFrom ?? []) if (f.configMapRef) refs.add(`ConfigMap/${f.configMapRef.name}`);
        for (const e of c.env ?? []) {
          if (e.valueFrom?.configMapKeyRef) refs.add(`ConfigMap/${e.valueFrom.configMapKeyRef.name}`);
          if (e.valueFrom?.secretKeyRef) refs.add(`Secret/${e.valueFrom.secretKeyRef.name}`);
        }
      }
      for (const ref of refs) t.ok(defined.has(ref) || external.has(ref), `${owner} uses ${ref}`);
    }
  });
}

t.test('manifests: minikube runs 2 small executors from the locally loaded kindling:dev image', async (t) => {
  const objects = render('minikube');
  const sts = find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet);
  const c = container(sts, 'executor');
  t.equal(sts.spec?.replicas, 2);
  t.equal(c.image, 'kindling:dev');
  t.equal(c.imagePullPolicy, 'Never', 'minikube image load, never pulled');
  t.ok(find<KubeObject>(objects, 'Secret', KINDLING_RESOURCES.natsSecret), 'the example token is applied for a quick start');
});

t.test('manifests: production runs 4 larger executors from a registry image and ships no example token', async (t) => {
  const objects = render('production');
  const sts = find<IStatefulSet>(objects, 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet);
  const c = container(sts, 'executor');
  t.equal(sts.spec?.replicas, 4);
  t.match(c.image, /^ghcr\.io\/[^/]+\/kindling:\d+\.\d+\.\d+$/, 'a registry image with a version tag');
  t.not(c.imagePullPolicy, 'Never');
  t.ok(
    cpuMillicores(String(c.resources?.requests?.['cpu'])) >
      cpuMillicores(
        String(
          container(find<IStatefulSet>(render('minikube'), 'StatefulSet', KINDLING_RESOURCES.executorStatefulSet), 'executor').resources
            ?.requests?.['cpu'],
        ),
      ),
    'bigger than minikube',
  );
  t.notOk(
    objects.some((o) => o.kind === 'Secret'),
    'no Secret is rendered: the published example token never reaches production',
  );
});

t.test('manifests: the schema check catches a careless edit', async (t) => {
  const sts = structuredClone(
    render('base').find((o) => o.kind === 'StatefulSet' && o.metadata.name === KINDLING_RESOURCES.executorStatefulSet)!,
  ) as unknown as { spec: { replicas: unknown; selector?: unknown } };
  sts.spec.replicas = '2'; // what an unquoted-vs-quoted YAML slip produces
  t.throws(() => validateObject(sts as unknown as KubeObject), {
    code: 'E_SCHEMA',
    message: /StatefulSet kindling-executor: .*replicas must be integer/,
  });
  delete sts.spec.selector;
  sts.spec.replicas = 2;
  t.throws(() => validateObject(sts as unknown as KubeObject), { message: /must have required property '?selector'?/ });
  t.throws(() => validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), { message: /no schema for v1\/Pod/ });
});
