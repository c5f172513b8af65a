// No Kubernetes API server runs on this machine: these tests drive the real
// @kubernetes/client-node against fake-kube-api.ts, a local HTTP server with the API's response shapes.
import t from 'tap';
import type { KindlingError } from '@kindling/shared';
import { scaleExecutors } from '../../src/k8s/executor-scale.js';
import { kubeStatus, startFakeKubeApi, type Reply } from './fake-kube-api.js';

const SCALE_PATH = '/apis/apps/v1/namespaces/ns/statefulsets/kindling-executor/scale';

function scaleJson(replicas: number): Reply {
  return {
    json: {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'kindling-executor',
        namespace: 'ns',
        uid: 'u-1',
        resourceVersion: '42',
        creationTimestamp: '2025-01-01T00:00:00Z',
      },
      spec: { replicas },
      status: { replicas: 2, selector: 'app.kubernetes.io/component=executor,app.kubernetes.io/name=kindling' },
    },
  };
}

t.test('executor-scale: scaleExecutors reads the scale, then merge-patches spec.replicas', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'GET', path: SCALE_PATH, handle: () => scaleJson(2) },
    {
      method: 'PATCH',
      path: SCALE_PATH,
      handle: (req) => scaleJson((JSON.parse(req.body) as { spec: { replicas: number } }).spec.replicas),
    },
  ]);
  t.teardown(() => api.close());

  const result = await scaleExecutors(api.kubeConfig(), 'ns', 4);

  t.same(result, { namespace: 'ns', name: 'kindling-executor', previous: 2, replicas: 4 });
  t.equal(api.requests.length, 2);
  const patch = api.requests[1]!;
  t.equal(patch.method, 'PATCH');
  t.equal(patch.path, SCALE_PATH);
  t.equal(patch.headers['content-type'], 'application/merge-patch+json');
  t.same(JSON.parse(patch.body), { spec: { replicas: 4 } });
  t.equal(patch.headers.authorization, 'Bearer t', 'the kubeconfig credentials are sent');
});

t.test('executor-scale: a StatefulSet with another name is scaled through its own path', async (t) => {
  const path = '/apis/apps/v1/namespaces/team-a/statefulsets/big-executors/scale';
  const api = await startFakeKubeApi([
    { method: 'GET', path, handle: () => scaleJson(3) },
    { method: 'PATCH', path, handle: () => scaleJson(0) },
  ]);
  t.teardown(() => api.close());
  const result = await scaleExecutors(api.kubeConfig(), 'team-a', 0, 'big-executors');
  t.same(result, { namespace: 'team-a', name: 'big-executors', previous: 3, replicas: 0 });
});

t.test('executor-scale: a bad replica count is rejected before any request', async (t) => {
  const api = await startFakeKubeApi([]);
  t.teardown(() => api.close());
  for (const bad of [-1, 2.5, Number.NaN, 5000]) {
    await t.rejects(scaleExecutors(api.kubeConfig(), 'ns', bad), { code: 'E_INVALID_VALUE', message: /replicas/ });
  }
  t.equal(api.requests.length, 0);
});

t.test('executor-scale: an RBAC denial names the verb, the resource, the namespace and the missing rule', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'GET', path: SCALE_PATH, handle: () => scaleJson(2) },
    {
      method: 'PATCH',
      path: SCALE_PATH,
      handle: () =>
        kubeStatus(
          403,
          'Forbidden',
          'statefulsets.apps "kindling-executor" is forbidden: User "system:serviceaccount:ns:default" cannot patch resource "statefulsets/scale" in API group "apps" in the namespace "ns"',
          { name: 'kindling-executor', group: 'apps', kind: 'statefulsets' },
        ),
    },
  ]);
  t.teardown(() => api.close());
  const err = (await scaleExecutors(api.kubeConfig(), 'ns', 3).then(
    () => undefined,
    (e: unknown) => e,
  )) as KindlingError;
  t.equal(err.code, 'E_IO');
  t.match(err.message, /RBAC forbids: patch statefulsets\/scale "kindling-executor" \(API group apps\) in namespace "ns"/);
  t.match(err.message, /apiGroups: \["apps"\], resources: \["statefulsets\/scale"\], verbs: \["patch"\]/);
  t.match(err.message, /cannot patch resource/, 'the server message is kept');
});

t.test('executor-scale: a missing StatefulSet says Kindling may not be deployed there', async (t) => {
  const api = await startFakeKubeApi([]); // every path is a 404 Status
  t.teardown(() => api.close());
  await t.rejects(scaleExecutors(api.kubeConfig(), 'ns', 3), {
    code: 'E_IO',
    message: /get statefulsets\/scale "kindling-executor".*not found \(404\).*kubectl apply -k/,
  });
});
