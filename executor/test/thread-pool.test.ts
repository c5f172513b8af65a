/**
 * ThreadPool.close right after start: Node 20 aborts the process when a worker thread is
 * terminated while its ES modules are being instantiated, which is what closing the pool of a
 * job that fails before its first task used to do (seen as a SIGABRT of the bad-input test).
 * close() now returns only once every thread has loaded its modules, and the process survives
 * many such closes in a row. Group requests (one op over several cached blocks) answer each
 * item as a single task would.
 */
import t from 'tap';
import { sharedFloat64, sharedInt32, type DesignBlock, type PartitionLineage } from '@kindling/shared/compute';
import { ThreadPool, workerExecArgv } from '../src/pool/thread-pool.js';

t.test('thread pool: closing at once waits for every thread to load, and the process survives', async (t) => {
  for (let round = 0; round < 8; round++) {
    const pool = new ThreadPool(2);
    await pool.close();
    t.equal(pool.loadedThreads, 2, `round ${round}: both threads had loaded their modules before they were stopped`);
  }
});

/** A one-feature design block whose labels and values depend on `seed`, on shared memory like the store's. */
function block(rows: number, seed: number): DesignBlock {
  const b = {
    numRows: rows,
    rowIds: sharedFloat64(rows),
    label: sharedFloat64(rows),
    numeric: sharedFloat64(rows),
    numNumeric: 1,
    categorical: sharedInt32(0),
    numCategorical: 0,
  };
  for (let r = 0; r < rows; r++) {
    b.rowIds[r] = r;
    b.label[r] = (r * seed) % 3 === 0 ? 1 : 0;
    b.numeric[r] = ((r + seed) % 7) - 3;
  }
  return b as DesignBlock;
}

t.test('thread pool: a group answers each item once, as one task alone would, and an item that fails fails alone', async (t) => {
  const pool = new ThreadPool(2);
  t.teardown(() => pool.close());
  const encoding = { features: [{ kind: 'numeric', name: 'x' }] };
  const items = Array.from({ length: 7 }, (_, i) => ({
    // Item 4's plan has no encoding yet: its kernel refuses to run, the others must not care.
    lineage: { source: { index: i }, ...(i !== 4 && { encoding }) } as unknown as PartitionLineage,
    input: { kind: 'design' as const, block: block(200 + 10 * i, i + 1) },
  }));
  const params = { beta: new Float64Array([0.25]), intercept: -0.5 };
  const grouped = await Promise.allSettled(pool.runGroup('gradient', params, items));
  const alone = await Promise.allSettled(items.map((x) => pool.run({ op: 'gradient', lineage: x.lineage, params, input: x.input })));
  for (let i = 0; i < items.length; i++) {
    const g = grouped[i]!;
    const a = alone[i]!;
    if (i === 4) {
      t.equal(g.status, 'rejected', 'the item without an encoding failed');
      if (g.status === 'rejected')
        t.match(g.reason, { code: 'E_INTERNAL', message: /partition 4: task sent before the plan had an encoding/ });
      continue;
    }
    t.equal(g.status, 'fulfilled', `item ${i} answered`);
    if (g.status !== 'fulfilled' || a.status !== 'fulfilled') continue;
    const gp = g.value.partial as { count: number; lossSum: number; gradSum: Float64Array };
    const ap = a.value.partial as { count: number; lossSum: number; gradSum: Float64Array };
    t.equal(gp.count, 200 + 10 * i, `item ${i} ran over its own block`);
    t.ok(Object.is(gp.lossSum, ap.lossSum) && gp.gradSum.every((v, j) => Object.is(v, ap.gradSum[j])), `item ${i}: the same bits as alone`);
  }
});

t.test('thread pool: a group on a closed pool fails every item instead of hanging', async (t) => {
  const pool = new ThreadPool(1);
  await pool.close();
  const items = [0, 1].map((i) => ({
    lineage: { source: { index: i } } as unknown as PartitionLineage,
    input: { kind: 'design' as const, block: block(10, i + 1) },
  }));
  const out = await Promise.allSettled(pool.runGroup('gradient', { beta: new Float64Array([0]), intercept: 0 }, items));
  t.same(
    out.map((o) => o.status),
    ['rejected', 'rejected'],
  );
});

t.test('thread pool: flags a worker thread refuses (node --expose-gc) are not handed to the threads', async (t) => {
  t.same(workerExecArgv(['--expose-gc', '--enable-source-maps', '--expose_gc']), ['--enable-source-maps']);
  const { Worker } = await import('node:worker_threads');
  t.throws(
    () => new Worker('0', { eval: true, execArgv: ['--expose-gc'] }),
    { code: 'ERR_WORKER_INVALID_EXEC_ARGV' },
    'what Node does with it',
  );
});

t.test("thread pool: each thread's heap is listed once, and a probe reaches every thread, also while one is busy", async (t) => {
  const pool = new ThreadPool(2);
  t.teardown(() => pool.close());
  for (const until = Date.now() + 20_000; pool.loadedThreads < 2 && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
  const listed = pool.threadHeaps();
  t.equal(listed.length, 2, 'both threads recorded their heap once loaded');
  t.equal(new Set(listed.map((h) => h.threadId)).size, 2, 'one entry per thread');
  for (const h of listed) {
    t.ok(h.threadId > 0, 'a worker thread id');
    t.ok(
      h.heapUsedBytes > 0 && h.heapTotalBytes >= h.heapUsedBytes,
      `thread ${h.threadId}: used ${h.heapUsedBytes} of ${h.heapTotalBytes}`,
    );
  }
  const ids = listed.map((h) => h.threadId).sort();

  const probed = await pool.probeThreads({ collect: true });
  t.same(probed.map((h) => h.threadId).sort(), ids, 'every thread answered its own copy of the probe');

  // One thread busy with a long gradient pass: the idle thread's copy waits for the other, so
  // neither thread answers twice and the busy one answers once its task ends.
  const encoding = { features: [{ kind: 'numeric', name: 'x' }] };
  const long = {
    lineage: { source: { index: 0 }, encoding } as unknown as PartitionLineage,
    input: { kind: 'design' as const, block: block(3_000_000, 3) },
  };
  const params = { beta: new Float64Array([0.25]), intercept: -0.5 };
  const running = Promise.all(pool.runGroup('gradient', params, [long]));
  const whileBusy = await pool.probeThreads({ collect: false, waitMs: 30_000 });
  await running;
  t.same(whileBusy.map((h) => h.threadId).sort(), ids, 'with a thread busy, each thread still answered once');
});
