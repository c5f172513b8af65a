/**
 * Driver metrics: the registry over a real EventBus, scraped over real HTTP from serveMetrics;
 * the figures are the events' own. Also the endpoint's 404 and its port-in-use error.
 */
import { createServer } from 'node:net';
import t from 'tap';
import { KindlingError } from '@kindling/shared';
import { EventBus } from '../../src/events/event-bus.js';
import { driverMetricsRegistry, serveMetrics, stageKind } from '../../src/metrics/index.js';

/** `name{labels} value` lines of a Prometheus text page. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('stageKind: numbered stages of one kind share a label', async (t) => {
  t.equal(stageKind('gradient 12'), 'gradient');
  t.equal(stageKind('load bank.csv'), 'load bank.csv');
});

t.test('driver metrics: jobs, stages, tasks, iterations and executors from the bus, served at /metrics', async (t) => {
  const events = new EventBus();
  let served = 0;
  const metrics = driverMetricsRegistry(events, { inputBytesServed: () => served });
  const server = await serveMetrics(metrics.registry, { port: 0 });
  t.teardown(async () => {
    metrics.close();
    await server.close();
  });
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const scrape = async (): Promise<string> => {
    const res = await fetch(server.url);
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  events.emit('executor-added', { executorId: 'e1', slots: 2 });
  events.emit('executor-added', { executorId: 'e2', slots: 2 });
  events.emit('executor-added', { executorId: 'e3', slots: 1 });
  events.emit('job-started', { jobId: 'j', name: 'bank', partitions: 2, executors: 3 });
  events.emit('stage-submitted', { stageId: 0, name: 'gradient 1', tasks: 2 });
  events.emit('stage-progress', { stageId: 0, name: 'gradient 1', completed: 0, running: 2, total: 2 });
  served = 4096;
  let page = await scrape();
  t.equal(sample(page, 'kindling_driver_jobs_active'), 1, 'one job running');
  t.equal(sample(page, 'kindling_driver_stages_active'), 1);
  t.equal(sample(page, 'kindling_driver_tasks_running'), 2);
  t.equal(sample(page, 'kindling_driver_executors{state="active"}'), 3);
  t.equal(sample(page, 'kindling_driver_input_bytes_served_total'), 4096);

  events.emit('task-completed', { stageId: 0, partition: 0, attempt: 0, executorId: 'e1', queuedMs: 0, runMs: 3, kernelMs: 2 });
  events.emit('task-failed', {
    stageId: 0,
    partition: 1,
    attempt: 0,
    executorId: 'e3',
    code: 'E_EXECUTOR_LOST',
    message: 'gone',
    willRetry: true,
    runMs: 40,
  });
  events.emit('executor-removed', { executorId: 'e3', lost: true, reason: 'heartbeat timeout', partitions: [1] });
  events.emit('executor-removed', { executorId: 'e3', lost: true, reason: 'again', partitions: [] });
  events.emit('executor-removed', { executorId: 'e2', lost: false, reason: 'draining', partitions: [] });
  events.emit('task-completed', { stageId: 0, partition: 1, attempt: 1, executorId: 'e1', queuedMs: 1, runMs: 700 });
  events.emit('stage-progress', { stageId: 0, name: 'gradient 1', completed: 2, running: 0, total: 2 });
  events.emit('stage-completed', { stageId: 0, name: 'gradient 1', durationMs: 745, tasks: 2 });
  events.emit('iteration', {
    iteration: 1,
    loss: 0.5,
    gradNorm: 0.25,
    stepSize: 1,
    evaluations: 1,
    wallMs: 745,
    computeMs: 700,
    coordinationMs: 45,
  });
  events.emit('iteration', {
    iteration: 2,
    loss: 0.4,
    gradNorm: 0.125,
    stepSize: 1,
    evaluations: 1,
    wallMs: 500,
    computeMs: 250,
    coordinationMs: 250,
  });
  events.emit('job-completed', { jobId: 'j', durationMs: 2000 });
  served = 10_000;

  page = await scrape();
  t.equal(sample(page, 'kindling_driver_jobs_active'), 0);
  t.equal(sample(page, 'kindling_driver_jobs_finished_total{result="succeeded"}'), 1);
  t.equal(sample(page, 'kindling_driver_stages_active'), 0);
  t.equal(sample(page, 'kindling_driver_stages_completed_total{stage="gradient"}'), 1);
  t.equal(sample(page, 'kindling_driver_tasks_running'), 0);
  t.equal(sample(page, 'kindling_driver_tasks_total{state="succeeded"}'), 2);
  t.equal(sample(page, 'kindling_driver_tasks_total{state="failed"}'), 1, 'the retried attempt');
  t.equal(sample(page, 'kindling_driver_task_duration_seconds_count{stage="gradient"}'), 3);
  t.equal(sample(page, 'kindling_driver_task_duration_seconds_bucket{le="0.005",stage="gradient"}'), 1, '3 ms in the 5 ms bucket');
  t.equal(sample(page, 'kindling_driver_task_duration_seconds_bucket{le="1",stage="gradient"}'), 3);
  t.equal(sample(page, 'kindling_driver_iterations_total'), 2);
  const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-12;
  t.ok(near(sample(page, 'kindling_driver_iteration_seconds_total{part="compute"}'), 0.95), 'compute: 700 + 250 ms');
  t.ok(near(sample(page, 'kindling_driver_iteration_seconds_total{part="coordination"}'), 0.295), 'coordination: 45 + 250 ms');
  t.equal(sample(page, 'kindling_driver_iteration_loss'), 0.4, 'the last loss');
  t.equal(sample(page, 'kindling_driver_iteration_gradient_norm'), 0.125);
  t.equal(sample(page, 'kindling_driver_executors{state="active"}'), 1);
  t.equal(sample(page, 'kindling_driver_executors{state="lost"}'), 1, 'a loss reported twice counts once');
  t.equal(sample(page, 'kindling_driver_executors{state="drained"}'), 1);
  t.equal(sample(page, 'kindling_driver_input_bytes_served_total'), 10_000);
  t.ok(page.includes('process_cpu_user_seconds_total'), 'process metrics too');

  metrics.close();
  events.emit('job-started', { jobId: 'k', name: 'after', partitions: 1, executors: 1 });
  t.equal(sample(await scrape(), 'kindling_driver_jobs_active'), 0, 'close() detaches from the bus');

  const other = await fetch(server.url.replace('/metrics', '/'));
  t.equal(other.status, 404);
});

t.test('driver metrics: the executors source gives the active count', async (t) => {
  const held = [{ id: 'a' }, { id: 'b' }];
  const m = driverMetricsRegistry(new EventBus(), { executors: () => held });
  t.teardown(() => m.close());
  t.equal(sample(await m.registry.metrics(), 'kindling_driver_executors{state="active"}'), 2);
  held.pop();
  t.equal(sample(await m.registry.metrics(), 'kindling_driver_executors{state="active"}'), 1, 'read at scrape time');
});

t.test('driver metrics: two registries in one process do not collide; no byte source, no byte series', async (t) => {
  const a = driverMetricsRegistry(new EventBus());
  const b = driverMetricsRegistry(new EventBus());
  t.teardown(() => (a.close(), b.close()));
  t.notOk((await a.registry.metrics()).includes('kindling_driver_input_bytes_served_total'));
  t.ok((await b.registry.metrics()).includes('kindling_driver_jobs_active'));
});

t.test('serveMetrics: a port in use is an E_IO naming the address', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const metrics = driverMetricsRegistry(new EventBus());
  t.teardown(() => metrics.close());
  const err = await serveMetrics(metrics.registry, { port }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof KindlingError, 'a KindlingError');
  t.equal((err as KindlingError).code, 'E_IO');
  t.match((err as KindlingError).message, `metrics endpoint 127.0.0.1:${port}: the address is in use`);
});
