/**
 * Watches executor pods so the driver learns of a deleted pod at once instead of waiting for
 * the heartbeat deadline (design.md, Faults and elasticity). List-then-watch from the list's
 * resourceVersion; when the watch drops or expires (410 Gone), it re-lists, reports every pod
 * that vanished in the gap as deleted, and watches again, backing off after failures. Called
 * by the driver in k8s mode; needs pods list + watch (k8s/base Role).
 */
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { KindlingError } from '@kindling/shared';
import { kubeApiError } from './kube-api-error.js';
import { EXECUTOR_SELECTOR } from './kindling-resources.js';

/** Tuning of watchExecutorPods. */
export interface PodWatchOptions {
  /** Pods to watch (default: executor pods). */
  readonly labelSelector?: string;
  /** First retry delay after a failure, ms (default 500); doubles per failure. */
  readonly initialBackoffMs?: number;
  /** Retry delay cap, ms (default 30000). */
  readonly maxBackoffMs?: number;
  /** Called after each successful (re-)list with the names of the pods present. */
  readonly onSynced?: (podNames: readonly string[]) => void;
}

/**
 * Starts watching executor pods in `namespace`. `onDeleted` gets each deleted pod's name once
 * per deletion (from a DELETED event, or from a re-list that no longer shows it); `onError`
 * gets every failure (E_IO, e.g. RBAC or a dropped connection), after which the watcher
 * retries by itself. Returns a function that stops watching.
 */
export function watchExecutorPods(
  kc: KubeConfig,
  namespace: string,
  onDeleted: (podName: string) => void,
  onError: (err: KindlingError) => void,
  options: PodWatchOptions = {},
): () => void {
  const labelSelector = options.labelSelector ?? EXECUTOR_SELECTOR;
  const initialMs = options.initialBackoffMs ?? 500;
  const maxMs = options.maxBackoffMs ?? 30_000;
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;

  let stopped = false;
  let listed = false;
  let known = new Set<string>();
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  /** Set when we abort the watch ourselves (ERROR event or stop), so its AbortError is not a failure. */
  let abortedByUs = false;

  const guarded = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      // client-node's Watch swallows callback exceptions; route them to onError instead.
      try {
        onError(
          err instanceof KindlingError
            ? err
            : new KindlingError('E_INTERNAL', `pod watch callback failed: ${String(err)}`, {}, { cause: err }),
        );
      } catch {
        // onError itself threw: nothing is left to tell, and the watcher must keep running.
      }
    }
  };
  const deleted = (name: string): void => guarded(() => onDeleted(name));
  const fail = (err: KindlingError): void => {
    guarded(() => onError(err));
    failures++;
    schedule(Math.min(maxMs, initialMs * 2 ** (failures - 1)));
  };
  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void cycle(), ms);
  };

  const cycle = async (): Promise<void> => {
    if (stopped) return;
    let resourceVersion: string | undefined;
    try {
      const list = await core.listNamespacedPod({ namespace, labelSelector });
      if (stopped) return;
      const present = new Set(list.items.map((p) => p.metadata?.name ?? '').filter((n) => n !== ''));
      if (listed) for (const name of known) if (!present.has(name)) deleted(name);
      known = present;
      listed = true;
      resourceVersion = list.metadata?.resourceVersion;
      const names = [...present];
      if (options.onSynced) guarded(() => options.onSynced!(names));
    } catch (err) {
      if (!stopped) fail(kubeApiError(err, { verb: 'list', resource: 'pods', apiGroup: '', namespace }));
      return;
    }

    abortedByUs = false;
    const query = { labelSelector, allowWatchBookmarks: true, ...(resourceVersion !== undefined && { resourceVersion }) };
    const onEvent = (type: string, pod: V1Pod): void => {
      if (type === 'ERROR') {
        // Typically 410 Gone (resourceVersion too old): start over from a fresh list.
        abortedByUs = true;
        controller?.abort();
        return;
      }
      const name = pod?.metadata?.name;
      if (type === 'BOOKMARK' || !name) return;
      failures = 0;
      if (type === 'DELETED') {
        known.delete(name);
        deleted(name);
      } else {
        known.add(name);
      }
    };
    const onDone = (err: unknown): void => {
      if (stopped) return;
      if (err && !abortedByUs) {
        fail(kubeApiError(err, { verb: 'watch', resource: 'pods', apiGroup: '', namespace }));
      } else {
        schedule(initialMs); // the server ended the watch (its timeout) or we did: re-list
      }
    };
    try {
      const c = await watch.watch(path, query, onEvent, onDone);
      controller = c;
      if (stopped || abortedByUs) c.abort(); // an ERROR event may have come before the controller
    } catch (err) {
      // Only reachable when the kubeconfig cannot be applied (e.g. an exec credential plugin failed).
      if (!stopped) fail(kubeApiError(err, { verb: 'watch', resource: 'pods', apiGroup: '', namespace }));
    }
  };

  void cycle();
  return () => {
    if (stopped) return;
    stopped = true;
    abortedByUs = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}
