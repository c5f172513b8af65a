/**
 * Turns failures of Kubernetes API calls into KindlingError('E_IO') messages a user can act
 * on. Every k8s/ module describes the request it made (verb, resource, namespace); a 403
 * names the Role rule that is missing, a 404 names the object, anything else keeps the API
 * server's own Status message. Exists because @kubernetes/client-node's ApiException prints
 * raw bodies and headers, and an RBAC denial is the most common first-run failure.
 */
import { ApiException } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';
import { KINDLING_RESOURCES } from './kindling-resources.js';

/** What a failed call tried to do, in RBAC terms. */
export interface KubeRequest {
  readonly verb: 'get' | 'list' | 'watch' | 'create' | 'patch' | 'delete';
  /** Resource, with a subresource if any: `pods`, `pods/log`, `statefulsets/scale`. */
  readonly resource: string;
  /** API group: '' (core), 'apps', 'batch', 'metrics.k8s.io'. */
  readonly apiGroup: string;
  readonly namespace: string;
  /** Object name, for single-object calls. */
  readonly name?: string;
}

/** The parts of a Kubernetes `Status` object an error message uses. */
interface KubeStatus {
  readonly message?: string;
  readonly reason?: string;
}

/** HTTP status of a failed client-node call, or undefined when no response came back. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const status = (err as { statusCode?: unknown } | null)?.statusCode; // Watch errors carry statusCode
  return typeof status === 'number' ? status : undefined;
}

/** Human form of a request: `list pods in namespace "ns"`. */
export function describeRequest(req: KubeRequest): string {
  const what = req.name !== undefined ? `${req.resource} "${req.name}"` : req.resource;
  const group = req.apiGroup === '' ? '' : ` (API group ${req.apiGroup})`;
  return `${req.verb} ${what}${group} in namespace "${req.namespace}"`;
}

/** The Role rule that grants a request, in the YAML a user pastes into a Role. */
export function missingRule(req: KubeRequest): string {
  return `{ apiGroups: ["${req.apiGroup}"], resources: ["${req.resource}"], verbs: ["${req.verb}"] }`;
}

/**
 * Converts any error of a Kubernetes call into a KindlingError('E_IO'). KindlingErrors pass
 * through unchanged. `details` carries the HTTP status, the request and the server's reason.
 */
export function kubeApiError(err: unknown, req: KubeRequest): KindlingError {
  if (err instanceof KindlingError) return err;
  const status = httpStatusOf(err);
  const server = statusOf(err);
  const said = server?.message ? ` The API server said: ${server.message}` : '';
  const details = { httpStatus: status, reason: server?.reason, ...req };
  const cause = err instanceof Error ? { cause: err } : undefined;
  const action = describeRequest(req);
  switch (status) {
    case undefined:
      return new KindlingError('E_IO', `cannot ${action}: the Kubernetes API server was not reached (${messageOf(err)})`, details, cause);
    case 401:
      return new KindlingError(
        'E_IO',
        `cannot ${action}: the API server rejected the credentials (401 Unauthorized); check the kubeconfig user or the pod's service account token.${said}`,
        details,
        cause,
      );
    case 403:
      return new KindlingError(
        'E_IO',
        `Kubernetes RBAC forbids: ${action} (403 Forbidden). The Role bound to this identity lacks the rule ` +
          `${missingRule(req)}; k8s/base/rbac.yaml grants it in Role "${KINDLING_RESOURCES.driverServiceAccount}" ` +
          `(bind that Role to your user or service account in namespace "${req.namespace}").${said}`,
        details,
        cause,
      );
    case 404:
      return new KindlingError(
        'E_IO',
        `cannot ${action}: not found (404). Is Kindling deployed in namespace "${req.namespace}" (kubectl apply -k k8s/overlays/…)?${said}`,
        details,
        cause,
      );
    default:
      return new KindlingError(
        'E_IO',
        `cannot ${action}: HTTP ${status}${server?.reason ? ` ${server.reason}` : ''}.${said}`,
        details,
        cause,
      );
  }
}

/** Reads the Kubernetes Status out of an ApiException body (a JSON string or an object). */
function statusOf(err: unknown): KubeStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      // Not JSON (e.g. an aggregator's plain-text "service unavailable"): keep the text.
      return body.trim() === '' ? undefined : { message: body.trim() };
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { message, reason } = parsed as Record<string, unknown>;
  return {
    ...(typeof message === 'string' && { message }),
    ...(typeof reason === 'string' && { reason }),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
