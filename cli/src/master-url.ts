/**
 * Master URL parsing for `kindling submit --master`: the spark-submit forms Kindling accepts
 * (`local`, `local[N]`, `local[*]`) plus its own cluster forms (`nats://host:port`,
 * `k8s://namespace`). Pure; the submit command decides which kinds this version can run.
 */
import os from 'node:os';
import { KindlingError } from '@kindling/shared/compute';

/** Where a job runs: in-process threads, executors reached over NATS, or a Kubernetes namespace. */
export type Master =
  | { readonly kind: 'local'; readonly threads: number }
  | { readonly kind: 'nats'; readonly url: string }
  | { readonly kind: 'k8s'; readonly namespace: string };

const FORMS = 'expected local, local[N], local[*], nats://host[:port] or k8s://namespace';

/**
 * Parses a master URL. `local` is one thread, `local[*]` one per core
 * (os.availableParallelism()). Throws KindlingError E_INVALID_VALUE naming the bad value.
 */
export function parseMaster(url: string): Master {
  const text = url.trim();
  if (text === 'local') return { kind: 'local', threads: 1 };
  const local = /^local\[(.*)\]$/.exec(text);
  if (local) {
    const inside = local[1]!.trim();
    if (inside === '*') return { kind: 'local', threads: os.availableParallelism() };
    if (/^\d+$/.test(inside) && Number(inside) >= 1 && Number(inside) <= 4096) {
      return { kind: 'local', threads: Number(inside) };
    }
    if (inside.includes(',')) {
      throw invalid(url, 'local[N,F] (task retries in local mode) is not supported; use local[N]');
    }
    throw invalid(url, 'the thread count must be * or an integer from 1 to 4096');
  }
  if (/^nats:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw invalid(url, 'expected nats://host[:port]');
    }
    if (!parsed.hostname) throw invalid(url, 'expected nats://host[:port]');
    if (parsed.pathname && parsed.pathname !== '/') throw invalid(url, 'a NATS URL has no path; expected nats://host[:port]');
    return { kind: 'nats', url: text };
  }
  if (/^k8s:\/\//i.test(text)) {
    const namespace = text.slice('k8s://'.length).replace(/\/$/, '') || 'default';
    // A Kubernetes namespace is a DNS-1123 label.
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
      throw invalid(url, `"${namespace}" is not a Kubernetes namespace name; expected k8s://namespace`);
    }
    return { kind: 'k8s', namespace };
  }
  throw invalid(url, FORMS);
}

function invalid(url: string, why: string): KindlingError {
  return new KindlingError('E_INVALID_VALUE', `invalid master URL "${url}": ${why}`, { master: url });
}
