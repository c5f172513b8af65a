/**
 * Instance weights (pipeline.weight) through the real kernels and trainers: integer weights
 * give the same means, gradient and (unregularized, converged) model as the rows duplicated
 * that many times, for the binomial and the multinomial family. The std differs by design:
 * Spark's weighted variance divides by Σw − Σw²/Σw.
 */
import t from 'tap';
import {
  finishSummary,
  logisticGradient,
  mergeSoftmaxGradients,
  mergeSummaries,
  mergeWeightedGradients,
  softmaxGradient,
  summarizeBlock,
  weightedLogisticGradient,
  type DesignBlock,
} from '@kindling/shared';
import { trainLogisticRegression } from '../../src/ml/logistic-regression-trainer.js';
import { trainMultinomialLogisticRegression } from '../../src/ml/multinomial-trainer.js';

/** Mulberry32. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// Layout: one categorical input with 3 slots (0..2, -1 = dropped), then numeric features 3 and 4.
const NUMERIC_INDEX = [3, 4];
const D = 5;

function rows(n: number, K: number, seed: number): { label: number[]; numeric: number[][]; cat: number[]; weight: number[] } {
  const rand = prng(seed);
  const out = { label: [] as number[], numeric: [] as number[][], cat: [] as number[], weight: [] as number[] };
  for (let i = 0; i < n; i++) {
    const x = [rand() * 4 - 2, rand() * 10];
    const c = Math.floor(rand() * 4) - 1;
    const m = 0.8 * x[0]! - 0.1 * x[1]! + (c === 1 ? 0.7 : 0);
    const y = K === 2 ? (rand() < 1 / (1 + Math.exp(-m)) ? 1 : 0) : Math.min(K - 1, Math.floor(rand() * K + (m > 0 ? 0.5 : 0)));
    out.label.push(y);
    out.numeric.push(x);
    out.cat.push(c);
    out.weight.push(Math.floor(rand() * 4)); // 0..3
  }
  return out;
}

function block(r: ReturnType<typeof rows>, pick: number[], weighted: boolean): DesignBlock {
  return {
    numRows: pick.length,
    rowIds: Float64Array.from(pick),
    label: Float64Array.from(pick, (i) => r.label[i]!),
    numeric: Float64Array.from(pick.flatMap((i) => r.numeric[i]!)),
    numNumeric: 2,
    categorical: Int32Array.from(pick, (i) => r.cat[i]!),
    numCategorical: 1,
    ...(weighted ? { weight: Float64Array.from(pick, (i) => r.weight[i]!) } : {}),
  };
}

/** Partition blocks: weighted rows as they are, or each row repeated weight times. */
function partitions(r: ReturnType<typeof rows>, duplicated: boolean): DesignBlock[] {
  const n = r.label.length;
  const cuts = [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n];
  return [0, 1, 2].map((p) => {
    const ids = Array.from({ length: cuts[p + 1]! - cuts[p]! }, (_, i) => cuts[p]! + i);
    return duplicated
      ? block(
          r,
          ids.flatMap((i) => Array<number>(r.weight[i]!).fill(i)),
          false,
        )
      : block(r, ids, true);
  });
}

const summaryOf = (blocks: DesignBlock[], K?: number) =>
  finishSummary(blocks.map((b) => summarizeBlock(b, D, NUMERIC_INDEX, K)).reduce((a, b) => mergeSummaries(a, b)));

const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
};

const PARAMS = { maxIter: 500, regParam: 0, elasticNetParam: 0, tol: 1e-12, fitIntercept: true, standardization: true, centering: true };

t.test('weights: integer weights equal duplicated rows — summary, binomial gradient and fitted model', async (t) => {
  const r = rows(600, 2, 5);
  const weighted = partitions(r, false);
  const dup = partitions(r, true);
  const sw = summaryOf(weighted, 2);
  const sd = summaryOf(dup, 2);
  t.equal(sw.weightSum, sd.count, 'Σ w equals the duplicated row count');
  t.ok(maxRelDiff(sw.mean, sd.mean) <= 1e-12, `means agree (${maxRelDiff(sw.mean, sd.mean)})`);
  // Spark's weighted variance is unbiased for reliability weights: m2 / (Σw − Σw²/Σw), not the
  // duplicated rows' m2 / (n − 1). The m2 sums agree, so the stds differ by exactly that ratio.
  const W = r.weight.reduce((a, b) => a + b, 0);
  const W2 = r.weight.reduce((a, b) => a + b * b, 0);
  const expected = Float64Array.from(sd.std, (s) => s * Math.sqrt((sd.count - 1) / (W - W2 / W)));
  t.ok(maxRelDiff(sw.std, expected) <= 1e-12, `weighted std = sqrt(m2 / (Σw − Σw²/Σw)) (${maxRelDiff(sw.std, expected)})`);
  t.same(sw.labelCounts, sd.labelCounts, 'weighted label counts');

  const beta = Float64Array.of(0.2, -0.1, 0.3, 0.5, -0.05);
  const gw = mergeWeightedGradients(weighted.map((b) => weightedLogisticGradient(b, NUMERIC_INDEX, beta, 0.1)));
  const gd = mergeWeightedGradients(dup.map((b) => logisticGradient(b, NUMERIC_INDEX, beta, 0.1)));
  t.ok(Math.abs(gw.lossSum - gd.lossSum) <= 1e-9 * gd.lossSum, `loss sums agree (${gw.lossSum} vs ${gd.lossSum})`);
  t.ok(maxRelDiff(gw.gradSum, gd.gradSum) <= 1e-9, 'gradient sums agree');
  t.equal(gw.weightSum, gd.count);

  const oracle = (blocks: DesignBlock[], kernel: typeof logisticGradient) => async (b: Float64Array, i: number) =>
    mergeWeightedGradients(blocks.map((x) => kernel(x, NUMERIC_INDEX, b, i)));
  const fw = await trainLogisticRegression(oracle(weighted, weightedLogisticGradient), sw, PARAMS);
  const fd = await trainLogisticRegression(oracle(dup, logisticGradient), sd, PARAMS);
  const diff = Math.max(maxRelDiff(fw.coefficients, fd.coefficients), Math.abs(fw.intercept - fd.intercept));
  t.ok(diff <= 1e-7, `weighted and duplicated fits agree to ${diff.toExponential(2)} (${fw.reason}, ${fd.reason})`);
});

t.test('weights: integer weights equal duplicated rows — multinomial fit', async (t) => {
  const r = rows(600, 3, 9);
  const weighted = partitions(r, false);
  const dup = partitions(r, true);
  const toSummary = (s: ReturnType<typeof summaryOf>) => ({
    count: s.count,
    weightSum: s.weightSum,
    mean: s.mean,
    std: s.std,
    classCounts: s.classCounts!,
  });
  const oracle = (blocks: DesignBlock[]) => async (b: Float64Array, i: Float64Array) =>
    mergeSoftmaxGradients(blocks.map((x) => softmaxGradient(x, NUMERIC_INDEX, b, i)));
  const fw = await trainMultinomialLogisticRegression(oracle(weighted), toSummary(summaryOf(weighted, 3)), PARAMS);
  const fd = await trainMultinomialLogisticRegression(oracle(dup), toSummary(summaryOf(dup, 3)), PARAMS);
  const diff = Math.max(maxRelDiff(fw.coefficientMatrix, fd.coefficientMatrix), maxRelDiff(fw.interceptVector, fd.interceptVector));
  t.ok(diff <= 1e-7, `weighted and duplicated multinomial fits agree to ${diff.toExponential(2)}`);
});

t.test('weights: a partition of weights all 1 takes the unweighted path (same bits as no weights)', async (t) => {
  const r = rows(200, 2, 3);
  const ids = Array.from({ length: 200 }, (_, i) => i);
  const plain = block(r, ids, false);
  const summaryPlain = summaryOf([plain], 2);
  // Merging an unweighted partial with weighted ones treats it as weight 1 per row.
  const ones = { ...block(r, ids, true), weight: new Float64Array(200).fill(1) };
  const mixed = finishSummary(mergeSummaries(summarizeBlock(plain, D, NUMERIC_INDEX, 2), summarizeBlock(ones, D, NUMERIC_INDEX, 2)));
  const doubled = finishSummary(mergeSummaries(summarizeBlock(plain, D, NUMERIC_INDEX, 2), summarizeBlock(plain, D, NUMERIC_INDEX, 2)));
  t.ok(maxRelDiff(mixed.std, doubled.std) <= 1e-12, 'an unweighted partial counts as weight 1 per row');
  t.equal(summaryPlain.weightSum, 200);
});
