/**
 * Names and labels of the Kubernetes objects in k8s/base, in one place: the driver-side code
 * (scale, status, watch, driver Job) finds the executors and NATS by these, and the manifest
 * tests (test/src/k8s) check that the kustomize output still carries them, so renaming a
 * label in YAML without renaming it here fails a test instead of silently finding no pods.
 */

/** Label on every Kindling object; the NetworkPolicy admits NATS clients by it. */
export const PART_OF_LABEL = { 'app.kubernetes.io/part-of': 'kindling' } as const;

/** Labels of executor pods (the StatefulSet's selector). */
export const EXECUTOR_LABELS = { 'app.kubernetes.io/name': 'kindling', 'app.kubernetes.io/component': 'executor' } as const;

/** Labels of NATS server pods. */
export const NATS_LABELS = { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/component': 'nats' } as const;

/** Labels of driver pods started by submitClusterJob (plus app.kubernetes.io/instance = the job name). */
export const DRIVER_LABELS = { 'app.kubernetes.io/name': 'kindling', 'app.kubernetes.io/component': 'driver' } as const;

/** Names of the objects k8s/base creates. */
export const KINDLING_RESOURCES = {
  executorStatefulSet: 'kindling-executor',
  natsService: 'kindling-nats',
  configMap: 'kindling-config',
  natsSecret: 'kindling-nats-auth',
  /** Key of the token inside the NATS secret. */
  natsSecretTokenKey: 'token',
  /** The NKey Secret of k8s/components/nkey (created by the operator), its seed and public-key keys. */
  natsNkeySecret: 'kindling-nats-nkey',
  natsNkeySeedKey: 'user.nk',
  natsNkeyPublicKey: 'user.pub',
  driverServiceAccount: 'kindling-driver',
} as const;

/** Port of the executor's /healthz, /readyz and /metrics (KINDLING_HEALTH_PORT). */
export const EXECUTOR_HEALTH_PORT = 4041;
/** NATS client port. */
export const NATS_CLIENT_PORT = 4222;
/** The executor's SIGTERM drain budget (KINDLING_GRACE_MS) in the manifests. */
export const EXECUTOR_GRACE_MS = 25_000;
/** Non-root uid/gid of the image (Dockerfile) and of every pod's securityContext. */
export const KINDLING_UID = 10001;

/** `key=value,…` label selector for a label set. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Label selector matching executor pods. */
export const EXECUTOR_SELECTOR = labelSelector(EXECUTOR_LABELS);
