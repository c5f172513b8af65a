/**
 * Weighted binary evaluation (pipeline.weight), as Spark's evaluators with weightCol: integer
 * weights give exactly the metrics of the rows duplicated that many times (counts of integers
 * are exact in doubles; only the log-loss sum rounds differently), scores keep the bits of
 * unweighted scoring, and the same rows in other partitions give the same bits.
 */
import t from 'tap';
import type { DesignBlock } from '../../src/columnar/index.js';
import { evaluateBlock } from '../../src/kernels/index.js';
import { binaryClassificationMetrics } from '../../src/ml/index.js';
import { BANK_SHAPE, layoutOf, randomBlock, seededRandom, sliceBlock } from './random-block.js';

const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);

/** `b` with weights, or with each row repeated weight times (unweighted). */
function weighted(b: DesignBlock, weights: readonly number[]): DesignBlock {
  return { ...b, weight: Float64Array.from(weights) };
}
function duplicated(b: DesignBlock, weights: readonly number[]): DesignBlock {
  const pick = weights.flatMap((w, r) => Array<number>(w).fill(r));
  const k = b.numNumeric;
  const c = b.numCategorical;
  return {
    numRows: pick.length,
    rowIds: Float64Array.from(pick, (r) => b.rowIds[r]!),
    label: Float64Array.from(pick, (r) => b.label[r]!),
    numeric: Float64Array.from(pick.flatMap((r) => [...b.numeric.subarray(r * k, (r + 1) * k)])),
    numNumeric: k,
    categorical: Int32Array.from(pick.flatMap((r) => [...b.categorical.subarray(r * c, (r + 1) * c)])),
    numCategorical: c,
  };
}

const rand = seededRandom(11);
const beta = Float64Array.from({ length: numFeatures }, () => (rand() - 0.5) * 2);
const block = randomBlock(2000, BANK_SHAPE, 21, true);
const weights = Array.from({ length: block.numRows }, () => 1 + Math.floor(rand() * 4)); // 1..4
const cuts = [0, 700, 701, 1500, 2000];

for (const score of ['margin', 'probability'] as const) {
  t.test(`weighted evaluate (${score}): integer weights = duplicated rows`, async (t) => {
    const opts = { score, threshold: 0.5, predictions: false };
    const parts = (b: (x: DesignBlock, w: number[]) => DesignBlock) =>
      cuts
        .slice(1)
        .map((to, i) => evaluateBlock(b(sliceBlock(block, cuts[i]!, to), weights.slice(cuts[i]!, to)), numericIndex, beta, 0.1, opts));
    const w = binaryClassificationMetrics(parts(weighted), { numBins: 0 });
    const d = binaryClassificationMetrics(parts(duplicated), { numBins: 0 });
    for (const k of [
      'areaUnderROC',
      'areaUnderPR',
      'accuracy',
      'precision',
      'recall',
      'f1',
      'weightedPrecision',
      'weightedRecall',
      'weightedF1',
    ] as const)
      t.equal(w[k], d[k], `${k} bit for bit (${w[k]})`);
    t.same(w.confusion, d.confusion, 'weighted confusion cells = duplicated counts');
    t.equal(w.positives, d.positives);
    t.ok(Math.abs(w.logLoss - d.logLoss) < 1e-12, `logLoss ${w.logLoss} vs ${d.logLoss}`);
    t.equal(w.count, block.numRows, 'count stays the number of rows');
    t.equal(
      d.count,
      weights.reduce((a, x) => a + x, 0),
    );
    const binnedW = binaryClassificationMetrics(parts(weighted), { numBins: 100 });
    const binnedD = binaryClassificationMetrics(parts(duplicated), { numBins: 100 });
    t.equal(binnedW.areaUnderROC, binnedD.areaUnderROC, 'binned AUC as duplicated rows');
  });
}

t.test('weighted evaluate: the weights change the metrics, and scores keep their unweighted bits', async (t) => {
  const opts = { score: 'probability', threshold: 0.5, predictions: true } as const;
  const skew = Array.from({ length: block.numRows }, (_, r) => (block.label[r] === 1 ? 3 : 1));
  const w = evaluateBlock(weighted(block, skew), numericIndex, beta, 0.1, opts);
  const u = evaluateBlock(block, numericIndex, beta, 0.1, opts);
  t.same([...w.scores], [...u.scores], 'the same distinct scores');
  t.same([...w.predictions!.probability], [...u.predictions!.probability], 'the same probabilities');
  t.equal(
    w.weightSum,
    skew.reduce((a, x) => a + x, 0),
  );
  const mw = binaryClassificationMetrics([w], { numBins: 0 });
  const mu = binaryClassificationMetrics([u], { numBins: 0 });
  t.equal(mw.areaUnderROC, mu.areaUnderROC, 'AUC-ROC is invariant to a per-class weight');
  t.not(mw.accuracy, mu.accuracy, 'accuracy weighs the positives 3×');
  t.not(mw.areaUnderPR, mu.areaUnderPR, 'AUC-PR moves with the class weight');
});

t.test('weighted evaluate: rows of weight 0 count for nothing', async (t) => {
  const zeroed = weights.map((w, r) => (r % 5 === 0 ? 0 : w));
  const opts = { score: 'margin', threshold: 0.5, predictions: false } as const;
  const w = binaryClassificationMetrics([evaluateBlock(weighted(block, zeroed), numericIndex, beta, 0.1, opts)], { numBins: 0 });
  const d = binaryClassificationMetrics([evaluateBlock(duplicated(block, zeroed), numericIndex, beta, 0.1, opts)], { numBins: 0 });
  // A zero-weight row keeps its score as a point without mass (Spark keeps it too): it adds no ROC area.
  t.equal(w.areaUnderROC, d.areaUnderROC, 'AUC-ROC as if the rows were absent');
  t.same(w.confusion, d.confusion);
  t.equal(w.accuracy, d.accuracy);
  t.ok(Math.abs(w.logLoss - d.logLoss) < 1e-12);
  t.ok(w.curvePoints > d.curvePoints, `zero-weight scores stay points of the curve (${w.curvePoints} vs ${d.curvePoints})`);
});
