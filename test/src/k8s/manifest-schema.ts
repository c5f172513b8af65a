/**
 * Kubernetes schema validation for the k8s/ tests: renders kustomize directories with the
 * real `kubectl kustomize` and validates every object with the kubernetes-models class of its
 * apiVersion/kind (the OpenAPI schema of the API server, run locally). No cluster and no API
 * server exist on the build machine, so this is how manifests are checked before anyone
 * applies them. An object of a kind missing from MODEL_CLASSES fails, so new kinds get validated.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { KindlingError } from '@kindling/shared';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';

/** A parsed manifest: only the fields every object has are typed; tests read the rest by path. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

type ModelClass = new (data: never) => { validate(): void };

/** apiVersion/kind → the kubernetes-models class that validates it. */
export const MODEL_CLASSES: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['v1/ConfigMap', ConfigMap],
  ['v1/Namespace', Namespace],
  ['v1/Secret', Secret],
  ['v1/Service', Service],
  ['v1/ServiceAccount', ServiceAccount],
  ['apps/v1/StatefulSet', StatefulSet],
  ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['batch/v1/Job', Job],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
]);

/**
 * Validates one object against its schema; throws KindlingError E_SCHEMA naming the object and
 * the schema error (e.g. `StatefulSet kindling-executor: data/spec/replicas must be integer`).
 */
export function validateObject(obj: KubeObject): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const Model = MODEL_CLASSES.get(key);
  const name = `${obj.kind} ${obj.metadata?.name ?? '(no name)'}`;
  if (!Model) throw new KindlingError('E_SCHEMA', `${name}: no schema for ${key}; add its kubernetes-models class to MODEL_CLASSES`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new KindlingError('E_SCHEMA', `${name}: ${err instanceof Error ? err.message : String(err)}`, { kind: key });
  }
}

/** Parses a multi-document YAML stream; YAML errors throw with their line. */
export function parseManifests(text: string, source: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new KindlingError('E_SCHEMA', `${source}, document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as KubeObject | null;
    return value === null ? [] : [value];
  });
}

const INSTALL_HINT =
  'Install kubectl 1.27 or newer (it embeds kustomize v5): https://kubernetes.io/docs/tasks/tools/#kubectl ' +
  "(Debian's kubernetes-client package is kubectl 1.20 with kustomize v2, too old for k8s/).";

let checkedKubectl = false;

/** Fails unless kubectl is installed with kustomize v5 or newer (the k8s/ kustomizations use its fields). */
function checkKubectl(): void {
  if (checkedKubectl) return;
  const run = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KindlingError(
      'E_IO',
      missing
        ? `kubectl is not installed; the k8s/ manifests are rendered with \`kubectl kustomize\`. ${INSTALL_HINT}`
        : `kubectl could not run: ${run.error.message}`,
    );
  }
  let kustomize = '';
  try {
    kustomize = String((JSON.parse(run.stdout) as { kustomizeVersion?: unknown }).kustomizeVersion ?? '');
  } catch {
    // Very old kubectl without -o json: reported below as an unknown version.
  }
  const major = Number(/^v?(\d+)\./.exec(kustomize)?.[1] ?? 0);
  if (major < 5)
    throw new KindlingError('E_IO', `kubectl's kustomize is ${kustomize || 'unknown'}, k8s/ needs v5 or newer. ${INSTALL_HINT}`);
  checkedKubectl = true;
}

/**
 * Runs `kubectl kustomize <dir>` and returns the parsed objects. Fails (never skips) when
 * kubectl is missing or too old, saying how to install it.
 */
export function renderKustomize(dir: string): KubeObject[] {
  checkKubectl();
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.error) throw new KindlingError('E_IO', `kubectl kustomize ${dir} could not run: ${run.error.message}`);
  if (run.status !== 0) throw new KindlingError('E_SCHEMA', `kubectl kustomize ${dir} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return parseManifests(run.stdout, `kubectl kustomize ${dir}`);
}
