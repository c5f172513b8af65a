/**
 * Kubernetes integration of the driver: scaling and listing executors, watching executor pods
 * for deletions, and cluster deploy mode (driver Job). Every function takes a KubeConfig, so
 * tests point it at a fake API server and the CLI at the user's cluster (loadKubeConfig).
 * The manifests these functions act on live in k8s/ (kustomize); their names and labels in
 * kindling-resources.ts.
 * @module
 */
export {
  DRIVER_LABELS,
  EXECUTOR_GRACE_MS,
  EXECUTOR_HEALTH_PORT,
  EXECUTOR_LABELS,
  EXECUTOR_SELECTOR,
  KINDLING_RESOURCES,
  KINDLING_UID,
  NATS_CLIENT_PORT,
  NATS_LABELS,
  PART_OF_LABEL,
  labelSelector,
} from './kindling-resources.js';
export { kubeApiError, describeRequest, missingRule, httpStatusOf, type KubeRequest } from './kube-api-error.js';
export { parseQuantity, cpuMillicores, memoryBytes } from './quantity.js';
export { loadKubeConfig, currentNamespace } from './kube-config.js';
export { scaleExecutors, MAX_EXECUTOR_REPLICAS, type ScaleResult } from './executor-scale.js';
export {
  listExecutorPods,
  podMetrics,
  executorPodStatus,
  executorPodOf,
  type ExecutorPod,
  type ExecutorPodStatus,
  type ExecutorStatusReport,
  type PodMetricsResult,
  type PodUsage,
} from './executor-pod-status.js';
export { watchExecutorPods, type PodWatchOptions } from './executor-pod-watch.js';
export {
  driverJobManifest,
  withOwnerReference,
  clusterJobName,
  DRIVER_JOB_FILE,
  DRIVER_OUTPUT_DIR,
  DRIVER_DATA_DIR,
  DRIVER_UI_PORT,
  DRIVER_METRICS_PORT,
  DRIVER_NKEY_DIR,
  DRIVER_TLS_DIR,
  type DriverJobOptions,
  type DriverJobManifests,
} from './driver-job-manifest.js';
export {
  submitClusterJob,
  followClusterJob,
  deleteClusterJob,
  type SubmittedClusterJob,
  type ClusterJobResult,
  type FollowOptions,
} from './cluster-job.js';
