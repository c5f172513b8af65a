/**
 * The multinomial trainer against an independent solver: Newton's method on the softmax
 * objective, written here over dense rows (standardized, one-hot expanded), on real data —
 * wine (numeric features, numeric label 0..2, no regularization), bank.csv with marital status
 * as the 3-class label (categorical and numeric features, no regularization) and iris (L2; it
 * is linearly separable, so without a penalty no finite solution exists). The trainer's oracle
 * is the real softmax-gradient kernel over partition-sized blocks merged in order.
 */
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { mergeSoftmaxGradients, softmaxGradient, type DesignBlock } from '@kindling/shared';
import {
  createScaledSoftmaxObjective,
  trainMultinomialLogisticRegression,
  type MultinomialParams,
  type MultinomialSummary,
  type SoftmaxGradientOracle,
} from '../../src/ml/multinomial-trainer.js';

const dataFile = (name: string): string => new URL(`../../../../examples/data/${name}`, import.meta.url).pathname;

/** Dense design: rows of original-space features (one-hot slots as 0/1), labels, and the kernel's compact block. */
interface Dataset {
  readonly x: number[][];
  readonly y: number[];
  readonly K: number;
  readonly block: DesignBlock;
  readonly numericIndex: number[];
}

function csv(name: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(dataFile(name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Numeric-only dataset from columns `cols` and label column `label` (class names in order of first appearance unless numeric). */
function numericDataset(name: string, cols: string[], label: string, classes: string[]): Dataset {
  const { header, rows } = csv(name);
  const at = cols.map((c) => header.indexOf(c));
  const li = header.indexOf(label);
  const x = rows.map((r) => at.map((i) => Number(r[i])));
  const y = rows.map((r) => classes.indexOf(r[li]!));
  const n = x.length;
  const k = cols.length;
  const block: DesignBlock = {
    numRows: n,
    rowIds: Float64Array.from(x, (_, i) => i),
    label: Float64Array.from(y),
    numeric: Float64Array.from(x.flat()),
    numNumeric: k,
    categorical: new Int32Array(0),
    numCategorical: 0,
  };
  return { x, y, K: classes.length, block, numericIndex: at.map((_, j) => j) };
}

/** bank.csv: label marital; categorical education, housing, loan (frequency order, last dropped); numeric age, balance (thousands). */
function bankMarital(): Dataset {
  const { header, rows } = csv('bank.csv');
  const col = (c: string): number => header.indexOf(c);
  const byFrequency = (c: string): string[] => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r[col(c)]!, (counts.get(r[col(c)]!) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
  };
  const classes = byFrequency('marital');
  const cats = ['education', 'housing', 'loan'].map((c) => ({ c, values: byFrequency(c) }));
  let offset = 0;
  const slots = cats.map(({ values }) => {
    const o = offset;
    offset += values.length - 1;
    return o;
  });
  const numericIndex = [offset, offset + 1];
  const d = offset + 2;
  const x: number[][] = [];
  const categorical: number[] = [];
  for (const r of rows) {
    const dense = new Array<number>(d).fill(0);
    cats.forEach(({ c, values }, i) => {
      const v = values.indexOf(r[col(c)]!);
      const f = v === values.length - 1 ? -1 : slots[i]! + v;
      categorical.push(f);
      if (f >= 0) dense[f] = 1;
    });
    dense[offset] = Number(r[col('age')]);
    dense[offset + 1] = Number(r[col('balance')]) / 1000;
    x.push(dense);
  }
  const y = rows.map((r) => classes.indexOf(r[col('marital')]!));
  const block: DesignBlock = {
    numRows: x.length,
    rowIds: Float64Array.from(x, (_, i) => i),
    label: Float64Array.from(y),
    numeric: Float64Array.from(x.flatMap((r) => [r[offset]!, r[offset + 1]!])),
    numNumeric: 2,
    categorical: Int32Array.from(categorical),
    numCategorical: 3,
  };
  return { x, y, K: classes.length, block, numericIndex };
}

/** Mean, unbiased std and class counts, computed directly from the dense rows. */
function summarize(ds: Dataset): MultinomialSummary {
  const n = ds.x.length;
  const d = ds.x[0]!.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] = ds.x.reduce((s, r) => s + r[j]!, 0) / n;
    std[j] = Math.sqrt(ds.x.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / (n - 1));
  }
  const classCounts = Array.from({ length: ds.K }, (_, k) => ds.y.filter((y) => y === k).length);
  return { count: n, weightSum: n, mean, std, classCounts };
}

/** The real kernel over three partition-sized slices, merged in partition order. */
function oracleOf(ds: Dataset): SoftmaxGradientOracle {
  const b = ds.block;
  const cuts = [0, Math.floor(b.numRows / 3), Math.floor((2 * b.numRows) / 3), b.numRows];
  const parts: DesignBlock[] = [0, 1, 2].map((i) => {
    const [from, to] = [cuts[i]!, cuts[i + 1]!];
    return {
      ...b,
      numRows: to - from,
      rowIds: b.rowIds.slice(from, to),
      label: b.label.slice(from, to),
      numeric: b.numeric.slice(from * b.numNumeric, to * b.numNumeric),
      categorical: b.categorical.slice(from * b.numCategorical, to * b.numCategorical),
    };
  });
  return async (beta, intercepts) => mergeSoftmaxGradients(parts.map((p) => softmaxGradient(p, ds.numericIndex, beta, intercepts)));
}

function softmax(m: number[]): number[] {
  const max = Math.max(...m);
  const e = m.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Solves A·x = b by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k] = M[r]![k]! - f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

/**
 * Newton on mean NLL + ½λ‖W‖² over standardized rows z = (x − μ)/σ (constant features dropped).
 * Parameters: per class k a row [W_k (p), b_k]. Free: with λ > 0 every W_k and b_0..b_{K−2};
 * with λ = 0 only classes 0..K−2 (class K−1 is the pivot). Returns P(class | row) for every row.
 */
function newtonProbabilities(ds: Dataset, summary: MultinomialSummary, lambda: number): number[][] {
  const keep = [...summary.std.keys()].filter((j) => summary.std[j] !== 0);
  const z = ds.x.map((r) => [...keep.map((j) => (r[j]! - summary.mean[j]!) / summary.std[j]!), 1]);
  const p = keep.length + 1;
  const K = ds.K;
  const n = z.length;
  const free: [number, number][] = [];
  for (let k = 0; k < K; k++)
    for (let a = 0; a < p; a++) {
      const isIntercept = a === p - 1;
      if (lambda > 0 ? !(isIntercept && k === K - 1) : k < K - 1) free.push([k, a]);
    }
  const W = Array.from({ length: K }, () => new Array<number>(p).fill(0));
  for (let iter = 0; iter < 100; iter++) {
    const P = z.map((row) => softmax(W.map((w) => w.reduce((s, v, a) => s + v * row[a]!, 0))));
    const g = free.map(
      ([k, a]) =>
        z.reduce((s, row, i) => s + (P[i]![k]! - (ds.y[i] === k ? 1 : 0)) * row[a]!, 0) / n + (a < p - 1 ? lambda * W[k]![a]! : 0),
    );
    const H = free.map(([k, a]) =>
      free.map(([l, b]) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += z[i]![a]! * z[i]![b]! * P[i]![k]! * ((k === l ? 1 : 0) - P[i]![l]!);
        return s / n + (k === l && a === b && a < p - 1 ? lambda : 0);
      }),
    );
    const step = solve(H, g);
    free.forEach(([k, a], i) => (W[k]![a] = W[k]![a]! - step[i]!));
    if (Math.max(...step.map(Math.abs)) < 1e-14) break;
  }
  return z.map((row) => softmax(W.map((w) => w.reduce((s, v, a) => s + v * row[a]!, 0))));
}

const PARAMS: MultinomialParams = {
  maxIter: 2000,
  regParam: 0,
  elasticNetParam: 0,
  tol: 1e-14,
  fitIntercept: true,
  standardization: true,
  centering: true,
};

async function compareWithNewton(t: Test, ds: Dataset, params: MultinomialParams): Promise<void> {
  const summary = summarize(ds);
  const fit = await trainMultinomialLogisticRegression(oracleOf(ds), summary, params);
  const d = fit.numFeatures;
  const ours = ds.x.map((r) =>
    softmax(
      Array.from({ length: ds.K }, (_, k) => fit.interceptVector[k]! + r.reduce((s, v, j) => s + v * fit.coefficientMatrix[k * d + j]!, 0)),
    ),
  );
  const newton = newtonProbabilities(ds, summary, params.regParam);
  let worst = 0;
  ours.forEach((p, i) => p.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - newton[i]![k]!)))));
  t.ok(
    worst <= 1e-6,
    `max |P_kindling − P_newton| = ${worst.toExponential(2)} over ${ds.x.length} rows × ${ds.K} classes (${fit.iterations} iterations, ${fit.reason})`,
  );
  const interceptSum = fit.interceptVector.reduce((a, b) => a + b, 0);
  t.ok(Math.abs(interceptSum) <= 1e-12, `intercepts are centred (sum ${interceptSum})`);
  if (params.regParam === 0) {
    let worstSum = 0;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < ds.K; k++) s += fit.coefficientMatrix[k * d + j]!;
      worstSum = Math.max(worstSum, Math.abs(s));
    }
    t.ok(worstSum <= 1e-12, `coefficients are centred across classes (largest |Σ_k β_kj| = ${worstSum})`);
  }
}

t.test('multinomial trainer: converged fit on wine (numeric features, no regularization) equals Newton', async (t) => {
  const ds = numericDataset('wine.csv', ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium'], 'class', ['0', '1', '2']);
  await compareWithNewton(t, ds, PARAMS);
});

t.test('multinomial trainer: converged fit on bank.csv marital (categorical + numeric, no regularization) equals Newton', async (t) => {
  await compareWithNewton(t, bankMarital(), PARAMS);
});

t.test('multinomial trainer: L2-regularized fit on iris (all four features) equals Newton on the penalized objective', async (t) => {
  const ds = numericDataset('iris.csv', ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], 'species', [
    'setosa',
    'versicolor',
    'virginica',
  ]);
  await compareWithNewton(t, ds, { ...PARAMS, regParam: 0.01 });
});

t.test('multinomial trainer: Spark start point (log1p class counts, centred) and its gradient', async (t) => {
  const ds = numericDataset('iris.csv', ['sepal_length', 'petal_length'], 'species', ['setosa', 'versicolor', 'virginica']);
  const summary = { ...summarize(ds), classCounts: [50, 30, 20] };
  const objective = createScaledSoftmaxObjective(oracleOf(ds), summary, PARAMS);
  const x0 = objective.initialPoint();
  const raw = [50, 30, 20].map(Math.log1p);
  const mean = (raw[0]! + raw[1]! + raw[2]!) / 3;
  t.same(
    [...x0.subarray(6)],
    raw.map((r) => r - mean),
    'intercepts: log1p(count) minus their mean',
  );
  t.same([...x0.subarray(0, 6)], [0, 0, 0, 0, 0, 0], 'coefficients start at 0');
  // Scaled-space gradient against central differences of the objective.
  const at = await objective.evaluate(Float64Array.from(x0, (v, i) => v + 0.1 * Math.sin(i + 1)));
  const h = 1e-6;
  const bad: string[] = [];
  for (let i = 0; i < objective.dimension; i++) {
    const plus = Float64Array.from(x0, (v, j) => v + 0.1 * Math.sin(j + 1) + (j === i ? h : 0));
    const minus = Float64Array.from(x0, (v, j) => v + 0.1 * Math.sin(j + 1) - (j === i ? h : 0));
    const fd = ((await objective.evaluate(plus)).value - (await objective.evaluate(minus)).value) / (2 * h);
    if (Math.abs(fd - at.gradient[i]!) > 1e-7) bad.push(`coordinate ${i}: fd ${fd} vs ${at.gradient[i]}`);
  }
  t.same(bad, [], 'the scaled-space gradient matches finite differences');
});

t.test('multinomial trainer: elastic net (L1) runs OWL-QN and zeroes coefficients; a single class is not optimised', async (t) => {
  const ds = numericDataset('wine.csv', ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium'], 'class', ['0', '1', '2']);
  const fit = await trainMultinomialLogisticRegression(oracleOf(ds), summarize(ds), {
    ...PARAMS,
    maxIter: 200,
    tol: 1e-9,
    regParam: 0.1,
    elasticNetParam: 1,
  });
  t.ok(
    [...fit.coefficientMatrix].some((v) => v === 0),
    `some coefficients are exactly 0: ${[...fit.coefficientMatrix].map((v) => v.toFixed(3)).join(' ')}`,
  );
  const single = await trainMultinomialLogisticRegression(oracleOf(ds), { ...summarize(ds), classCounts: [0, 178, 0] }, PARAMS);
  t.equal(single.reason, 'single-label');
  t.same([...single.interceptVector], [0, Infinity, 0]);
  t.equal(single.evaluations, 0);
});
