import t from 'tap';
import { evaluateBlock } from '../../src/kernels/index.js';
import { mergeScoreCounts } from '../../src/ml/index.js';
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
