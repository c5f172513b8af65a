import t from 'tap';
import { evaluateBlock } from '../../src/kernels/index.js';
import { binaryClassificationMetrics, mergeScoreCounts } from '../../src/ml/index.js';
import { BANK_SHAPE, layoutOf, randomBlock, seededRandom, sliceBlock, type BlockShape } from './random-block.js';

const ONE: BlockShape = { slots: [], numNumeric: 1 };

/** A block of one numeric feature with the given values and labels. */
function oneFeature(values: number[], labels: number[]) {
  const b = randomBlock(values.length, ONE, 1);
  b.numeric.set(values);
  b.label.set(labels);
  return b;
}

t.test('evaluate: scores are distinct, descending, with positive and negative counts', async (t) => {
  const b = oneFeature([0.5, 2, 0.5, -1, 2, 0.5], [1, 0, 0, 1, 1, 1]);
  const e = evaluateBlock(b, [0], Float64Array.of(1), 0, { score: 'margin', threshold: 0.5, predictions: false });
  t.same([...e.scores], [2, 0.5, -1]);
  t.same([...e.positives], [1, 2, 1]);
  t.same([...e.negatives], [1, 1, 0]);
  t.equal(e.count, 6);
  t.equal(e.predictions, undefined);
});

t.test('evaluate: prediction is 1 only when the probability is strictly above the threshold', async (t) => {
  // Margins 0 (p = 0.5 exactly), 1, −1 with threshold 0.5.
  const b = oneFeature([0, 1, -1, 0], [1, 1, 0, 0]);
  const e = evaluateBlock(b, [0], Float64Array.of(1), 0, { score: 'probability', threshold: 0.5, predictions: true });
  t.same([...e.predictions!.prediction], [0, 1, 0, 0]);
  t.same({ tp: e.tp, fp: e.fp, tn: e.tn, fn: e.fn }, { tp: 1, fp: 0, tn: 2, fn: 1 });
  t.same([...e.predictions!.rowIds], [0, 1, 2, 3]);
  t.same([...e.predictions!.label], [1, 1, 0, 0]);
  // Spark's probability: p1 = 1 − 1/(1 + e^m).
  t.equal(e.predictions!.probability[1], 1 - 1 / (1 + Math.exp(1)));
  t.same([...e.scores], [1 - 1 / (1 + Math.exp(1)), 0.5, 1 - 1 / (1 + Math.exp(-1))]);
  const low = evaluateBlock(b, [0], Float64Array.of(1), 0, { score: 'margin', threshold: 0.3, predictions: false });
  t.same({ tp: low.tp, fp: low.fp, tn: low.tn, fn: low.fn }, { tp: 2, fp: 1, tn: 1, fn: 0 });
});

t.test('evaluate: log loss is the sum of −log p(label), clipped at 1e-15', async (t) => {
  const b = oneFeature([0.3, -2, 60, -60], [1, 0, 0, 0]);
  const e = evaluateBlock(b, [0], Float64Array.of(1), 0.1, { score: 'margin', threshold: 0.5, predictions: false });
  const p1 = (m: number): number => 1 - 1 / (1 + Math.exp(m));
  const expected = -Math.log(p1(0.4)) - Math.log(1 / (1 + Math.exp(-1.9))) - Math.log(1e-15) - Math.log1p(-1e-15);
  t.ok(Math.abs(e.logLossSum - expected) < 1e-12, `${e.logLossSum} vs ${expected}`);
});

t.test('evaluate: merging partition score lists equals evaluating all rows at once, exactly', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  // Integer features and coarse coefficients make many tied scores across partitions.
  const whole = randomBlock(3000, BANK_SHAPE, 5, true);
  const rand = seededRandom(3);
  const beta = Float64Array.from({ length: numFeatures }, () => Math.round((rand() - 0.5) * 4) / 4);
  const opts = { score: 'margin', threshold: 0.5, predictions: false } as const;
  const all = evaluateBlock(whole, numericIndex, beta, 0.25, opts);
  t.ok(all.scores.length < 600, `many ties (${all.scores.length} distinct scores)`);
  const cuts = [0, 1000, 1001, 2200, 3000];
  const parts = cuts.slice(1).map((to, i) => evaluateBlock(sliceBlock(whole, cuts[i]!, to), numericIndex, beta, 0.25, opts));
  const merged = mergeScoreCounts(parts);
  t.same([...merged.scores], [...all.scores]);
  t.same([...merged.positives], [...all.positives]);
  t.same([...merged.negatives], [...all.negatives]);
  t.equal(
    parts.reduce((a, p) => a + p.tp + p.fp + p.tn + p.fn, 0),
    3000,
  );
});

t.test('evaluate: a NaN score is reported with its row id', async (t) => {
  const b = oneFeature([Infinity], [1]);
  t.throws(() => evaluateBlock(b, [0], Float64Array.of(1), -Infinity, { score: 'margin', threshold: 0.5, predictions: false }), {
    code: 'E_INVALID_VALUE',
    message: /row id 0/,
  });
});

t.test('evaluate: integer counts are stored in the narrowest unsigned array, with the metrics of Float64 counts', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const opts = { score: 'margin', threshold: 0.5, predictions: false } as const;
  const rand = seededRandom(11);
  const beta = Float64Array.from({ length: numFeatures }, () => Math.round((rand() - 0.5) * 4) / 4);
  const block = randomBlock(3000, BANK_SHAPE, 7, true);
  const e = evaluateBlock(block, numericIndex, beta, 0.25, opts);
  t.type(e.scores, Float64Array);
  const most = Math.max(...e.positives, ...e.negatives);
  t.type(e.positives, most <= 255 ? Uint8Array : Uint16Array, `largest count ${most}`);
  t.type(e.negatives, e.positives.constructor as typeof Uint8Array, 'both count arrays share one storage');
  // One score for every row: 300 and 700 rows at it need 2 bytes; 70 000 need 4.
  const flat = (n: number) => {
    const b = randomBlock(n, ONE, 1);
    b.numeric.fill(1);
    b.label.forEach((_, i) => (b.label[i] = i % 10 < 3 ? 1 : 0));
    return evaluateBlock(b, [0], Float64Array.of(0.5), 0, opts);
  };
  t.type(flat(1000).positives, Uint16Array);
  t.same([...flat(1000).positives, ...flat(1000).negatives], [300, 700]);
  t.type(flat(100_000).negatives, Uint32Array);
  t.equal(flat(100_000).negatives[0], 70_000);

  // The same parts with Float64 counts give the same metrics, bit for bit.
  const cuts = [0, 700, 1900, 3000];
  const parts = cuts.slice(1).map((to, i) => evaluateBlock(sliceBlock(block, cuts[i]!, to), numericIndex, beta, 0.25, opts));
  const wide = parts.map((p) => ({ ...p, positives: Float64Array.from(p.positives), negatives: Float64Array.from(p.negatives) }));
  for (const stream of [true, false]) {
    t.same(
      binaryClassificationMetrics(parts, { numBins: 0, stream }),
      binaryClassificationMetrics(wide, { numBins: 0, stream }),
      `stream ${stream}`,
    );
  }
});

t.test('evaluate: a weighted block keeps summed weights in Float64Array', async (t) => {
  const b = oneFeature([0.5, 2, 0.5], [1, 0, 1]);
  const weighted = { ...b, weight: Float64Array.of(0.5, 2, 1.25) };
  const e = evaluateBlock(weighted, [0], Float64Array.of(1), 0, { score: 'margin', threshold: 0.5, predictions: false });
  t.type(e.positives, Float64Array);
  t.same([...e.positives], [0, 1.75]);
});

t.test('evaluate: predictions travel narrow (Uint32 row ids, Uint8 labels and classes) with the values of the block', async (t) => {
  const b = oneFeature([0.5, 2, -3, 0.5], [1, 0, 0, 1]);
  const opts = { score: 'probability', threshold: 0.5, predictions: true } as const;
  const narrowLabels = { ...b, label: Uint8Array.from(b.label) };
  const p = evaluateBlock(narrowLabels, [0], Float64Array.of(1), 0, opts).predictions!;
  t.type(p.rowIds, Uint32Array);
  t.type(p.label, Uint8Array);
  t.type(p.prediction, Uint8Array);
  t.type(p.probability, Float64Array);
  t.same([...p.rowIds], [...b.rowIds]);
  t.same([...p.label], [1, 0, 0, 1]);
  t.same([...p.prediction], [1, 1, 0, 1]);
  const wide = evaluateBlock(b, [0], Float64Array.of(1), 0, opts).predictions!;
  t.type(wide.label, Float64Array, 'Float64 labels stay Float64');
  t.ok(
    Buffer.from(wide.probability.buffer, wide.probability.byteOffset, 32).equals(
      Buffer.from(p.probability.buffer, p.probability.byteOffset, 32),
    ),
  );
  const far = { ...narrowLabels, rowIds: Float64Array.of(0, 1, 2 ** 32, 2 ** 40) };
  const farIds = evaluateBlock(far, [0], Float64Array.of(1), 0, opts).predictions!.rowIds;
  t.type(farIds, Float64Array, 'row ids of 2^32 and more stay Float64');
  t.same([...farIds], [0, 1, 2 ** 32, 2 ** 40]);
});
