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

t.test('metrics-thread: the thread gives the calling thread’s metrics, bit for bit', async (t) => {
  const thread = new MetricsThread();
  t.teardown(() => thread.close());
  const rand = seeded(5);
  for (const shared of [true, false]) {
    const parts = Array.from({ length: 12 }, () => partial(rand, 3000, shared));
    for (const numBins of [0, 100]) {
      const there = await thread.metrics(parts, numBins);
      const here = binaryClassificationMetrics(parts, { numBins });
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
  const there = await thread.metrics(parts, 0);
  t.same(there, binaryClassificationMetrics(parts, { numBins: 0 }), 'every figure and curve point');
  t.type(parts[0]!.positives, Uint8Array, "the caller's partials are left as they were");
});
