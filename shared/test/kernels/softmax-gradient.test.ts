import t from 'tap';
import { mergeSoftmaxGradients, softmaxGradient, type SoftmaxGradientPartial } from '../../src/kernels/index.js';
import type { DesignBlock } from '../../src/columnar/index.js';
import { BANK_SHAPE, denseRow, layoutOf, randomBlock, seededRandom, sliceBlock } from './random-block.js';

const K = 3;
const { numericIndex, numFeatures: d } = layoutOf(BANK_SHAPE);

/** A bank-shaped random block whose labels are class indices 0..K−1. */
function classBlock(rows: number, seed: number): DesignBlock {
  const block = randomBlock(rows, BANK_SHAPE, seed);
  const rand = seededRandom(seed + 1);
  for (let r = 0; r < rows; r++) block.label[r] = Math.floor(rand() * K);
  return block;
}

function randomParams(seed: number): { beta: Float64Array; intercepts: Float64Array } {
  const rand = seededRandom(seed);
  return {
    beta: Float64Array.from({ length: K * d }, () => (rand() - 0.5) * 0.4),
    intercepts: Float64Array.from({ length: K }, () => rand() - 0.5),
  };
}

/** Loss and gradient by definition, on dense one-hot rows, with naive exp (small margins). */
function denseSoftmax(block: DesignBlock, beta: Float64Array, intercepts: Float64Array): SoftmaxGradientPartial {
  const gradSum = new Float64Array(K * d);
  const interceptGradSum = new Float64Array(K);
  let lossSum = 0;
  let weightSum = 0;
  for (let r = 0; r < block.numRows; r++) {
    const w = block.weight?.[r] ?? 1;
    weightSum += w;
    const x = denseRow(block, r, numericIndex, d);
    const m = Array.from({ length: K }, (_, k) => intercepts[k]! + x.reduce((s, v, f) => s + v * beta[k * d + f]!, 0));
    const z = m.reduce((s, v) => s + Math.exp(v), 0);
    const y = block.label[r]!;
    lossSum += w * (Math.log(z) - m[y]!);
    for (let k = 0; k < K; k++) {
      const g = w * (Math.exp(m[k]!) / z - (k === y ? 1 : 0));
      interceptGradSum[k] = interceptGradSum[k]! + g;
      for (let f = 0; f < d; f++) gradSum[k * d + f] = gradSum[k * d + f]! + g * x[f]!;
    }
  }
  return { count: block.numRows, weightSum, lossSum, gradSum, interceptGradSum };
}

const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function differences(a: SoftmaxGradientPartial, b: SoftmaxGradientPartial, tol: number): string[] {
  const out: string[] = [];
  if (a.count !== b.count) out.push(`count ${a.count} vs ${b.count}`);
  if (!close(a.weightSum, b.weightSum, tol)) out.push(`weightSum ${a.weightSum} vs ${b.weightSum}`);
  if (!close(a.lossSum, b.lossSum, tol)) out.push(`loss ${a.lossSum} vs ${b.lossSum}`);
  a.gradSum.forEach((g, i) => close(g, b.gradSum[i]!, tol) || out.push(`grad[${i}] ${g} vs ${b.gradSum[i]}`));
  a.interceptGradSum.forEach(
    (g, i) => close(g, b.interceptGradSum[i]!, tol) || out.push(`intercept[${i}] ${g} vs ${b.interceptGradSum[i]}`),
  );
  return out;
}

t.test('softmax gradient: equals the dense one-hot definition', async (t) => {
  const block = classBlock(400, 7);
  const { beta, intercepts } = randomParams(11);
  t.same(differences(softmaxGradient(block, numericIndex, beta, intercepts), denseSoftmax(block, beta, intercepts), 1e-12), []);
});

t.test('softmax gradient: the gradient matches central finite differences of the loss', async (t) => {
  const block = classBlock(120, 3);
  const { beta, intercepts } = randomParams(5);
  const at = softmaxGradient(block, numericIndex, beta, intercepts);
  const h = 1e-6;
  const bad: string[] = [];
  for (let i = 0; i < K * d; i += 5) {
    const plus = beta.slice();
    const minus = beta.slice();
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    const fd =
      (softmaxGradient(block, numericIndex, plus, intercepts).lossSum - softmaxGradient(block, numericIndex, minus, intercepts).lossSum) /
      (2 * h);
    if (!close(fd, at.gradSum[i]!, 1e-6)) bad.push(`beta[${i}] fd ${fd} vs ${at.gradSum[i]}`);
  }
  for (let k = 0; k < K; k++) {
    const plus = intercepts.slice();
    const minus = intercepts.slice();
    plus[k] = plus[k]! + h;
    minus[k] = minus[k]! - h;
    const fd =
      (softmaxGradient(block, numericIndex, beta, plus).lossSum - softmaxGradient(block, numericIndex, beta, minus).lossSum) / (2 * h);
    if (!close(fd, at.interceptGradSum[k]!, 1e-6)) bad.push(`intercept[${k}] fd ${fd} vs ${at.interceptGradSum[k]}`);
  }
  t.same(bad, []);
});

t.test('softmax gradient: huge margins do not overflow', async (t) => {
  const block = classBlock(50, 9);
  const { beta, intercepts } = randomParams(2);
  intercepts[0] = 800;
  const p = softmaxGradient(block, numericIndex, beta, intercepts);
  t.ok(Number.isFinite(p.lossSum), `loss ${p.lossSum} is finite`);
  t.ok([...p.gradSum, ...p.interceptGradSum].every(Number.isFinite), 'every gradient sum is finite');
});

t.test('softmax gradient: weights — all ones is the same bits as none, integer weights equal duplicated rows', async (t) => {
  const block = classBlock(200, 21);
  const { beta, intercepts } = randomParams(4);
  const unweighted = softmaxGradient(block, numericIndex, beta, intercepts);
  const ones = softmaxGradient({ ...block, weight: new Float64Array(block.numRows).fill(1) }, numericIndex, beta, intercepts);
  t.strictSame(ones, unweighted, 'weight 1 everywhere gives the same bits');

  const rand = seededRandom(99);
  const weight = Float64Array.from({ length: block.numRows }, () => Math.floor(rand() * 4));
  const weighted = softmaxGradient({ ...block, weight }, numericIndex, beta, intercepts);
  // The same rows repeated weight[r] times (weight 0 drops the row).
  const rows: number[] = [];
  weight.forEach((w, r) => {
    for (let i = 0; i < w; i++) rows.push(r);
  });
  const dup: DesignBlock = {
    numRows: rows.length,
    rowIds: Float64Array.from(rows, (r) => block.rowIds[r]!),
    label: Float64Array.from(rows, (r) => block.label[r]!),
    numeric: Float64Array.from(rows.flatMap((r) => [...block.numeric.subarray(r * block.numNumeric, (r + 1) * block.numNumeric)])),
    numNumeric: block.numNumeric,
    categorical: Int32Array.from(
      rows.flatMap((r) => [...block.categorical.subarray(r * block.numCategorical, (r + 1) * block.numCategorical)]),
    ),
    numCategorical: block.numCategorical,
  };
  const duplicated = softmaxGradient(dup, numericIndex, beta, intercepts);
  t.same(differences({ ...weighted, count: duplicated.count }, duplicated, 1e-9), []);
});

t.test('softmax gradient: merging partition partials in order equals the whole block', async (t) => {
  const block = classBlock(300, 13);
  const { beta, intercepts } = randomParams(8);
  const parts = [sliceBlock(block, 0, 90), sliceBlock(block, 90, 91), sliceBlock(block, 91, 300)].map((b) =>
    softmaxGradient(b, numericIndex, beta, intercepts),
  );
  const merged = mergeSoftmaxGradients(parts);
  t.same(differences(merged, softmaxGradient(block, numericIndex, beta, intercepts), 1e-12), []);
  t.strictSame(mergeSoftmaxGradients(parts), merged, 'the merge is deterministic');
  t.throws(() => mergeSoftmaxGradients([]), { code: 'E_INTERNAL' });
});
