// No Kubernetes API server (and no metrics-server) runs on this machine: these tests drive the
// real @kubernetes/client-node against fake-kube-api.ts, a local HTTP server with the API's response shapes.
import t from 'tap';
import type { KindlingError } from '@kindling/shared';
import { executorPodStatus, listExecutorPods, podMetrics } from '../../src/k8s/executor-pod-status.js';
import { EXECUTOR_SELECTOR } from '../../src/k8s/kindling-resources.js';
import { kubeStatus, podJson, podListJson, startFakeKubeApi, type Route } from './fake-kube-api.js';

const PODS = '/api/v1/namespaces/ns/pods';
const METRICS = '/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods';

const podsRoute: Route = {
  method: 'GET',
  path: PODS,
  handle: () => ({
    json: podListJson('100', [
      podJson('kindling-executor-10', { node: 'node-b' }),
      podJson('kindling-executor-0', { restarts: 2 }),
      podJson('kindling-executor-2', { phase: 'Pending', ready: false }),
    ]),
  }),
};

function usage(name: string, containers: Array<[string, string]>): unknown {
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: '2025-01-01T00:01:00Z', labels: { 'app.kubernetes.io/component': 'executor' } },
    timestamp: '2025-01-01T00:00:45Z',
    window: '15.012s',
    containers: containers.map(([cpu, memory], i) => ({ name: `c${i}`, usage: { cpu, memory } })),
  };
}

const metricsRoute: Route = {
  method: 'GET',
  path: METRICS,
  handle: () => ({
    json: {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: [
        usage('kindling-executor-0', [
          ['250000000n', '123456Ki'],
          ['1m', '1Mi'],
        ]),
        usage('kindling-executor-10', [['1500m', '2Gi']]),
      ],
    },
  }),
};

t.test('executor-pod-status: pods are merged with metrics-server usage, ordered by ordinal', async (t) => {
  const api = await startFakeKubeApi([podsRoute, metricsRoute]);
  t.teardown(() => api.close());

  const report = await executorPodStatus(api.kubeConfig(), 'ns');

  t.equal(report.metricsAvailable, true);
  t.equal(report.reason, undefined);
  t.same(report.pods, [
    {
      name: 'kindling-executor-0',
      phase: 'Running',
      ready: true,
      restarts: 2,
      node: 'node-a',
      terminating: false,
      cpuMillicores: 251,
      memoryBytes: 123456 * 1024 + 1024 * 1024,
    },
    { name: 'kindling-executor-2', phase: 'Pending', ready: false, restarts: 0, node: 'node-a', terminating: false },
    {
      name: 'kindling-executor-10',
      phase: 'Running',
      ready: true,
      restarts: 0,
      node: 'node-b',
      terminating: false,
      cpuMillicores: 1500,
      memoryBytes: 2 * 1024 ** 3,
    },
  ]);
  for (const req of api.requests) t.equal(req.query.get('labelSelector'), EXECUTOR_SELECTOR, `${req.path} selects executor pods`);
});

t.test('executor-pod-status: without metrics-server (404) the pods are listed and the reason is given', async (t) => {
  const api = await startFakeKubeApi([podsRoute]); // metrics.k8s.io unknown → the API server's 404 Status
  t.teardown(() => api.close());

  const report = await executorPodStatus(api.kubeConfig(), 'ns');

  t.equal(report.metricsAvailable, false);
  t.equal(report.reason, 'metrics-server is not installed (metrics.k8s.io returned 404)');
  t.same(
    report.pods.map((p) => p.name),
    ['kindling-executor-0', 'kindling-executor-2', 'kindling-executor-10'],
  );
  t.notOk(
    report.pods.some((p) => 'cpuMillicores' in p),
    'no usage figures are invented',
  );
});

t.test('executor-pod-status: a metrics-server that is registered but down (plain-text 503) is reported as unavailable', async (t) => {
  const api = await startFakeKubeApi([
    podsRoute,
    { method: 'GET', path: METRICS, handle: () => ({ status: 503, text: 'service unavailable\n' }) },
  ]);
  t.teardown(() => api.close());
  const metrics = await podMetrics(api.kubeConfig(), 'ns');
  t.same(metrics, { available: false, reason: 'metrics-server is not available (metrics.k8s.io returned 503)' });
});

t.test('executor-pod-status: an RBAC denial on pods names the verb, resource, namespace and missing rule', async (t) => {
  const api = await startFakeKubeApi([
    {
      method: 'GET',
      path: PODS,
      handle: () =>
        kubeStatus(403, 'Forbidden', 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "ns"', {
          kind: 'pods',
        }),
    },
    metricsRoute,
  ]);
  t.teardown(() => api.close());
  const err = (await listExecutorPods(api.kubeConfig(), 'ns').then(
    () => undefined,
    (e: unknown) => e,
  )) as KindlingError;
  t.equal(err.code, 'E_IO');
  t.match(err.message, /RBAC forbids: list pods in namespace "ns" \(403 Forbidden\)/);
  t.match(err.message, /\{ apiGroups: \[""\], resources: \["pods"\], verbs: \["list"\] \}/);
  t.match(err.message, /Role "kindling-driver"/);
  t.equal(err.details['httpStatus'], 403);
  await t.rejects(executorPodStatus(api.kubeConfig(), 'ns'), { code: 'E_IO', message: /list pods/ });
});

t.test('executor-pod-status: an RBAC denial on metrics names the metrics.k8s.io rule', async (t) => {
  const api = await startFakeKubeApi([
    podsRoute,
    {
      method: 'GET',
      path: METRICS,
      handle: () =>
        kubeStatus(
          403,
          'Forbidden',
          'pods.metrics.k8s.io is forbidden: User "alice" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "ns"',
        ),
    },
  ]);
  t.teardown(() => api.close());
  await t.rejects(executorPodStatus(api.kubeConfig(), 'ns'), {
    code: 'E_IO',
    message: /list pods \(API group metrics\.k8s\.io\) in namespace "ns".*apiGroups: \["metrics\.k8s\.io"\]/,
  });
});

t.test('executor-pod-status: an unreachable API server is an E_IO error naming the request', async (t) => {
  const api = await startFakeKubeApi([]);
  const kc = api.kubeConfig();
  await api.close(); // nothing listens on that port any more
  await t.rejects(listExecutorPods(kc, 'ns'), {
    code: 'E_IO',
    message: /cannot list pods in namespace "ns": the Kubernetes API server was not reached/,
  });
});

t.test('executor-pod-status: a pod being deleted is reported as terminating', async (t) => {
  const pod = podJson('kindling-executor-1');
  (pod['metadata'] as Record<string, unknown>)['deletionTimestamp'] = '2025-01-01T00:05:00Z';
  const api = await startFakeKubeApi([{ method: 'GET', path: PODS, handle: () => ({ json: podListJson('7', [pod]) }) }]);
  t.teardown(() => api.close());
  const pods = await listExecutorPods(api.kubeConfig(), 'ns');
  t.equal(pods[0]?.terminating, true);
});
