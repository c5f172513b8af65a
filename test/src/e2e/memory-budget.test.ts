/**
 * Executor memory budgets end to end: the bank job with a block-store budget about a third of
 * its cached data, in local mode (`executor.memory` of the job spec) and on 2 real executor
 * processes (`kindling executor --memory`), evicts and rebuilds blocks and still gives
 * coefficients, objective history and metrics bit-identical to an unbounded run; the store
 * never holds more than its budget plus the per-task margin (docs/memory.md), and the
 * heartbeats report the budget, evictions and rebuilds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DriverContext, EventBus, parseJobSpecFile, type JobResult, type JobSpec } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';
import { NatsTransport, PROTOCOL_VERSION, subjects, type ExecutorHeartbeat } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob } from '../harness/paths.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-memory-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

// 6 partitions of the bank file cache ~0.58 MB in narrow storage (rows, then train/test design blocks); 240 kB
// holds about 40 % of it, so every L-BFGS iteration evicts and rebuilds.
const BUDGET = 240_000;
const CONF = { 'input.partitions': '6', 'model.maxIter': '15' };
const spec = (name: string, conf: Record<string, string> = {}): Promise<JobSpec> =>
  parseJobSpecFile(bankJob, { output: join(scratch, name), conf: { ...CONF, ...conf } });

function sameResult(t: Tap, a: JobResult, b: JobResult, what: string): void {
  const bits = (x: Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  t.same(bits(a.coefficients), bits(b.coefficients), `${what}: coefficients bit-identical`);
  t.ok(Object.is(a.intercept, b.intercept), `${what}: intercept bit-identical`);
  t.same(a.objectiveHistory, b.objectiveHistory, `${what}: objective history`);
  t.same(a.metrics, b.metrics, `${what}: metrics`);
}
type Tap = import('tap').Test;

async function runLocal(s: JobSpec, threads: number): Promise<{ result: JobResult; stats: ReturnType<LocalExecutor['memoryStats']> }> {
  const executor = new LocalExecutor({ threads, ...(s.executor?.memoryBytes !== undefined && { memoryBytes: s.executor.memoryBytes }) });
  const driver = DriverContext.withExecutors([executor], { events: new EventBus(), release: () => executor.close() });
  try {
    const result = await driver.runJob(s);
    return { result, stats: executor.memoryStats() };
  } finally {
    await driver.close();
  }
}

const unbounded = runLocal(await spec('unbounded'), 2);

t.test('memory budget, local mode: executor.memory evicts and rebuilds, results bit-identical, store within budget + margin', async (t) => {
  const free = await unbounded;
  t.equal(free.stats.evictions, 0, 'unbounded: no evictions');
  t.equal(free.stats.rebuilds, 0, 'unbounded: no rebuilds');
  t.ok(free.stats.peakBytes > 2 * BUDGET, `the job caches more than twice the budget (${free.stats.peakBytes} bytes)`);
  const s = await spec('bounded', { 'executor.memory': String(BUDGET) });
  t.equal(s.executor?.memoryBytes, BUDGET, 'executor.memory parsed');
  const threads = 2;
  const bounded = await runLocal(s, threads);
  sameResult(t, bounded.result, free.result, 'budget 400 kB vs unbounded');
  t.ok(bounded.stats.evictions > 0, `evicted blocks (${bounded.stats.evictions})`);
  t.ok(bounded.stats.rebuilds > 0, `rebuilt blocks from lineage (${bounded.stats.rebuilds})`);
  t.equal(bounded.stats.budgetBytes, BUDGET);
  t.ok(
    bounded.stats.peakBytes <= BUDGET + threads * bounded.stats.largestBlockBytes,
    `peak held ${bounded.stats.peakBytes} ≤ budget + ${threads} × largest block (${bounded.stats.largestBlockBytes})`,
  );
  t.equal(bounded.stats.pinnedBytes, 0, 'nothing pinned once the job ended');
});

t.test('memory budget, local mode: "64m"-style sizes and bad values', async (t) => {
  t.equal((await spec('units', { 'executor.memory': '1.5m' })).executor?.memoryBytes, 1_572_864);
  await t.rejects(spec('bad', { 'executor.memory': 'lots' }), { code: 'E_JOB_SPEC', message: /executor\.memory/ });
});

t.test(
  'memory budget, 2 executor processes with --memory: bit-identical to unbounded, heartbeats show evictions and rebuilds',
  async (t) => {
    const free = await unbounded;
    const cluster = await LocalCluster.start(2, { executorArgs: ['--memory', String(BUDGET / 2)] });
    t.teardown(() => cluster.stop());
    const r = await runOnCluster(await spec('cluster-bounded'), cluster.connectionOptions('driver-memory'));
    sameResult(t, r, free.result, '2 executors with --memory 200000 vs unbounded local');
    const transport = await NatsTransport.connect(cluster.connectionOptions('memory-probe'));
    try {
      const replies = await transport.requestMany(
        subjects(cluster.prefix).discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { timeoutMs: 500 },
      );
      const beats = replies.filter((m): m is ExecutorHeartbeat => m.type === 'executor-heartbeat');
      t.equal(beats.length, 2, 'both executors answer');
      for (const b of beats) t.equal(b.memoryBudgetBytes, BUDGET / 2, `${b.executorId}: budget in its heartbeat`);
      const evictions = beats.reduce((n, b) => n + (b.evictions ?? 0), 0);
      const rebuilds = beats.reduce((n, b) => n + (b.rebuilds ?? 0), 0);
      t.ok(evictions > 0, `heartbeats count evictions (${evictions})`);
      t.ok(rebuilds > 0, `heartbeats count rebuilds (${rebuilds})`);
      for (const b of beats)
        t.ok(
          (b.peakCachedBytes ?? Infinity) <= BUDGET / 2 + b.slots * free.stats.largestBlockBytes,
          `${b.executorId}: peak ${b.peakCachedBytes} within budget + margin`,
        );
    } finally {
      await transport.close();
    }
  },
);
