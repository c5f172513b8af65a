import t from 'tap';
import { ExecutorMetrics } from '../src/executor-metrics.js';
import type { ThreadHeap } from '../src/pool/thread-heaps.js';
import { startHealthServer, type Readiness } from '../src/health-server.js';

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

t.test('health-server: answers /healthz, /readyz and /metrics', async (t) => {
  let readiness: Readiness = { ready: false, reason: 'connecting to NATS (nats://127.0.0.1:1)' };
  let running = 0;
  let cache = { blocks: 0, bytes: 0 };
  let jobs = 0;
  let threadHeaps: ThreadHeap[] = [
    { threadId: 1, heapUsedBytes: 5_000_000, heapTotalBytes: 8_000_000, externalBytes: 2_000_000 },
    { threadId: 2, heapUsedBytes: 6_000_000, heapTotalBytes: 9_000_000, externalBytes: 3_000_000 },
  ];
  const collects: boolean[] = [];
  const metrics = new ExecutorMetrics(
    { runningTasks: () => running, cache: () => cache, jobs: () => jobs, threadHeaps: () => threadHeaps },
    { executor: 'exec-test' },
  );
  const server = await startHealthServer(
    {
      readiness: () => readiness,
      metrics: ({ collect }) => {
        collects.push(collect);
        return metrics.render();
      },
    },
    { port: 0, host: '127.0.0.1' },
  );
  t.teardown(() => server.close());
  t.ok(server.port > 0, 'port 0 binds a free port and reports it');

  t.same(await get(server.port, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });

  const before = await get(server.port, '/readyz');
  t.equal(before.status, 503);
  t.equal(before.body, 'not ready: connecting to NATS (nats://127.0.0.1:1)\n');

  readiness = { ready: true };
  t.equal((await get(server.port, '/readyz')).status, 200);

  readiness = { ready: false, reason: 'draining (shutting down)' };
  const draining = await get(server.port, '/readyz');
  t.equal(draining.status, 503);
  t.match(draining.body, /draining/);
  t.equal((await get(server.port, '/healthz')).status, 200, 'a draining executor is still alive');

  metrics.taskStarted('csv-infer');
  metrics.taskStarted('csv-infer');
  metrics.taskSucceeded('csv-infer');
  metrics.taskFailed('csv-infer', 'E_CSV_MALFORMED');
  running = 2;
  cache = { blocks: 3, bytes: 4096 };
  jobs = 2;
  const m = await get(server.port, '/metrics');
  t.equal(m.status, 200);
  t.match(m.type, /^text\/plain; version=0\.0\.4/);
  t.match(m.body, /kindling_executor_tasks_started_total\{op="csv-infer",executor="exec-test"\} 2/);
  t.match(m.body, /kindling_executor_tasks_succeeded_total\{op="csv-infer",executor="exec-test"\} 1/);
  t.match(m.body, /kindling_executor_tasks_failed_total\{op="csv-infer",code="E_CSV_MALFORMED",executor="exec-test"\} 1/);
  t.match(m.body, /kindling_executor_running_tasks\{executor="exec-test"\} 2/);
  t.match(m.body, /kindling_executor_cached_bytes\{executor="exec-test"\} 4096/);
  t.match(m.body, /kindling_executor_cached_blocks\{executor="exec-test"\} 3/);
  t.match(m.body, /kindling_executor_jobs\{executor="exec-test"\} 2/);
  t.match(m.body, /process_resident_memory_bytes\{executor="exec-test"\} \d+/, 'default process metrics are on the same registry');
  // What a soak reads to see a leak: heap, fds, handles and timers, from prom-client's defaults.
  for (const name of ['nodejs_heap_size_used_bytes', 'process_open_fds', 'nodejs_active_handles_total', 'nodejs_active_resources_total'])
    t.match(m.body, new RegExp(`^${name}\\{executor="exec-test"\\} \\d+$`, 'm'), name);
  t.match(m.body, /^kindling_executor_thread_heap_used_bytes\{thread="1",executor="exec-test"\} 5000000$/m, "each pool thread's heap");
  t.match(m.body, /^kindling_executor_thread_heap_used_bytes\{thread="2",executor="exec-test"\} 6000000$/m);
  t.match(m.body, /^kindling_executor_thread_external_bytes\{thread="2",executor="exec-test"\} 3000000$/m);
  threadHeaps = [threadHeaps[1]!];
  const after = (await get(server.port, '/metrics')).body;
  t.notMatch(after, /thread="1"/, 'a thread that is gone has no series left');
  t.match(after, /thread_heap_total_bytes\{thread="2",executor="exec-test"\} 9000000/);
  t.equal((await get(server.port, '/metrics?gc=1')).status, 200, '?gc=1 without --expose-gc is ignored');
  t.same(collects, [false, false, false], 'and the source is not asked to collect its threads either');

  t.equal((await get(server.port, '/nope')).status, 404);
  t.equal((await fetch(`http://127.0.0.1:${server.port}/healthz`, { method: 'POST' })).status, 405);
});

t.test('health-server: two executors in one process keep separate registries', async (t) => {
  const a = new ExecutorMetrics({ runningTasks: () => 1, cache: () => ({ blocks: 0, bytes: 0 }) }, { executor: 'a' });
  const b = new ExecutorMetrics({ runningTasks: () => 5, cache: () => ({ blocks: 0, bytes: 0 }) }, { executor: 'b' });
  a.taskStarted('gradient');
  const textA = (await a.render()).body;
  const textB = (await b.render()).body;
  t.match(textA, /kindling_executor_running_tasks\{executor="a"\} 1/);
  t.match(textB, /kindling_executor_running_tasks\{executor="b"\} 5/);
  t.notMatch(textB, /op="gradient"/);
});

t.test('health-server: a port in use fails with E_IO naming the port', async (t) => {
  const first = await startHealthServer(
    { readiness: () => ({ ready: true }), metrics: async () => ({ contentType: 'text/plain', body: '' }) },
    { port: 0, host: '127.0.0.1' },
  );
  t.teardown(() => first.close());
  await t.rejects(
    startHealthServer(
      { readiness: () => ({ ready: true }), metrics: async () => ({ contentType: 'text/plain', body: '' }) },
      { port: first.port, host: '127.0.0.1' },
    ),
    { code: 'E_IO', message: new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}`) },
  );
});
