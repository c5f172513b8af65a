/**
 * Loads the KubeConfig the CLI uses for `k8s://` masters, in kubectl's order: $KUBECONFIG,
 * ~/.kube/config, else the pod's service account (in-cluster), optionally switching context.
 * client-node's loadFromDefault silently falls back to http://localhost:8080 when none exists;
 * this refuses instead, so the user reads "no cluster configured", not "connection refused".
 * Tests of the other k8s/ modules build a KubeConfig for a fake API server instead.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';

/** Where a pod's service account token is mounted. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads the default KubeConfig; throws KindlingError E_IO when no cluster is configured or the context is unknown. */
export function loadKubeConfig(
  options: { readonly context?: string; /** In-cluster token path (tests). */ readonly serviceAccountToken?: string } = {},
): KubeConfig {
  const fromEnv = process.env['KUBECONFIG'];
  const home = path.join(os.homedir(), '.kube', 'config');
  if (!fromEnv && !existsSync(home) && !existsSync(options.serviceAccountToken ?? SERVICE_ACCOUNT_TOKEN)) {
    throw new KindlingError(
      'E_IO',
      `no Kubernetes cluster is configured: set KUBECONFIG, create ${home} (e.g. minikube start), or run inside a pod`,
      {},
    );
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new KindlingError(
      'E_IO',
      `cannot load the kubeconfig (${fromEnv ? `KUBECONFIG=${fromEnv}` : home}): ${err instanceof Error ? err.message : String(err)}`,
      {},
      { cause: err },
    );
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new KindlingError('E_IO', `the kubeconfig has no context "${options.context}" (contexts: ${known})`, {
        context: options.context,
      });
    }
    kc.setCurrentContext(options.context);
  }
  return kc;
}

/** The namespace of the current context (what kubectl uses without -n), else "default". */
export function currentNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
