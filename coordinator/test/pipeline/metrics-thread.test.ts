/**
 * MetricsThread computes a split's metrics on a worker thread of the driver: the same bits as
 * on the calling thread (areas, curves, confusion, log loss), partials in SharedArrayBuffers
 * or not, the merge's errors with their code, and a close that drops what is still pending.
 */
import t from 'tap';
import { binaryClassificationMetrics, type EvaluatePartial } from '@kindling/shared/compute';
import { MetricsThread } from '../../src/pipeline/metrics-thread.js';

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** A partial of `rows` coarse scores (ties within and across parts), its columns shared or not. */
function partial(rand: () => number, rows: number, shared: boolean): EvaluatePartial {
  const by = new Map<number, [number, number]>();
  for (let r = 0; r < rows; r++) {
    const s = rand() < 0.3 ? Math.round(rand() * 40) / 8 : rand() * 6 - 3;
    const c = by.get(s) ?? [0, 0];
    c[rand() < 0.45 ? 0 : 1]++;
    by.set(s, c);
  }
  const keys = [...by.keys()].sort((a, b) => b - a);
  const column = (f: (s: number) => number): Float64Array => {
    const a = shared ? new Float64Array(new SharedArrayBuffer(8 * keys.length)) : new Float64Array(keys.length);
    keys.forEach((s, i) => (a[i] = f(s)));
    return a;
  };
  return {
    count: rows,
    scores: column((s) => s),
    positives: column((s) => by.get(s)![0]),
    negatives: column((s) => by.get(s)![1]),
    tp: rows / 4,
    fp: rows / 4,
    tn: rows / 4,
    fn: rows / 4,
    logLossSum: rand() * rows,
  };
}

function copyPartial(p: EvaluatePartial): EvaluatePartial {
  return { ...p, scores: p.scores.slice(), positives: p.positives.slice(), negatives: p.negatives.slice() };
}

t.test('metrics-thread: the thread gives the calling thread’s metrics, bit for bit', async (t) => {
  const thread = new MetricsThread();
  t.teardown(() => thread.close());
  const rand = seeded(5);
  for (const shared of [true, false]) {
    const parts = Array.from({ length: 12 }, () => partial(rand, 3000, shared));
    for (const numBins of [0, 100]) {
      // Computed first: the thread takes the partials over (their plain arrays are moved).
      const here = binaryClassificationMetrics(parts, { numBins });
      const there = await thread.metrics(parts.map(copyPartial), numBins);
      t.ok(
        Object.is(there.areaUnderROC, here.areaUnderROC) && Object.is(there.areaUnderPR, here.areaUnderPR),
        `areas (shared ${shared}, bins ${numBins})`,
      );
      t.same(there, here, `every figure and curve point (shared ${shared}, bins ${numBins})`);
    }
  }
});

t.test('metrics-thread: a bad partial fails with the merge’s error code', async (t) => {
  const thread = new MetricsThread();
  t.teardown(() => thread.close());
  const bad = {
    ...partial(seeded(1), 10, false),
    scores: Float64Array.of(1, 2),
    positives: Float64Array.of(1, 0),
    negatives: Float64Array.of(0, 1),
  };
  await t.rejects(thread.metrics([bad], 0), { code: 'E_INTERNAL', message: /not strictly descending/ });
});

t.test('metrics-thread: closing with a request pending neither hangs nor settles it', async (t) => {
  const thread = new MetricsThread();
  const rand = seeded(9);
  let settled = false;
  void thread.metrics([partial(rand, 200000, true), partial(rand, 200000, true)], 0).finally(() => (settled = true));
  await thread.close();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(settled, false);
});

t.test('metrics-thread: narrow counts and predictions that arrived over NATS keep their types and bits', async (t) => {
  const thread = new MetricsThread();
  t.teardown(() => thread.close());
  const rand = seeded(9);
  const parts = Array.from({ length: 6 }, () => {
    const p = partial(rand, 2000, false);
    return {
      ...p,
      positives: Uint8Array.from(p.positives),
      negatives: Uint16Array.from(p.negatives),
      predictions: {
        rowIds: Uint32Array.of(1, 2),
        label: Uint8Array.of(0, 1),
        probability: Float64Array.of(0.25, 0.75),
        prediction: Uint8Array.of(0, 1),
      },
    };
  });
  const here = binaryClassificationMetrics(parts, { numBins: 0 });
  t.same(await thread.metrics(parts, 0), here, 'every figure and curve point');
});

t.test('metrics-thread: an array that is a view into a larger buffer is copied, and the buffer left whole', async (t) => {
  const thread = new MetricsThread();
  t.teardown(() => thread.close());
  const p = partial(seeded(3), 500, false);
  const n = p.scores.length;
  // As a socket read buffer holding other messages too: moving it would empty it for its owner.
  const big = new Float64Array(3 * n + 7);
  const view = (a: ArrayLike<number>, at: number): Float64Array => {
    const v = big.subarray(at, at + n);
    v.set(Array.from(a));
    return v;
  };
  const viewed = { ...p, scores: view(p.scores, 1), positives: view(p.positives, 1 + n), negatives: view(p.negatives, 1 + 2 * n) };
  const here = binaryClassificationMetrics([viewed], { numBins: 0 });
  const before = Float64Array.from(big);
  t.same(await thread.metrics([viewed], 0), here, 'the same metrics');
  t.equal(big.length, 3 * n + 7, 'the larger buffer is not moved');
  t.same(big, before, 'nor changed');
});

t.test('metrics-thread: a thread that dies after taking partials over fails the split instead of computing on empty arrays', async (t) => {
  const thread = new MetricsThread();
  const parts = [partial(seeded(4), 200000, false), partial(seeded(5), 200000, false)];
  const pending = thread.metrics(parts, 0);
  // What an out-of-memory end of the thread looks like to the caller.
  (thread as unknown as { worker: { emit(e: string, err: Error): void } }).worker.emit('error', new Error('out of memory'));
  await t.rejects(pending, { code: 'E_INTERNAL', message: /metrics thread stopped/ });
  await thread.close();
});
