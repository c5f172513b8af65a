/**
 * Per-iteration optimizer telemetry on a real cluster (nats-server, 2 executor processes):
 * executors report kernel times, the driver's 'iteration' events carry step, evaluations and
 * the wall/compute/coordination split, and run.json records the same figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EventBus, parseJobSpecFile } from '@kindling/coordinator';
import type { IterationTelemetry } from '@kindling/coordinator';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob } from '../harness/paths.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-telemetry-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('iteration telemetry: events and run.json on 2 executor processes', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  await cluster.waitForExecutors(2, 30_000);
  const events = new EventBus();
  const iterations: IterationTelemetry[] = [];
  const tasks: Array<{ runMs?: number; kernelMs?: number }> = [];
  events.on('iteration', (e) => iterations.push(e));
  events.on('task-completed', (e) => tasks.push(e));
  const output = join(scratch, 'out');
  const result = await runOnCluster(await parseJobSpecFile(bankJob, { output }), cluster.connectionOptions('driver-telemetry'), { events });

  t.ok(
    tasks.length > 0 && tasks.every((e) => typeof e.kernelMs === 'number' && e.kernelMs >= 0),
    "every completed task carries the executor's kernel time",
  );
  t.ok(
    tasks.every((e) => e.kernelMs! <= e.runMs! + 1),
    'a kernel fits inside the driver-measured run time (1 ms rounding)',
  );

  const run = JSON.parse(readFileSync(join(output, 'run.json'), 'utf8'));
  t.equal(iterations.length, run.training.iterations, 'one iteration event per optimizer iteration (no line-search failure in this job)');
  t.same(run.iterations, JSON.parse(JSON.stringify(iterations)), 'run.json records the telemetry the bus carried');
  t.same(
    iterations.map((i) => i.loss),
    result.objectiveHistory.slice(1),
    'losses are the objective history',
  );
  t.equal(1 + iterations.reduce((s, i) => s + i.evaluations!, 0), run.training.evaluations, 'evaluations add up to the gradient passes');
  for (const i of iterations) {
    t.ok(i.stepSize! > 0 && Number.isFinite(i.gradNorm!), `iteration ${i.iteration}: step ${i.stepSize}, |g| ${i.gradNorm}`);
    t.ok(
      i.wallMs! > 0 && i.computeMs! > 0 && i.computeMs! <= i.wallMs!,
      `iteration ${i.iteration}: compute ${i.computeMs} within wall ${i.wallMs}`,
    );
    t.equal(i.coordinationMs, i.wallMs! - i.computeMs!, `iteration ${i.iteration}: coordination is the rest`);
  }
});
