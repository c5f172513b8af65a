// No Kubernetes API server (and no metrics-server) runs on this machine: the real
// @kubernetes/client-node reads metrics.k8s.io from fake-kube-api.ts, a local HTTP server with
// the API's response shapes. What is tested is the path from its PodMetricsList to the
// Executors page: the driver's sampler, the event-log record, the read model and the chart.
import t from 'tap';
import { EventBus } from '../../src/events/event-bus.js';
import { podMetrics } from '../../src/k8s/executor-pod-status.js';
import type { Logger } from '../../src/logger.js';
import { DriverObserver } from '../../src/ui/driver-observer.js';
import { renderPage } from '../../src/ui/ui-pages.js';
import { startFakeKubeApi, type Route } from './fake-kube-api.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet } as unknown as Logger;

function usage(name: string, cpu: string, memory: string): unknown {
  return {
    metadata: { name, namespace: 'ns', labels: { 'app.kubernetes.io/component': 'executor' } },
    timestamp: '2025-01-01T00:00:45Z',
    window: '15s',
    containers: [{ name: 'executor', usage: { cpu, memory } }],
  };
}

t.test('pod usage: metrics-server figures become the Executors page CPU and memory series', async (t) => {
  let calls = 0;
  const samples: Array<Array<[string, string, string]>> = [
    [
      ['kindling-executor-0', '250m', '512Mi'],
      ['kindling-executor-1', '1500m', '1Gi'],
    ],
    [
      ['kindling-executor-0', '1', '600Mi'],
      ['kindling-executor-1', '2', '1100Mi'],
    ],
  ];
  const route: Route = {
    method: 'GET',
    path: '/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods',
    handle: () => {
      const s = samples[Math.min(calls++, samples.length - 1)]!;
      return {
        json: { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: s.map(([n, c, m]) => usage(n, c, m)) },
      };
    },
  };
  const api = await startFakeKubeApi([route]);
  t.teardown(() => api.close());
  const events = new EventBus();
  const obs = await DriverObserver.start({
    events,
    header: { name: 'k8s-job', master: 'k8s://ns', conf: {}, spec: {} },
    logger: quiet,
    historyDir: false,
    ui: false,
  });
  t.teardown(() => obs.close());
  const kc = api.kubeConfig();
  obs.watchPodUsage(async () => {
    const m = await podMetrics(kc, 'ns');
    return m.available
      ? new Map([...m.pods].map(([pod, u]) => [pod, { cpuCores: u.cpuMillicores / 1000, memoryBytes: u.memoryBytes }]))
      : undefined;
  }, 20);
  while ((obs.store.executors.get('kindling-executor-1')?.podCpu.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 10));
  const e1 = obs.store.executors.get('kindling-executor-1')!;
  t.same(
    e1.podCpu.slice(0, 2).map(([, c]) => c),
    [1.5, 2],
    'cores as metrics-server reported them',
  );
  t.same(
    e1.podMemory.slice(0, 2).map(([, b]) => b),
    [2 ** 30, 1100 * 2 ** 20],
    'working-set bytes',
  );
  const page = renderPage(obs.store, { page: 'executors' }).body.text;
  t.match(page, /id="cpu-chart"/);
  t.match(page, /Executor CPU \(cores, from metrics-server\)/);
  t.match(page, /pod working set/);
});

t.test('executor CPU from heartbeats: the rate of CPU time between beats; a restart starts afresh', async (t) => {
  const events = new EventBus();
  const obs = await DriverObserver.start({
    events,
    header: { name: 'nats-job', master: 'nats://127.0.0.1:4222', conf: {}, spec: {} },
    logger: quiet,
    historyDir: false,
    ui: false,
  });
  t.teardown(() => obs.close());
  const beats = [
    { sentAt: 10_000, cpuMillis: 500 },
    { sentAt: 12_000, cpuMillis: 3_500 }, // 3 s of CPU in 2 s: 1.5 cores
    { sentAt: 14_000, cpuMillis: 4_500 }, // 0.5 cores
    { sentAt: 16_000, cpuMillis: 100 }, // restarted: no rate
    { sentAt: 18_000, cpuMillis: 2_100 }, // 1 core
  ];
  for (const b of beats)
    obs.store.apply({
      event: 'executor-heartbeat',
      ts: b.sentAt,
      executorId: 'e0',
      slots: 2,
      runningTasks: 1,
      cachedBlocks: 0,
      cachedBytes: 0,
      rssBytes: 1e8,
      draining: false,
      ...b,
    });
  t.same(
    obs.store.executors.get('e0')!.cpu.map(([, c]) => c),
    [1.5, 0.5, 1],
  );
  t.match(renderPage(obs.store, { page: 'executors' }).body.text, /Executor CPU \(cores, from heartbeats\)/);
});
