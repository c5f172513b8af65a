/**
 * `kindling scale N`: sets the replica count of the executor StatefulSet through its scale
 * subresource, as `kubectl scale statefulset kindling-executor --replicas=N` does. New pods
 * register over NATS and join the running job at the next stage boundary; removed pods drain
 * on SIGTERM. Uses a JSON merge patch: client-node 1.4.0 would otherwise send a JSON-Patch
 * content type for a merge body. Needs statefulsets/scale get + patch (k8s/base Role).
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';
import { kubeApiError } from './kube-api-error.js';
import { KINDLING_RESOURCES } from './kindling-resources.js';

/** Replica counts before and after a scale. */
export interface ScaleResult {
  readonly namespace: string;
  readonly name: string;
  readonly previous: number;
  readonly replicas: number;
}

/** Largest replica count scaleExecutors accepts: a typo guard, not a cluster limit. */
export const MAX_EXECUTOR_REPLICAS = 1000;

/**
 * Scales the executor StatefulSet to `replicas` (0…MAX_EXECUTOR_REPLICAS). Reads the current
 * scale first so the caller can report "2 → 4". Errors are KindlingError E_INVALID_VALUE (bad
 * count) or E_IO (RBAC, missing StatefulSet, unreachable API server).
 */
export async function scaleExecutors(
  kc: KubeConfig,
  namespace: string,
  replicas: number,
  name: string = KINDLING_RESOURCES.executorStatefulSet,
): Promise<ScaleResult> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_EXECUTOR_REPLICAS) {
    throw new KindlingError('E_INVALID_VALUE', `replicas: ${replicas} is not a whole number from 0 to ${MAX_EXECUTOR_REPLICAS}`, {
      replicas,
    });
  }
  const apps = kc.makeApiClient(AppsV1Api);
  const target = { resource: 'statefulsets/scale', apiGroup: 'apps', namespace, name } as const;
  let previous: number;
  try {
    const current = await apps.readNamespacedStatefulSetScale({ name, namespace });
    previous = current.spec?.replicas ?? current.status?.replicas ?? 0;
  } catch (err) {
    throw kubeApiError(err, { ...target, verb: 'get' });
  }
  try {
    const scaled = await apps.patchNamespacedStatefulSetScale(
      { name, namespace, body: { spec: { replicas } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return { namespace, name, previous, replicas: scaled.spec?.replicas ?? replicas };
  } catch (err) {
    throw kubeApiError(err, { ...target, verb: 'patch' });
  }
}
