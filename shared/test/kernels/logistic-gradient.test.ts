import t from 'tap';
import { logisticGradient, mergeGradients } from '../../src/kernels/index.js';
import type { GradientPartial } from '../../src/tasks.js';
import { BANK_SHAPE, denseLoss, denseRow, layoutOf, randomBlock, seededRandom, sliceBlock, type BlockShape } from './random-block.js';

const relClose = (actual: number, expected: number, tol: number): boolean =>
  Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));

function randomBeta(numFeatures: number, seed: number, scale = 0.4): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: numFeatures }, () => (rand() - 0.5) * scale);
}

/** Gradient by definition, on dense rows. */
function denseGradient(shape: BlockShape, rows: number, seed: number, beta: Float64Array, intercept: number): GradientPartial {
  const block = randomBlock(rows, shape, seed);
  const { numericIndex } = layoutOf(shape);
  const grad = new Float64Array(beta.length);
  let ig = 0;
  for (let r = 0; r < rows; r++) {
    const x = denseRow(block, r, numericIndex, beta.length);
    let m = intercept;
    for (let f = 0; f < x.length; f++) m += beta[f]! * x[f]!;
    const d = 1 / (1 + Math.exp(-m)) - block.label[r]!;
    ig += d;
    for (let f = 0; f < x.length; f++) grad[f] = grad[f]! + d * x[f]!;
  }
  return { count: rows, lossSum: denseLoss(block, numericIndex, beta, intercept), gradSum: grad, interceptGradSum: ig };
}

/** Differences between two partials beyond a relative tolerance, as readable lines. */
function differences(a: GradientPartial, b: GradientPartial, tol: number): string[] {
  const out: string[] = [];
  if (a.count !== b.count) out.push(`count ${a.count} vs ${b.count}`);
  if (!relClose(a.lossSum, b.lossSum, tol)) out.push(`loss ${a.lossSum} vs ${b.lossSum}`);
  if (!relClose(a.interceptGradSum, b.interceptGradSum, tol)) out.push(`intercept gradient ${a.interceptGradSum} vs ${b.interceptGradSum}`);
  a.gradSum.forEach((g, f) => {
    if (!relClose(g, b.gradSum[f]!, tol)) out.push(`gradient[${f}] ${g} vs ${b.gradSum[f]}`);
  });
  return out;
}

t.test('logistic-gradient: loss and gradient equal the dense textbook formulas', async (t) => {
  const shapes: [string, BlockShape][] = [
    ['bank layout (unrolled loop)', BANK_SHAPE],
    ['numeric only', { slots: [], numNumeric: 3 }],
    ['one-hot only', { slots: [4, 2], numNumeric: 0 }],
    ['wide block (plain loop)', { slots: Array.from({ length: 40 }, () => 2), numNumeric: 30 }],
  ];
  for (const [name, shape] of shapes) {
    const { numericIndex, numFeatures } = layoutOf(shape);
    const beta = randomBeta(numFeatures, 7);
    const block = randomBlock(500, shape, 11);
    const fast = logisticGradient(block, numericIndex, beta, -0.25);
    t.same(differences(fast, denseGradient(shape, 500, 11, beta, -0.25), 1e-10), [], name);
  }
});

t.test('logistic-gradient: gradient matches central finite differences of the loss', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const block = randomBlock(300, BANK_SHAPE, 3);
  const beta = randomBeta(numFeatures, 5);
  const intercept = 0.3;
  const g = logisticGradient(block, numericIndex, beta, intercept);
  const h = 1e-5;
  const loss = (b: Float64Array, i: number): number => logisticGradient(block, numericIndex, b, i).lossSum;
  for (let f = 0; f < numFeatures; f++) {
    const up = Float64Array.from(beta);
    const down = Float64Array.from(beta);
    up[f] = up[f]! + h;
    down[f] = down[f]! - h;
    const fd = (loss(up, intercept) - loss(down, intercept)) / (2 * h);
    t.ok(Math.abs(fd - g.gradSum[f]!) <= 1e-5 * Math.max(1, Math.abs(fd)), `feature ${f}: ${g.gradSum[f]} vs ${fd}`);
  }
  const fdIntercept = (loss(beta, intercept + h) - loss(beta, intercept - h)) / (2 * h);
  t.ok(Math.abs(fdIntercept - g.interceptGradSum) <= 1e-5 * Math.max(1, Math.abs(fdIntercept)), 'intercept');
});

t.test('logistic-gradient: merging partition partials equals one pass over all rows', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const whole = randomBlock(2000, BANK_SHAPE, 21);
  const beta = randomBeta(numFeatures, 9);
  const all = logisticGradient(whole, numericIndex, beta, -0.1);
  const parts = [0, 300, 301, 1200, 2000].slice(1).map((to, i, ends) => sliceBlock(whole, i === 0 ? 0 : ends[i - 1]!, to));
  const merged = mergeGradients(parts.map((p) => logisticGradient(p, numericIndex, beta, -0.1)));
  // Tolerance: only the summation order differs (relative rounding ~1e-16 per add).
  t.same(differences(merged, all, 1e-12), [], 'merge(map(A), map(B), …) vs map(A ∪ B)');
  t.throws(() => mergeGradients([]), { code: 'E_INTERNAL' });
});

t.test('logistic-gradient: loss stays finite and exact for extreme margins', async (t) => {
  const shape: BlockShape = { slots: [], numNumeric: 1 };
  const block = randomBlock(2, shape, 1);
  block.numeric[0] = 1;
  block.numeric[1] = -1;
  block.label[0] = 0;
  block.label[1] = 1;
  const g = logisticGradient(block, [0], Float64Array.of(800), 0);
  // y=0, m=800 → 800; y=1, m=−800 → 800; σ − y = 1 and −1.
  t.equal(g.lossSum, 1600);
  t.equal(g.gradSum[0], 2);
  t.equal(g.interceptGradSum, 0);
  const tiny = logisticGradient(block, [0], Float64Array.of(-40), 0);
  t.ok(relClose(tiny.lossSum, 2 * Math.log1p(Math.exp(-40)), 1e-15), 'log1p keeps precision for tiny losses');
});

t.test('logistic-gradient: results are bit-identical across calls', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const block = randomBlock(1000, BANK_SHAPE, 8);
  const beta = randomBeta(numFeatures, 2);
  const a = logisticGradient(block, numericIndex, beta, 0.5);
  const b = logisticGradient(block, numericIndex, beta, 0.5);
  t.same(a, b);
  t.equal(a.gradSum.length, numFeatures);
  t.throws(() => logisticGradient(block, [1, 2], beta, 0), { code: 'E_INTERNAL' });
});
