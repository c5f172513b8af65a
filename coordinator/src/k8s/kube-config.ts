/**
 * Loads the KubeConfig the CLI uses for `k8s://` masters: the in-cluster service account in a
 * pod, else $KUBECONFIG or ~/.kube/config (client-node's loadFromDefault), optionally with
 * another context. Tests never call this: they build a KubeConfig for a fake API server.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';

/** Loads the default KubeConfig; throws KindlingError E_IO when no cluster is configured. */
export function loadKubeConfig(options: { readonly context?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new KindlingError('E_IO', `cannot load a kubeconfig: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      throw new KindlingError('E_IO', `kubeconfig has no context "${options.context}" (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`, { context: options.context });
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KindlingError('E_IO', 'no Kubernetes cluster is configured: set KUBECONFIG, create ~/.kube/config, or run inside a pod', {});
  }
  return kc;
}

/** The namespace of the current context (what `kubectl` uses without -n), else "default". */
export function currentNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
