/**
 * The Pod Security Standard "restricted" profile as a check on a pod spec, for the k8s/ tests
 * (manifests and the driver Job built by code). The overlays' namespace enforces this profile,
 * so a pod that breaks it would be rejected by the API server; no API server runs on the
 * build machine, so the tests check it here. Returns readable violations instead of throwing.
 */
import type { IPodSpec } from 'kubernetes-models/v1';

/** Volume types "restricted" allows. */
const ALLOWED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * Lists how a pod spec breaks the restricted profile, plus Kindling's own rules (read-only
 * root filesystem, no service links); an empty list means it complies.
 */
export function restrictedPodViolations(owner: string, spec: IPodSpec): string[] {
  const out: string[] = [];
  const sc = spec.securityContext;
  if (sc?.runAsNonRoot !== true) out.push(`${owner}: securityContext.runAsNonRoot is not true`);
  if (sc?.runAsUser === 0) out.push(`${owner}: runs as uid 0`);
  if (sc?.seccompProfile?.type !== 'RuntimeDefault' && sc?.seccompProfile?.type !== 'Localhost')
    out.push(`${owner}: seccompProfile is not RuntimeDefault`);
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push(`${owner}: uses a host namespace`);
  if (spec.enableServiceLinks !== false)
    out.push(`${owner}: enableServiceLinks is not false (service links inject KINDLING_NATS_* / KINDLING_EXECUTOR_* variables)`);
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name') ?? '(none)';
    if (!ALLOWED_VOLUMES.has(type)) out.push(`${owner}: volume ${v.name} is a ${type}, not allowed by "restricted"`);
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const where = `${owner}/${c.name}`;
    const csc = c.securityContext;
    if (csc?.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
    if (csc?.readOnlyRootFilesystem !== true) out.push(`${where}: readOnlyRootFilesystem is not true`);
    if (JSON.stringify(csc?.capabilities?.drop) !== '["ALL"]') out.push(`${where}: capabilities.drop is not ["ALL"]`);
    if ((csc?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) out.push(`${where}: adds capabilities`);
    if (csc?.privileged) out.push(`${where}: privileged`);
    if (csc?.runAsUser === 0 || csc?.runAsNonRoot === false) out.push(`${where}: runs as root`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${where}: hostPort ${p.hostPort}`);
  }
  return out;
}
