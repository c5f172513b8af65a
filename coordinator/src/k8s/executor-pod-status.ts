/**
 * What `kindling executors --master k8s://ns` prints from the Kubernetes side: every executor
 * pod with its phase, readiness, restarts and node, merged with metrics-server's CPU and
 * memory usage (what `kubectl top pods` shows). A cluster without metrics-server still gets
 * the pod list, with `metricsAvailable: false` and the reason. metrics.k8s.io is read through
 * CustomObjectsApi rather than client-node's `Metrics` class because `Metrics` reports a
 * non-JSON 503 from the API aggregator as a 500, hiding that metrics-server is down.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type PodMetricsList, type V1Pod } from '@kubernetes/client-node';
import { httpStatusOf, kubeApiError } from './kube-api-error.js';
import { EXECUTOR_SELECTOR } from './kindling-resources.js';
import { cpuMillicores, memoryBytes } from './quantity.js';

/** One executor pod as the API server sees it. */
export interface ExecutorPod {
  readonly name: string;
  /** Pending, Running, Succeeded, Failed or Unknown. */
  readonly phase: string;
  /** The pod's Ready condition (the executor's /readyz passed). */
  readonly ready: boolean;
  /** Restarts summed over the pod's containers. */
  readonly restarts: number;
  readonly node?: string;
  /** Deletion requested: the executor is draining. */
  readonly terminating: boolean;
}

/** Usage of one pod, summed over its containers. */
export interface PodUsage {
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
}

/** metrics.k8s.io pod usage, or why there is none. */
export type PodMetricsResult =
  { readonly available: true; readonly pods: ReadonlyMap<string, PodUsage> } | { readonly available: false; readonly reason: string };

/** An executor pod with its usage when metrics-server reported it. */
export interface ExecutorPodStatus extends ExecutorPod {
  readonly cpuMillicores?: number;
  readonly memoryBytes?: number;
}

/** Result of executorPodStatus. */
export interface ExecutorStatusReport {
  readonly namespace: string;
  /** Sorted by name, ordinals numerically (executor-2 before executor-10). */
  readonly pods: readonly ExecutorPodStatus[];
  readonly metricsAvailable: boolean;
  /** Why metrics are missing, when metricsAvailable is false. */
  readonly reason?: string;
}

/** Lists executor pods (label selector EXECUTOR_SELECTOR unless given). Needs pods list. */
export async function listExecutorPods(
  kc: KubeConfig,
  namespace: string,
  labelSelector: string = EXECUTOR_SELECTOR,
): Promise<ExecutorPod[]> {
  try {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
    return list.items.map(executorPodOf).sort((a, b) => compareNames(a.name, b.name));
  } catch (err) {
    throw kubeApiError(err, { verb: 'list', resource: 'pods', apiGroup: '', namespace });
  }
}

/**
 * Reads pod usage from metrics.k8s.io. A 404 (no metrics APIService) or 503 (metrics-server
 * not serving) is not an error: it returns `available: false` with the reason. RBAC denials
 * and other failures throw KindlingError E_IO.
 */
export async function podMetrics(kc: KubeConfig, namespace: string, labelSelector: string = EXECUTOR_SELECTOR): Promise<PodMetricsResult> {
  let list: PodMetricsList;
  try {
    list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace,
      plural: 'pods',
      labelSelector,
    })) as PodMetricsList;
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 404) return { available: false, reason: 'metrics-server is not installed (metrics.k8s.io returned 404)' };
    if (status === 503) return { available: false, reason: 'metrics-server is not available (metrics.k8s.io returned 503)' };
    throw kubeApiError(err, { verb: 'list', resource: 'pods', apiGroup: 'metrics.k8s.io', namespace });
  }
  const pods = new Map<string, PodUsage>();
  for (const item of list.items ?? []) {
    let cpu = 0;
    let memory = 0;
    for (const c of item.containers ?? []) {
      cpu += cpuMillicores(c.usage.cpu);
      memory += memoryBytes(c.usage.memory);
    }
    pods.set(item.metadata.name, { cpuMillicores: cpu, memoryBytes: memory });
  }
  return { available: true, pods };
}

/** Executor pods merged with their usage; metrics absence is reported, not thrown. */
export async function executorPodStatus(
  kc: KubeConfig,
  namespace: string,
  labelSelector: string = EXECUTOR_SELECTOR,
): Promise<ExecutorStatusReport> {
  const [pods, metrics] = await Promise.all([listExecutorPods(kc, namespace, labelSelector), podMetrics(kc, namespace, labelSelector)]);
  if (!metrics.available) return { namespace, pods, metricsAvailable: false, reason: metrics.reason };
  return {
    namespace,
    pods: pods.map((p) => {
      const usage = metrics.pods.get(p.name);
      return usage ? { ...p, ...usage } : p;
    }),
    metricsAvailable: true,
  };
}

/** The fields of a V1Pod that executor listings show. */
export function executorPodOf(pod: V1Pod): ExecutorPod {
  const status = pod.status;
  const node = pod.spec?.nodeName;
  return {
    name: pod.metadata?.name ?? '',
    phase: status?.phase ?? 'Unknown',
    ready: status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: (status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(node !== undefined && { node }),
    terminating: pod.metadata?.deletionTimestamp != null,
  };
}

/** Orders StatefulSet pod names by their ordinal when they share a prefix. */
function compareNames(a: string, b: string): number {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}
