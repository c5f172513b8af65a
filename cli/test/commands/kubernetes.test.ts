// No Kubernetes API server runs on this machine: `kindling scale` and `kindling executors
// --master k8s://` run as real child processes against the fake API server of the
// coordinator's k8s tests (a local HTTP server with the API's response shapes).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// The fake lives in the coordinator's compiled tests; resolve it from this file's built location.
type FakeModule = typeof import('../../../coordinator/dist/test/k8s/fake-kube-api.js');
const { podJson, podListJson, startFakeKubeApi } = (await import(
  new URL('../../../../coordinator/dist/test/k8s/fake-kube-api.js', import.meta.url).href
)) as FakeModule;

const cli = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const SCALE = '/apis/apps/v1/namespaces/ns/statefulsets/kindling-executor/scale';

function kubeconfig(dir: string, server: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n    namespace: ns\ncurrent-context: fake\n`,
  );
  return file;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => res({ code, out, err }));
  });
}

const scale = (replicas: number) => ({
  json: {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: 'kindling-executor', namespace: 'ns' },
    spec: { replicas },
    status: { replicas },
  },
});

t.test('kubernetes: kindling scale patches the executor StatefulSet of the context namespace', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'GET', path: SCALE, handle: () => scale(2) },
    {
      method: 'PATCH',
      path: SCALE,
      handle: (req: { body: string }) => scale((JSON.parse(req.body) as { spec: { replicas: number } }).spec.replicas),
    },
  ]);
  t.teardown(() => api.close());
  const r = await run(['scale', '5'], { KUBECONFIG: kubeconfig(t.testdir({}), api.url) });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /statefulset ns\/kindling-executor scaled: 2 → 5 executors/);
  t.same(JSON.parse(api.requests.at(-1)!.body), { spec: { replicas: 5 } });
});

t.test('kubernetes: kindling executors --master k8s:// says plainly when metrics-server is missing', async (t) => {
  const api = await startFakeKubeApi([
    {
      method: 'GET',
      path: '/api/v1/namespaces/ns/pods',
      handle: () => ({ json: podListJson('7', [podJson('kindling-executor-0'), podJson('kindling-executor-1', { ready: false })]) }),
    },
  ]);
  t.teardown(() => api.close());
  const r = await run(['executors', '--master', 'k8s://ns'], { KUBECONFIG: kubeconfig(t.testdir({}), api.url) });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /kindling-executor-0\s+Running\s+yes/);
  t.match(r.out, /kindling-executor-1\s+Running\s+no/);
  t.match(r.out, /CPU and memory unavailable: metrics-server is not installed/);
});

t.test('kubernetes: without any cluster configured the error says how to configure one', async (t) => {
  const home = t.testdir({});
  const r = await run(['scale', '3'], { KUBECONFIG: '', HOME: home });
  t.equal(r.code, 1);
  t.match(r.err, /no Kubernetes cluster is configured: set KUBECONFIG/);
});
