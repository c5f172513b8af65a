// No Kubernetes API server runs on this machine: these tests drive the real @kubernetes/client-node
// Watch against fake-kube-api.ts, a local HTTP server streaming newline-delimited JSON watch events.
import t from 'tap';
import type { KindlingError } from '@kindling/shared';
import { watchExecutorPods } from '../../src/k8s/executor-pod-watch.js';
import { kubeStatus, podJson, podListJson, startFakeKubeApi, startWatchStream } from './fake-kube-api.js';

const PODS = '/api/v1/namespaces/ns/pods';

/** Collects callback values and lets a test await the n-th one. */
function collector<T>(): { items: T[]; push: (v: T) => void; next: (n: number) => Promise<T[]> } {
  const items: T[] = [];
  const waiters: Array<{ n: number; resolve: (v: T[]) => void }> = [];
  return {
    items,
    push(v) {
      items.push(v);
      for (const w of waiters.filter((w) => items.length >= w.n)) w.resolve(items.slice());
    },
    next(n) {
      return items.length >= n ? Promise.resolve(items.slice()) : new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

t.test('executor-pod-watch: a DELETED event reports the pod at once', async (t) => {
  const api = await startFakeKubeApi([
    {
      method: 'GET',
      path: PODS,
      watch: false,
      handle: () => ({ json: podListJson('100', [podJson('kindling-executor-0'), podJson('kindling-executor-1')]) }),
    },
    {
      method: 'GET',
      path: PODS,
      watch: true,
      handle: (_req, res) => {
        const send = startWatchStream(res);
        send('MODIFIED', podJson('kindling-executor-0', { ready: false }));
        send('DELETED', podJson('kindling-executor-1'));
        return undefined; // the stream stays open, as a real watch does
      },
    },
  ]);
  t.teardown(() => api.close());
  const deleted = collector<string>();
  const errors = collector<KindlingError>();
  const stop = watchExecutorPods(api.kubeConfig(), 'ns', deleted.push, errors.push);
  t.teardown(stop);

  t.same(await deleted.next(1), ['kindling-executor-1']);
  stop();
  t.same(errors.items, []);
  const watchReq = api.requests.find((r) => r.query.get('watch') === 'true')!;
  t.equal(watchReq.query.get('resourceVersion'), '100', 'the watch starts at the list resourceVersion');
  t.equal(watchReq.query.get('labelSelector'), 'app.kubernetes.io/name=kindling,app.kubernetes.io/component=executor');
});

t.test('executor-pod-watch: a dropped watch re-lists, reports pods lost in the gap, and watches again', async (t) => {
  let lists = 0;
  let watches = 0;
  const api = await startFakeKubeApi([
    {
      method: 'GET',
      path: PODS,
      watch: false,
      handle: () => {
        lists++;
        // executor-1 vanished while no watch was running: only the re-list can tell.
        const items = lists === 1 ? [podJson('kindling-executor-0'), podJson('kindling-executor-1')] : [podJson('kindling-executor-0')];
        return { json: podListJson(lists === 1 ? '100' : '200', items) };
      },
    },
    {
      method: 'GET',
      path: PODS,
      watch: true,
      handle: (_req, res) => {
        watches++;
        const send = startWatchStream(res);
        if (watches === 1) {
          send('MODIFIED', podJson('kindling-executor-0'));
          setImmediate(() => res.socket?.destroy()); // connection lost mid-stream
        } else {
          send('DELETED', podJson('kindling-executor-0'));
        }
        return undefined;
      },
    },
  ]);
  t.teardown(() => api.close());
  const deleted = collector<string>();
  const errors = collector<KindlingError>();
  const synced = collector<readonly string[]>();
  const stop = watchExecutorPods(api.kubeConfig(), 'ns', deleted.push, errors.push, { initialBackoffMs: 5, onSynced: synced.push });
  t.teardown(stop);

  t.same(await deleted.next(2), ['kindling-executor-1', 'kindling-executor-0']);
  stop();
  t.same(synced.items, [['kindling-executor-0', 'kindling-executor-1'], ['kindling-executor-0']]);
  t.equal(errors.items.length, 1, 'the drop is reported once');
  t.equal(errors.items[0]?.code, 'E_IO');
  t.match(errors.items[0]?.message, /watch pods in namespace "ns"/);
  const order = api.requests.map((r) => (r.query.get('watch') === 'true' ? `watch@${r.query.get('resourceVersion')}` : 'list'));
  t.same(order, ['list', 'watch@100', 'list', 'watch@200']);
});

t.test('executor-pod-watch: an expired resourceVersion (ERROR 410 event) starts over from a fresh list', async (t) => {
  let watches = 0;
  const api = await startFakeKubeApi([
    {
      method: 'GET',
      path: PODS,
      watch: false,
      handle: () => ({ json: podListJson(String(100 + watches), [podJson('kindling-executor-0')]) }),
    },
    {
      method: 'GET',
      path: PODS,
      watch: true,
      handle: (_req, res) => {
        watches++;
        const send = startWatchStream(res);
        if (watches === 1) send('ERROR', kubeStatus(410, 'Expired', 'too old resource version: 100 (150)').json);
        else send('DELETED', podJson('kindling-executor-0'));
        return undefined;
      },
    },
  ]);
  t.teardown(() => api.close());
  const deleted = collector<string>();
  const errors = collector<KindlingError>();
  const stop = watchExecutorPods(api.kubeConfig(), 'ns', deleted.push, errors.push, { initialBackoffMs: 5 });
  t.teardown(stop);
  t.same(await deleted.next(1), ['kindling-executor-0']);
  stop();
  t.same(errors.items, [], 'an expired watch is routine, not an error');
  t.same(
    api.requests.map((r) => r.query.get('watch') ?? 'list'),
    ['list', 'true', 'list', 'true'],
  );
});

t.test('executor-pod-watch: a forbidden watch is reported with the missing rule and retried with backoff', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'GET', path: PODS, watch: false, handle: () => ({ json: podListJson('1', []) }) },
    {
      method: 'GET',
      path: PODS,
      watch: true,
      handle: () => kubeStatus(403, 'Forbidden', 'pods is forbidden: cannot watch resource "pods"'),
    },
  ]);
  t.teardown(() => api.close());
  const errors = collector<KindlingError>();
  const stop = watchExecutorPods(api.kubeConfig(), 'ns', () => t.fail('nothing was deleted'), errors.push, {
    initialBackoffMs: 5,
    maxBackoffMs: 10,
  });
  t.teardown(stop);
  const [first, second] = await errors.next(2);
  stop();
  t.match(first?.message, /RBAC forbids: watch pods in namespace "ns".*verbs: \["watch"\]/);
  t.equal(second?.code, 'E_IO', 'it keeps retrying until stopped');
});

t.test('executor-pod-watch: stop ends the watch and no callback fires afterwards', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'GET', path: PODS, watch: false, handle: () => ({ json: podListJson('5', [podJson('kindling-executor-0')]) }) },
    { method: 'GET', path: PODS, watch: true, handle: (_req, res) => void startWatchStream(res) },
  ]);
  t.teardown(() => api.close());
  const synced = collector<readonly string[]>();
  const stop = watchExecutorPods(
    api.kubeConfig(),
    'ns',
    () => t.fail('no deletion'),
    (e) => t.fail(`no error: ${e.message}`),
    { onSynced: synced.push },
  );
  await synced.next(1);
  while (!api.requests.some((r) => r.query.get('watch') === 'true')) await new Promise((r) => setImmediate(r));
  stop();
  await api.close();
  t.equal(api.requests.length, 2, 'no re-list after stop');
});
