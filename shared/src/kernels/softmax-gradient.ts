/**
 * The multinomial (softmax) gradient kernel: unscaled loss and gradient sums of K-class
 * logistic regression over one DesignBlock at original-space coefficients — the per-partition
 * work of every multinomial L-BFGS iteration. One-hot inputs stay categorical codes (no dense
 * one-hot): a row adds one coefficient per class for each categorical input.
 * Executors run it (softmax-gradient op); the driver sums partials with mergeSoftmaxGradients in
 * partition order and scales/regularises in coordinator/src/ml/multinomial-trainer.ts.
 * THREADING: pure; runs in executor worker threads on shared, read-only blocks.
 */
import { KindlingError } from '../errors.js';
import type { DesignBlock } from '../columnar/design-block.js';

/** Softmax loss and gradient sums of one partition (or of several, merged). */
export interface SoftmaxGradientPartial {
  /** Rows seen. */
  readonly count: number;
  /** Σ w over the rows (= count without a weight column). */
  readonly weightSum: number;
  /** Σ w·(log Σ_k e^{m_k} − m_y). */
  readonly lossSum: number;
  /** K × numFeatures, class-major: gradSum[k·d + f] = Σ w·(p_k − [y = k])·x_f. */
  readonly gradSum: Float64Array;
  /** Length K: Σ w·(p_k − [y = k]). */
  readonly interceptGradSum: Float64Array;
}

/**
 * Softmax sums over the block's training rows at coefficients `beta` (K × numFeatures,
 * class-major) and `intercepts` (K): m_k = intercepts[k] + β_k·x. The log-sum-exp is taken
 * after subtracting the largest margin, so no margin overflows. Rows are weighted by
 * block.weight when the block has one. Labels must be class indices 0..K−1.
 */
export function softmaxGradient(
  block: DesignBlock,
  numericIndex: readonly number[],
  beta: Float64Array,
  intercepts: Float64Array,
): SoftmaxGradientPartial {
  const K = intercepts.length;
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `softmax gradient: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  if (K < 2 || beta.length % K !== 0) {
    throw new KindlingError('E_INTERNAL', `softmax gradient: ${beta.length} coefficients do not form ${K} classes`);
  }
  const d = beta.length / K;
  // Feature-major copies (f·K + class), so each input touches K adjacent slots.
  const bt = new Float64Array(d * K);
  for (let cls = 0; cls < K; cls++) for (let f = 0; f < d; f++) bt[f * K + cls] = beta[cls * d + f]!;
  const gt = new Float64Array(d * K);
  const ig = new Float64Array(K);
  const m = new Float64Array(K);
  const numericBase = Int32Array.from(numericIndex, (f) => f * K);
  const { numeric: num, categorical: cat, label, numRows: n } = block;
  const weight = block.weight;
  let lossSum = 0;
  let weightSum = 0;
  for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
    const w = weight === undefined ? 1 : weight[r]!;
    weightSum += w;
    if (w === 0) continue;
    for (let cls = 0; cls < K; cls++) m[cls] = intercepts[cls]!;
    for (let j = 0; j < k; j++) {
      const x = num[p + j]!;
      const base = numericBase[j]!;
      for (let cls = 0; cls < K; cls++) m[cls] = m[cls]! + bt[base + cls]! * x;
    }
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f < 0) continue;
      const base = f * K;
      for (let cls = 0; cls < K; cls++) m[cls] = m[cls]! + bt[base + cls]!;
    }
    const y = label[r]!;
    const my = m[y]!;
    let max = m[0]!;
    for (let cls = 1; cls < K; cls++) if (m[cls]! > max) max = m[cls]!;
    let sum = 0;
    for (let cls = 0; cls < K; cls++) {
      const e = Math.exp(m[cls]! - max);
      m[cls] = e;
      sum += e;
    }
    lossSum += w * (Math.log(sum) + max - my);
    const inv = w / sum;
    for (let cls = 0; cls < K; cls++) m[cls] = m[cls]! * inv;
    m[y] = m[y]! - w;
    for (let cls = 0; cls < K; cls++) ig[cls] = ig[cls]! + m[cls]!;
    for (let j = 0; j < k; j++) {
      const x = num[p + j]!;
      const base = numericBase[j]!;
      for (let cls = 0; cls < K; cls++) gt[base + cls] = gt[base + cls]! + m[cls]! * x;
    }
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f < 0) continue;
      const base = f * K;
      for (let cls = 0; cls < K; cls++) gt[base + cls] = gt[base + cls]! + m[cls]!;
    }
  }
  const gradSum = new Float64Array(K * d);
  for (let cls = 0; cls < K; cls++) for (let f = 0; f < d; f++) gradSum[cls * d + f] = gt[f * K + cls]!;
  return { count: n, weightSum, lossSum, gradSum, interceptGradSum: ig };
}

/** Sums softmax partials in the given (partition) order: the same bits wherever they ran. */
export function mergeSoftmaxGradients(parts: readonly SoftmaxGradientPartial[]): SoftmaxGradientPartial {
  const first = parts[0];
  if (first === undefined) throw new KindlingError('E_INTERNAL', 'mergeSoftmaxGradients needs at least one partial');
  const gradSum = new Float64Array(first.gradSum.length);
  const interceptGradSum = new Float64Array(first.interceptGradSum.length);
  let count = 0;
  let weightSum = 0;
  let lossSum = 0;
  for (const p of parts) {
    if (p.gradSum.length !== gradSum.length || p.interceptGradSum.length !== interceptGradSum.length) {
      throw new KindlingError('E_INTERNAL', `mergeSoftmaxGradients: partial shapes differ (${p.gradSum.length} vs ${gradSum.length})`);
    }
    count += p.count;
    weightSum += p.weightSum;
    lossSum += p.lossSum;
    for (let i = 0; i < gradSum.length; i++) gradSum[i] = gradSum[i]! + p.gradSum[i]!;
    for (let i = 0; i < interceptGradSum.length; i++) interceptGradSum[i] = interceptGradSum[i]! + p.interceptGradSum[i]!;
  }
  return { count, weightSum, lossSum, gradSum, interceptGradSum };
}
