/**
 * The objects of cluster deploy mode (`kindling submit --master k8s://ns --deploy-mode
 * cluster`): a ConfigMap holding the job file and a batch/v1 Job whose one pod runs the driver,
 * `kindling submit --master $(KINDLING_MASTER) /etc/kindling/job.yaml`, against the executors
 * of k8s/base, and a Service in front of the driver pod for its web UI (4040) and Prometheus
 * metrics (9464; the pod carries the prometheus.io scrape annotations). Pure functions, so
 * tests validate the output against the Kubernetes schema; cluster-job.ts creates them.
 * Security settings match the executor StatefulSet.
 */
import type {
  V1ConfigMap,
  V1EnvVar,
  V1Job,
  V1ObjectMeta,
  V1ResourceRequirements,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';
import { DRIVER_LABELS, KINDLING_RESOURCES, KINDLING_UID, PART_OF_LABEL } from './kindling-resources.js';

/** Where the job file is mounted in the driver pod. */
export const DRIVER_JOB_FILE = '/etc/kindling/job.yaml';
/** Writable folder the driver's outputs go to (`--output /out/<jobName>`). */
export const DRIVER_OUTPUT_DIR = '/out';
/** Where `dataClaim` is mounted (read-only), matching the executors' /data. */
export const DRIVER_DATA_DIR = '/data';
/** The driver's web UI port (Spark's 4040), exposed by the driver Service. */
export const DRIVER_UI_PORT = 4040;
/** The driver's Prometheus port (`--metrics-port`), scraped through the pod's annotations. */
export const DRIVER_METRICS_PORT = 9464;
/**
 * Where `natsTlsSecret` is mounted (read-only). Not under /etc/kindling: that is the job
 * file's read-only ConfigMap volume, where the kubelet cannot make a mount point.
 */
export const DRIVER_TLS_DIR = '/etc/kindling-tls';
/** Where the seed of `natsNkeySecret` is mounted (read-only), beside DRIVER_TLS_DIR for the same reason. */
export const DRIVER_NKEY_DIR = '/etc/kindling-nkey';

/** Inputs of driverJobManifest. */
export interface DriverJobOptions {
  readonly namespace: string;
  /** Names the Job (a DNS-1123 label, ≤ 63 characters) and its ConfigMap (`<jobName>-spec`). */
  readonly jobName: string;
  /** The job file's text. Input paths in it must be absolute (e.g. /data/bank.csv). */
  readonly jobYaml: string;
  /** Kindling image, e.g. ghcr.io/acme/kindling:0.1.0 (the executors' image). */
  readonly image: string;
  /** Extra `kindling submit` flags placed before the job file, e.g. ['--conf', 'model.maxIter=20']. */
  readonly args?: readonly string[];
  /** Service account of the driver pod (default kindling-driver: watches executor pods). */
  readonly serviceAccount?: string;
  /** Secret with the NATS token under key `token` (default kindling-nats-auth). */
  readonly natsSecret?: string;
  /**
   * Secret with a NATS client certificate in cert-manager's layout (`ca.crt`, `tls.crt`,
   * `tls.key`; k8s/overlays/tls names it kindling-client-tls): mounted at DRIVER_TLS_DIR and
   * used by the driver as KINDLING_NATS_TLS_CA/CERT/KEY, as the executors of that overlay do.
   */
  readonly natsTlsSecret?: string;
  /**
   * Secret with the NATS user NKey (key `user.nk`, the seed; k8s/overlays/nkey names it
   * kindling-nats-nkey): its seed is mounted at DRIVER_NKEY_DIR and used as
   * KINDLING_NATS_NKEY_SEED instead of the token, as the executors of that overlay do.
   */
  readonly natsNkeySecret?: string;
  /** ConfigMap with KINDLING_MASTER and KINDLING_PREFIX (default kindling-config). */
  readonly configMap?: string;
  /** PVC with the input files, mounted read-only at /data. */
  readonly dataClaim?: string;
  /** PVC for outputs, mounted at /out; without it /out is an emptyDir that ends with the pod. */
  readonly outputClaim?: string;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Seconds a finished Job (and, through its owner reference, the ConfigMap) is kept (default 3600). */
  readonly ttlSecondsAfterFinished?: number;
  /** Hard limit on the driver's run time, seconds. */
  readonly activeDeadlineSeconds?: number;
  readonly resources?: V1ResourceRequirements;
}

/** The Job, ConfigMap and Service of one cluster-mode submission. */
export interface DriverJobManifests {
  readonly configMap: V1ConfigMap;
  readonly job: V1Job;
  /** Named like the Job; selects its driver pod (ports ui 4040 and metrics 9464). */
  readonly service: V1Service;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A ConfigMap holds at most 1 MiB. */
const MAX_JOB_YAML_BYTES = 1024 * 1024 - 1024;

/** Builds the ConfigMap and Job of a cluster-mode driver. Throws KindlingError E_INVALID_VALUE on bad options. */
export function driverJobManifest(o: DriverJobOptions): DriverJobManifests {
  checkName(o.jobName, 'jobName');
  checkName(o.namespace, 'namespace');
  if (o.image.trim() === '') throw invalid('image', 'is empty');
  if (o.jobYaml.trim() === '') throw invalid('jobYaml', 'is empty');
  if (Buffer.byteLength(o.jobYaml) > MAX_JOB_YAML_BYTES) throw invalid('jobYaml', 'is larger than a ConfigMap can hold (1 MiB)');

  const labels = { ...PART_OF_LABEL, ...DRIVER_LABELS, 'app.kubernetes.io/instance': o.jobName };
  const configMapName = `${o.jobName}-spec`;
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName, namespace: o.namespace, labels },
    data: { 'job.yaml': o.jobYaml },
  };

  const mounts: V1VolumeMount[] = [
    { name: 'job-spec', mountPath: '/etc/kindling', readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'out', mountPath: DRIVER_OUTPUT_DIR },
  ];
  const volumes: V1Volume[] = [
    { name: 'job-spec', configMap: { name: configMapName, items: [{ key: 'job.yaml', path: 'job.yaml' }] } },
    { name: 'tmp', emptyDir: {} },
    o.outputClaim !== undefined ? { name: 'out', persistentVolumeClaim: { claimName: o.outputClaim } } : { name: 'out', emptyDir: {} },
  ];
  if (o.dataClaim !== undefined) {
    mounts.push({ name: 'data', mountPath: DRIVER_DATA_DIR, readOnly: true });
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: o.dataClaim, readOnly: true } });
  }
  const tlsEnv: V1EnvVar[] = [];
  if (o.natsTlsSecret !== undefined) {
    checkSubdomain(o.natsTlsSecret, 'natsTlsSecret');
    mounts.push({ name: 'nats-tls', mountPath: DRIVER_TLS_DIR, readOnly: true });
    // 0440 with fsGroup: readable by the non-root user, as in the executors' overlay.
    volumes.push({ name: 'nats-tls', secret: { secretName: o.natsTlsSecret, defaultMode: 0o440 } });
    tlsEnv.push(
      { name: 'KINDLING_NATS_TLS_CA', value: `${DRIVER_TLS_DIR}/ca.crt` },
      { name: 'KINDLING_NATS_TLS_CERT', value: `${DRIVER_TLS_DIR}/tls.crt` },
      { name: 'KINDLING_NATS_TLS_KEY', value: `${DRIVER_TLS_DIR}/tls.key` },
    );
  }
  // Who the driver is to NATS: the token of natsSecret, or the seed of natsNkeySecret.
  const authEnv: V1EnvVar[] = [];
  if (o.natsNkeySecret !== undefined) {
    checkSubdomain(o.natsNkeySecret, 'natsNkeySecret');
    if (o.natsSecret !== undefined) throw invalid('natsSecret', 'and natsNkeySecret both choose how the driver authenticates: give one');
    mounts.push({ name: 'nats-nkey', mountPath: DRIVER_NKEY_DIR, readOnly: true });
    volumes.push({
      name: 'nats-nkey',
      secret: {
        secretName: o.natsNkeySecret,
        items: [{ key: KINDLING_RESOURCES.natsNkeySeedKey, path: KINDLING_RESOURCES.natsNkeySeedKey }],
        defaultMode: 0o440,
      },
    });
    authEnv.push({ name: 'KINDLING_NATS_NKEY_SEED', value: `${DRIVER_NKEY_DIR}/${KINDLING_RESOURCES.natsNkeySeedKey}` });
  } else {
    authEnv.push({
      name: 'KINDLING_NATS_TOKEN',
      valueFrom: { secretKeyRef: { name: o.natsSecret ?? KINDLING_RESOURCES.natsSecret, key: KINDLING_RESOURCES.natsSecretTokenKey } },
    });
  }
  const configMapRef = o.configMap ?? KINDLING_RESOURCES.configMap;

  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.jobName, namespace: o.namespace, labels },
    spec: {
      // One attempt: a failed driver is reported, not silently re-run against the same output.
      backoffLimit: 0,
      ttlSecondsAfterFinished: o.ttlSecondsAfterFinished ?? 3600,
      ...(o.activeDeadlineSeconds !== undefined && { activeDeadlineSeconds: o.activeDeadlineSeconds }),
      template: {
        metadata: {
          labels,
          // The conventional scrape annotations (as on the executors): Prometheus finds the driver.
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(DRIVER_METRICS_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: o.serviceAccount ?? KINDLING_RESOURCES.driverServiceAccount,
          restartPolicy: 'Never',
          // Service links would inject KINDLING_NATS_* variables next to the real settings.
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: KINDLING_UID,
            runAsGroup: KINDLING_UID,
            fsGroup: KINDLING_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'driver',
              image: o.image,
              ...(o.imagePullPolicy !== undefined && { imagePullPolicy: o.imagePullPolicy }),
              args: [
                'submit',
                '--master',
                '$(KINDLING_MASTER)',
                '--output',
                `${DRIVER_OUTPUT_DIR}/${o.jobName}`,
                '--no-progress',
                // Bound on all interfaces: Prometheus and the Service reach the pod by its IP.
                '--metrics-port',
                String(DRIVER_METRICS_PORT),
                '--metrics-host',
                '0.0.0.0',
                ...(o.args ?? []),
                DRIVER_JOB_FILE,
              ],
              env: [
                { name: 'KINDLING_MASTER', valueFrom: { configMapKeyRef: { name: configMapRef, key: 'KINDLING_MASTER' } } },
                { name: 'KINDLING_PREFIX', valueFrom: { configMapKeyRef: { name: configMapRef, key: 'KINDLING_PREFIX', optional: true } } },
                ...authEnv,
                ...tlsEnv,
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'KINDLING_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [
                { name: 'ui', containerPort: DRIVER_UI_PORT },
                { name: 'metrics', containerPort: DRIVER_METRICS_PORT },
              ],
              resources: o.resources ?? {
                requests: { cpu: '500m', memory: '1Gi' },
                limits: { cpu: '2', memory: '2Gi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.jobName, namespace: o.namespace, labels },
    spec: {
      type: 'ClusterIP',
      // Only this Job's driver pod: another driver in the namespace has another instance label.
      selector: { ...DRIVER_LABELS, 'app.kubernetes.io/instance': o.jobName },
      ports: [
        { name: 'ui', port: DRIVER_UI_PORT, targetPort: 'ui' },
        { name: 'metrics', port: DRIVER_METRICS_PORT, targetPort: 'metrics' },
      ],
    },
  };
  return { configMap, job, service };
}

/**
 * Returns the object (the ConfigMap, the Service) owned by the created Job, so Kubernetes
 * deletes it with the Job (TTL or deleteClusterJob). Spark on Kubernetes ties its driver
 * ConfigMaps to the driver the same way.
 */
export function withOwnerReference<T extends { metadata?: V1ObjectMeta }>(object: T, job: V1Job): T {
  const name = job.metadata?.name;
  const uid = job.metadata?.uid;
  if (!name || !uid) throw new KindlingError('E_INTERNAL', 'the created Job has no name or uid to own its objects');
  return {
    ...object,
    metadata: { ...object.metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid }] },
  };
}

/**
 * A Job name for a job spec name: `kindling-<name>-<base36 time>`, lower-cased, invalid
 * characters replaced, at most 63 characters. `now` is a parameter so callers and tests
 * get stable names.
 */
export function clusterJobName(specName: string, now: number = Date.now()): string {
  const suffix = Math.floor(now).toString(36);
  const stem = specName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = 63 - 'kindling-'.length - suffix.length - 1;
  const cut = stem.slice(0, room).replace(/-+$/, '');
  return cut === '' ? `kindling-${suffix}` : `kindling-${cut}-${suffix}`;
}

function checkName(value: string, field: string): void {
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    throw invalid(field, `"${value}" is not a DNS-1123 label (lower-case letters, digits and -, at most 63 characters)`);
  }
}

/** Object names such as a Secret's: DNS-1123 subdomains (labels joined by dots, ≤ 253 characters). */
function checkSubdomain(value: string, field: string): void {
  if (value.length > 253 || !value.split('.').every((label) => DNS_LABEL.test(label))) {
    throw invalid(field, `"${value}" is not a DNS-1123 subdomain (lower-case letters, digits, - and ., at most 253 characters)`);
  }
}

function invalid(field: string, why: string): KindlingError {
  return new KindlingError('E_INVALID_VALUE', `driver Job ${field}: ${why}`, { field });
}
