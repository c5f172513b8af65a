/**
 * Cluster deploy mode against the API server: submitClusterJob creates the driver Job and its
 * job-file ConfigMap (owned by the Job, as Spark ties its driver ConfigMaps to the driver pod),
 * followClusterJob polls the Job until it succeeds or fails and returns the driver pod's log,
 * deleteClusterJob removes both. Called by `kindling submit --master k8s://ns --deploy-mode
 * cluster`. Needs jobs create/get/delete, configmaps create/delete, pods list, pods/log get.
 */
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';
import { driverJobManifest, withOwnerReference, type DriverJobOptions } from './driver-job-manifest.js';
import { httpStatusOf, kubeApiError } from './kube-api-error.js';
import { DRIVER_LABELS, labelSelector } from './kindling-resources.js';

/** What submitClusterJob created. */
export interface SubmittedClusterJob {
  readonly namespace: string;
  readonly jobName: string;
  readonly configMapName: string;
  readonly uid: string;
}

/** How a driver Job ended. */
export interface ClusterJobResult {
  readonly jobName: string;
  readonly succeeded: boolean;
  readonly podName?: string;
  /** The driver container's exit code, when it ran. */
  readonly exitCode?: number;
  /** Why it failed: the Job condition's reason (BackoffLimitExceeded, DeadlineExceeded) or the container's waiting reason (ErrImageNeverPull…). */
  readonly reason?: string;
  readonly message?: string;
  /** The driver's stdout and stderr ('' when it never started or the log is gone). */
  readonly log: string;
  /** Why the log could not be read, if it could not. */
  readonly logError?: KindlingError;
}

/** Tuning of followClusterJob. */
export interface FollowOptions {
  /** Poll interval, ms (default 2000). */
  readonly pollMs?: number;
  /** Give up after this long, ms (default: never). */
  readonly timeoutMs?: number;
  /** Called when the driver pod's phase changes (Pending → Running → Succeeded). */
  readonly onPodPhase?: (podName: string, phase: string) => void;
}

/** Container waiting reasons that never resolve by themselves for a one-shot (backoffLimit 0) Job. */
const STUCK_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError']);

/**
 * Creates the driver Job, then its ConfigMap and Service owned by the Job (the pod waits for
 * the ConfigMap volume). If either cannot be created the Job is deleted again.
 */
export async function submitClusterJob(
  kc: KubeConfig,
  namespace: string,
  options: Omit<DriverJobOptions, 'namespace'>,
): Promise<SubmittedClusterJob> {
  const { configMap, job, service } = driverJobManifest({ ...options, namespace });
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  let created: V1Job;
  try {
    created = await batch.createNamespacedJob({ namespace, body: job });
  } catch (err) {
    throw kubeApiError(err, { verb: 'create', resource: 'jobs', apiGroup: 'batch', namespace, name: options.jobName });
  }
  const configMapName = configMap.metadata!.name!;
  try {
    await core.createNamespacedConfigMap({ namespace, body: withOwnerReference(configMap, created) });
  } catch (err) {
    await batch.deleteNamespacedJob({ name: options.jobName, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    throw kubeApiError(err, { verb: 'create', resource: 'configmaps', apiGroup: '', namespace, name: configMapName });
  }
  try {
    // The driver's UI and metrics Service, deleted with the Job.
    await core.createNamespacedService({ namespace, body: withOwnerReference(service, created) });
  } catch (err) {
    await batch.deleteNamespacedJob({ name: options.jobName, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    throw kubeApiError(err, { verb: 'create', resource: 'services', apiGroup: '', namespace, name: options.jobName });
  }
  return { namespace, jobName: options.jobName, configMapName, uid: created.metadata?.uid ?? '' };
}

/** Polls a driver Job until it finishes (or its pod is stuck) and returns the outcome with the driver log. */
export async function followClusterJob(
  kc: KubeConfig,
  namespace: string,
  jobName: string,
  options: FollowOptions = {},
): Promise<ClusterJobResult> {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const pollMs = options.pollMs ?? 2000;
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  let lastPhase = '';
  for (;;) {
    let job: V1Job;
    try {
      job = await batch.readNamespacedJob({ name: jobName, namespace });
    } catch (err) {
      throw kubeApiError(err, { verb: 'get', resource: 'jobs', apiGroup: 'batch', namespace, name: jobName });
    }
    const pod = await driverPod(core, namespace, jobName);
    const podName = pod?.metadata?.name;
    const phase = pod?.status?.phase ?? '';
    if (podName && phase !== lastPhase) {
      lastPhase = phase;
      options.onPodPhase?.(podName, phase);
    }
    const outcome = jobOutcome(job);
    const container = pod?.status?.containerStatuses?.find((c) => c.name === 'driver');
    const waiting = container?.state?.waiting;
    if (outcome || (waiting?.reason && STUCK_REASONS.has(waiting.reason))) {
      const ran = container?.state?.terminated !== undefined || container?.state?.running !== undefined;
      const exitCode = container?.state?.terminated?.exitCode;
      const logs = podName && ran ? await readLog(core, namespace, podName) : { log: '' };
      const reason = outcome?.reason ?? waiting?.reason;
      const message = outcome?.message ?? waiting?.message;
      return {
        jobName,
        succeeded: outcome?.succeeded ?? false,
        ...(podName !== undefined && { podName }),
        ...(exitCode !== undefined && { exitCode }),
        ...(reason !== undefined && { reason }),
        ...(message !== undefined && { message }),
        ...logs,
      };
    }
    if (Date.now() + pollMs > deadline) {
      throw new KindlingError(
        'E_IO',
        `driver Job "${jobName}" in namespace "${namespace}" did not finish within ${options.timeoutMs} ms (pod ${podName ?? 'not created yet'}${phase ? `, ${phase}` : ''})`,
        { jobName, namespace },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Deletes a driver Job (its pod with it) and its ConfigMap; objects already gone count as deleted. */
export async function deleteClusterJob(
  kc: KubeConfig,
  namespace: string,
  jobName: string,
): Promise<{ jobDeleted: boolean; configMapDeleted: boolean }> {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const configMapName = `${jobName}-spec`;
  const gone = async (call: () => Promise<unknown>, req: Parameters<typeof kubeApiError>[1]): Promise<boolean> => {
    try {
      await call();
      return true;
    } catch (err) {
      if (httpStatusOf(err) === 404) return false;
      throw kubeApiError(err, req);
    }
  };
  const jobDeleted = await gone(() => batch.deleteNamespacedJob({ name: jobName, namespace, propagationPolicy: 'Background' }), {
    verb: 'delete',
    resource: 'jobs',
    apiGroup: 'batch',
    namespace,
    name: jobName,
  });
  const configMapDeleted = await gone(() => core.deleteNamespacedConfigMap({ name: configMapName, namespace }), {
    verb: 'delete',
    resource: 'configmaps',
    apiGroup: '',
    namespace,
    name: configMapName,
  });
  return { jobDeleted, configMapDeleted };
}

/** Succeeded/failed from the Job's conditions (Complete/Failed) or counters; undefined while running. */
function jobOutcome(job: V1Job): { succeeded: boolean; reason?: string; message?: string } | undefined {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed)
    return { succeeded: false, ...(failed.reason && { reason: failed.reason }), ...(failed.message && { message: failed.message }) };
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return { succeeded: true };
  if ((job.status?.succeeded ?? 0) > 0) return { succeeded: true };
  if ((job.status?.failed ?? 0) > 0) return { succeeded: false };
  return undefined;
}

async function driverPod(core: CoreV1Api, namespace: string, jobName: string): Promise<V1Pod | undefined> {
  const selector = labelSelector({ ...DRIVER_LABELS, 'app.kubernetes.io/instance': jobName });
  try {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
    // backoffLimit 0 means one pod; if a node loss made a second one, the newest tells the story.
    return pods.items.sort((a, b) => time(b) - time(a))[0];
  } catch (err) {
    throw kubeApiError(err, { verb: 'list', resource: 'pods', apiGroup: '', namespace });
  }
}

async function readLog(core: CoreV1Api, namespace: string, podName: string): Promise<{ log: string; logError?: KindlingError }> {
  try {
    return { log: await core.readNamespacedPodLog({ name: podName, namespace, container: 'driver' }) };
  } catch (err) {
    return { log: '', logError: kubeApiError(err, { verb: 'get', resource: 'pods/log', apiGroup: '', namespace, name: podName }) };
  }
}

function time(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
