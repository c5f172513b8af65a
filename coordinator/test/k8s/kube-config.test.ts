import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { currentNamespace, loadKubeConfig } from '../../src/k8s/kube-config.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: minikube
    cluster: { server: https://192.168.49.2:8443, insecure-skip-tls-verify: true }
users:
  - name: minikube
    user: { token: abc }
contexts:
  - name: minikube
    context: { cluster: minikube, user: minikube, namespace: kindling }
  - name: other
    context: { cluster: minikube, user: minikube }
current-context: minikube
`;

/** Runs fn with environment variables replaced, restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>): void => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  set(vars);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

t.test('kube-config: KUBECONFIG is loaded, with its current context and namespace', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'config');
  writeFileSync(file, KUBECONFIG);
  const kc = withEnv({ KUBECONFIG: file }, () => loadKubeConfig());
  t.equal(kc.getCurrentCluster()?.server, 'https://192.168.49.2:8443');
  t.equal(currentNamespace(kc), 'kindling');
  const other = withEnv({ KUBECONFIG: file }, () => loadKubeConfig({ context: 'other' }));
  t.equal(currentNamespace(other), 'default', 'a context without a namespace means "default", as in kubectl');
});

t.test('kube-config: an unknown context is named with the ones that exist', async (t) => {
  const dir = t.testdir({ config: KUBECONFIG });
  t.throws(() => withEnv({ KUBECONFIG: join(dir, 'config') }, () => loadKubeConfig({ context: 'prod' })), {
    code: 'E_IO',
    message: 'the kubeconfig has no context "prod" (contexts: minikube, other)',
  });
});

t.test('kube-config: without any kubeconfig it refuses instead of trying localhost:8080', async (t) => {
  const home = t.testdir({});
  t.throws(() => withEnv({ KUBECONFIG: undefined, HOME: home }, () => loadKubeConfig({ serviceAccountToken: join(home, 'no-token') })), {
    code: 'E_IO',
    message: /no Kubernetes cluster is configured: set KUBECONFIG, create .*\.kube\/config/,
  });
});
