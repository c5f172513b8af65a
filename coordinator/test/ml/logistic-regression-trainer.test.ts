import t from 'tap';
import { KindlingError } from '@kindling/shared';
import {
  createScaledLogisticObjective,
  trainLogisticRegression,
  type FeatureSummary,
  type LogisticGradientOracle,
  type LogisticRegressionFit,
  type LogisticRegressionParams,
} from '../../src/ml/logistic-regression-trainer.js';
import type { OptimizerIterationTelemetry } from '../../src/ml/iteration-telemetry.js';

/** Seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Dataset {
  rows: number[][];
  labels: number[];
}

/**
 * 400 rows, 5 features: f0 ~ N(2, 1.5²), f1 ~ N(−1, 0.3²), f2 = 3 (constant), f3 ~ U(0, 10),
 * f4 ~ N(5, 2²) unrelated to the label. Labels ~ Bernoulli(σ(−1 + 0.6 f0 − 1.5 f1 − 0.12 f3)).
 */
function makeDataset(seed: number, n = 400): Dataset {
  const rand = prng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [2 + 1.5 * normal(), -1 + 0.3 * normal(), 3, 10 * rand(), 5 + 2 * normal()];
    const m = -1 + 0.6 * x[0]! - 1.5 * x[1]! - 0.12 * x[3]!;
    rows.push(x);
    labels.push(rand() < 1 / (1 + Math.exp(-m)) ? 1 : 0);
  }
  return { rows, labels };
}

function summarize(ds: Dataset): FeatureSummary {
  const n = ds.rows.length;
  const d = ds.rows[0]!.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (const r of ds.rows) s += r[j]!;
    mean[j] = s / n;
    let ss = 0;
    for (const r of ds.rows) ss += (r[j]! - mean[j]!) ** 2;
    std[j] = Math.sqrt(ss / (n - 1));
  }
  const n1 = ds.labels.filter((y) => y === 1).length;
  return { count: n, mean, std, labelCounts: [n - n1, n1] };
}

/** Stable log(1 + e^z). */
function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Unscaled sums over every row, as the executors' gradient pass returns them; counts its calls. */
function inMemoryOracle(ds: Dataset): { oracle: LogisticGradientOracle; calls: () => number } {
  let calls = 0;
  const oracle: LogisticGradientOracle = async (beta, intercept) => {
    calls++;
    const d = beta.length;
    const gradSum = new Float64Array(d);
    let lossSum = 0;
    let interceptGradSum = 0;
    ds.rows.forEach((x, i) => {
      const y = ds.labels[i]!;
      let m = intercept;
      for (let j = 0; j < d; j++) m += beta[j]! * x[j]!;
      lossSum += log1pExp(m) - y * m;
      const r = 1 / (1 + Math.exp(-m)) - y;
      for (let j = 0; j < d; j++) gradSum[j] = gradSum[j]! + r * x[j]!;
      interceptGradSum += r;
    });
    return { count: ds.rows.length, lossSum, gradSum, interceptGradSum };
  };
  return { oracle, calls: () => calls };
}

/** Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Independent reference: Newton's method in original space on
 * (1/n) Σ [log(1 + e^m) − y m] + ½ Σ_j penalty_j β_j², over the non-constant features and an
 * intercept. Returns full-length coefficients (0 for constant features).
 */
function newtonReference(
  ds: Dataset,
  summary: FeatureSummary,
  penalty: (j: number) => number,
): { coefficients: number[]; intercept: number } {
  const d = summary.mean.length;
  const active = [...Array(d).keys()].filter((j) => summary.std[j] !== 0);
  const k = active.length + 1;
  const n = ds.rows.length;
  const theta = new Array<number>(k).fill(0);
  for (let iter = 0; iter < 100; iter++) {
    const g = new Array<number>(k).fill(0);
    const h = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    ds.rows.forEach((x, i) => {
      const z = [...active.map((j) => x[j]!), 1];
      const m = z.reduce((s, zj, a) => s + zj * theta[a]!, 0);
      const p = 1 / (1 + Math.exp(-m));
      for (let a = 0; a < k; a++) {
        g[a] = g[a]! + ((p - ds.labels[i]!) * z[a]!) / n;
        for (let b = 0; b < k; b++) h[a]![b] = h[a]![b]! + (p * (1 - p) * z[a]! * z[b]!) / n;
      }
    });
    active.forEach((j, a) => {
      g[a] = g[a]! + penalty(j) * theta[a]!;
      h[a]![a] = h[a]![a]! + penalty(j);
    });
    const step = solve(h, g);
    for (let a = 0; a < k; a++) theta[a] = theta[a]! - step[a]!;
    if (Math.max(...step.map(Math.abs)) < 1e-14) break;
  }
  const coefficients = new Array<number>(d).fill(0);
  active.forEach((j, a) => (coefficients[j] = theta[a]!));
  return { coefficients, intercept: theta[k - 1]! };
}

/** (1/n) Σ (p − y)·x_j and (1/n) Σ (p − y) at original-space coefficients. */
async function originalGradient(ds: Dataset, coefficients: Float64Array, intercept: number): Promise<{ g: Float64Array; g0: number }> {
  const r = await inMemoryOracle(ds).oracle(coefficients, intercept);
  return { g: r.gradSum.map((v) => v / r.count), g0: r.interceptGradSum / r.count };
}

const base: LogisticRegressionParams = {
  maxIter: 200,
  regParam: 0,
  elasticNetParam: 0,
  tol: 1e-12,
  fitIntercept: true,
  standardization: true,
  centering: true,
};

const ds = makeDataset(2018);
const summary = summarize(ds);

t.test('logistic-regression-trainer: scaled-space gradient matches finite differences', async (t) => {
  const rand = prng(5);
  for (const centering of [true, false]) {
    for (const standardization of [true, false]) {
      const params = { ...base, centering, standardization, regParam: 0.1, elasticNetParam: 0.25 };
      const obj = createScaledLogisticObjective(inMemoryOracle(ds).oracle, summary, params);
      t.equal(obj.dimension, 6);
      const x = Float64Array.from({ length: obj.dimension }, () => rand() - 0.5);
      const { gradient } = await obj.evaluate(x);
      // A constant feature has no loss gradient; only Spark's L2 term reaches it (standardization on).
      t.equal(gradient[2], standardization ? x[2]! * ((1 - 0.25) * 0.1) : 0, 'constant feature: L2 part only');
      for (let i = 0; i < obj.dimension; i++) {
        const h = 1e-5;
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        const fd = ((await obj.evaluate(up)).value - (await obj.evaluate(down)).value) / (2 * h);
        t.ok(
          Math.abs(fd - gradient[i]!) < 1e-7,
          `centering ${centering}, standardization ${standardization}, ∂/∂x${i}: ${gradient[i]} vs ${fd}`,
        );
      }
    }
  }
});

t.test('logistic-regression-trainer: starts at b = log(n1/n0) with the prior entropy as first objective', async (t) => {
  const { oracle } = inMemoryOracle(ds);
  // This small problem converges in about 9 iterations, so 5 leaves it unconverged.
  const fit = await trainLogisticRegression(oracle, summary, { ...base, maxIter: 5 });
  const p = summary.labelCounts[1] / summary.count;
  const entropy = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  t.ok(Math.abs(fit.objectiveHistory[0]! - entropy) < 1e-14, `${fit.objectiveHistory[0]} vs ${entropy}`);
  t.equal(fit.reason, 'max-iterations');
  t.equal(fit.iterations, 5);
  t.equal(fit.objectiveHistory.length, 6);
  t.ok(fit.evaluations >= 6);
  const obj = createScaledLogisticObjective(oracle, summary, base);
  t.same(Array.from(obj.initialPoint()), [0, 0, 0, 0, 0, Math.log(summary.labelCounts[1] / summary.labelCounts[0])]);
});

t.test('logistic-regression-trainer: converges to the Newton/IRLS maximum-likelihood solution', async (t) => {
  const ref = newtonReference(ds, summary, () => 0);
  const fits: LogisticRegressionFit[] = [];
  for (const centering of [true, false]) {
    const { oracle, calls } = inMemoryOracle(ds);
    const seen: number[] = [];
    const reports: OptimizerIterationTelemetry[] = [];
    const fit = await trainLogisticRegression(
      oracle,
      summary,
      { ...base, centering },
      { onIteration: (it) => (seen.push(it.iteration), reports.push(it)) },
    );
    t.not(fit.reason, 'max-iterations', `centering ${centering}: ${fit.reason} after ${fit.iterations}`);
    t.equal(fit.evaluations, calls(), 'evaluations count oracle calls');
    t.equal(fit.coefficients[2], 0, 'constant feature coefficient is exactly 0');
    for (let j = 0; j < 5; j++) {
      t.ok(
        Math.abs(fit.coefficients[j]! - ref.coefficients[j]!) < 1e-6,
        `centering ${centering}, β${j}: ${fit.coefficients[j]} vs ${ref.coefficients[j]}`,
      );
    }
    t.ok(Math.abs(fit.intercept - ref.intercept) < 1e-6, `centering ${centering}, intercept ${fit.intercept} vs ${ref.intercept}`);
    t.same(
      seen,
      [...Array(seen.length).keys()].map((i) => i + 1),
      'onIteration reports 1, 2, …',
    );
    // Telemetry: the start point's call plus each report's evaluations are every oracle call;
    // losses are the objective history after the start (no line-search failure here).
    t.equal(1 + reports.reduce((s, r) => s + r.evaluations, 0), fit.evaluations, 'evaluations per iteration add up to the total');
    t.ok(
      reports.every((r) => r.evaluations >= 1 && r.stepSize > 0 && Number.isFinite(r.gradNorm)),
      'every iteration has a step, a gradient norm and >= 1 evaluation',
    );
    t.same(
      reports.map((r) => r.loss),
      fit.objectiveHistory.slice(1),
      'reported losses are the objective history',
    );
    fits.push(fit);
  }
  const [on, off] = fits as [LogisticRegressionFit, LogisticRegressionFit];
  for (let j = 0; j < 5; j++) t.ok(Math.abs(on.coefficients[j]! - off.coefficients[j]!) < 1e-6, `centring on/off agree on β${j}`);
  t.ok(Math.abs(on.intercept - off.intercept) < 1e-6, 'centring on/off agree on the intercept');
  t.not(on.objectiveHistory[1], off.objectiveHistory[1], 'but they take different paths');
});

t.test('logistic-regression-trainer: L2 matches a Newton solve of the penalised objective', async (t) => {
  const regParam = 0.05;
  for (const standardization of [true, false]) {
    // Scaled-space penalty ½λΣw'² is ½λΣ(σ_j β_j)² in original space; without standardization ½λΣβ².
    const ref = newtonReference(ds, summary, (j) => (standardization ? regParam * summary.std[j]! ** 2 : regParam));
    const fit = await trainLogisticRegression(inMemoryOracle(ds).oracle, summary, { ...base, regParam, standardization });
    for (let j = 0; j < 5; j++) {
      t.ok(
        Math.abs(fit.coefficients[j]! - ref.coefficients[j]!) < 1e-6,
        `standardization ${standardization}, β${j}: ${fit.coefficients[j]} vs ${ref.coefficients[j]}`,
      );
    }
    t.ok(Math.abs(fit.intercept - ref.intercept) < 1e-6, `standardization ${standardization}, intercept`);
  }
});

t.test('logistic-regression-trainer: L1 zeroes small coefficients and meets the subgradient conditions', async (t) => {
  const regParam = 0.03;
  for (const standardization of [true, false]) {
    const fit = await trainLogisticRegression(inMemoryOracle(ds).oracle, summary, {
      ...base,
      regParam,
      elasticNetParam: 1,
      standardization,
    });
    const { g, g0 } = await originalGradient(ds, fit.coefficients, fit.intercept);
    t.ok(Math.abs(g0) < 1e-5, `intercept gradient ${g0}`);
    let zeros = 0;
    for (let j = 0; j < 5; j++) {
      if (summary.std[j] === 0) {
        t.equal(fit.coefficients[j], 0);
        continue;
      }
      // In original space the L1 term is λσ_j|β_j| (standardization) or λ|β_j| (Spark's λ/σ_j on w'_j).
      const strength = standardization ? regParam * summary.std[j]! : regParam;
      const b = fit.coefficients[j]!;
      if (b === 0) {
        zeros++;
        t.ok(Math.abs(g[j]!) <= strength + 1e-5, `β${j} = 0: |∂L/∂β| = ${Math.abs(g[j]!)} ≤ ${strength}`);
      } else {
        t.ok(Math.abs(g[j]! + strength * Math.sign(b)) < 1e-5, `β${j} = ${b}: ∂L/∂β + λ·sign = ${g[j]! + strength * Math.sign(b)}`);
      }
    }
    t.ok(zeros >= 1, `standardization ${standardization}: ${zeros} non-constant coefficients are exactly 0`);
    t.ok(zeros <= 2, 'at least two coefficients stay non-zero');
    t.equal(fit.coefficients[4], 0, 'the unrelated feature is dropped');
  }
});

t.test('logistic-regression-trainer: a single label skips optimisation with an infinite intercept', async (t) => {
  const ones: Dataset = { rows: ds.rows.slice(0, 50), labels: new Array<number>(50).fill(1) };
  const zeros: Dataset = { rows: ds.rows.slice(0, 50), labels: new Array<number>(50).fill(0) };
  const never: LogisticGradientOracle = async () => {
    throw new KindlingError('E_INTERNAL', 'the oracle must not be called');
  };
  const a = await trainLogisticRegression(never, summarize(ones), base);
  t.equal(a.intercept, Number.POSITIVE_INFINITY);
  t.same(Array.from(a.coefficients), [0, 0, 0, 0, 0]);
  t.same([a.objectiveHistory, a.iterations, a.evaluations, a.reason], [[0], 0, 0, 'single-label']);
  const b = await trainLogisticRegression(never, summarize(zeros), base);
  t.equal(b.intercept, Number.NEGATIVE_INFINITY);
  // Spark takes the sign from the declared number of classes: with 2 classes it is +∞ even for label 0.
  const c = await trainLogisticRegression(never, summarize(zeros), { ...base, numClasses: 2 });
  t.equal(c.intercept, Number.POSITIVE_INFINITY);
});

t.test('logistic-regression-trainer: without an intercept the intercept stays 0 and there is no centring', async (t) => {
  const fit = await trainLogisticRegression(inMemoryOracle(ds).oracle, summary, { ...base, fitIntercept: false, maxIter: 50 });
  t.equal(fit.intercept, 0);
  const obj = createScaledLogisticObjective(inMemoryOracle(ds).oracle, summary, { ...base, fitIntercept: false });
  t.equal(obj.dimension, 5);
  const { g } = await originalGradient(ds, fit.coefficients, 0);
  for (const j of [0, 1, 3, 4]) t.ok(Math.abs(g[j]!) < 1e-5, `∂L/∂β${j} = ${g[j]}`);
});

t.test('logistic-regression-trainer: rejects invalid parameters and inconsistent summaries', async (t) => {
  const { oracle } = inMemoryOracle(ds);
  await t.rejects(trainLogisticRegression(oracle, summary, { ...base, elasticNetParam: 1.5 }), { code: 'E_INVALID_VALUE' });
  await t.rejects(trainLogisticRegression(oracle, summary, { ...base, maxIter: -1 }), { code: 'E_INVALID_VALUE' });
  await t.rejects(trainLogisticRegression(oracle, { ...summary, labelCounts: [1, 2] }, base), { code: 'E_INVALID_VALUE' });
  await t.rejects(trainLogisticRegression(oracle, { ...summary, std: summary.std.slice(1) }, base), { code: 'E_INVALID_VALUE' });
  const short: LogisticGradientOracle = async (beta, b) => ({ ...(await oracle(beta, b)), count: 3 });
  await t.rejects(trainLogisticRegression(short, summary, base), { code: 'E_INTERNAL' });
});
