/**
 * The binomial gradient kernel for blocks with instance weights (pipeline.weight): the same
 * sums as logistic-gradient.ts, each row's terms multiplied by its weight, plus Σ w — what
 * Spark's BinaryLogisticBlockAggregator computes with a weightCol. Unweighted blocks keep the
 * unrolled kernel in logistic-gradient.ts (its bits unchanged); this plain loop serves weighted
 * ones. Run by the gradient op; mergeWeightedGradients is that op's merge.
 * THREADING: pure; runs in executor worker threads.
 */
import { KindlingError } from '../errors.js';
import type { DesignBlock } from '../columnar/design-block.js';
import type { GradientPartial } from '../tasks.js';
import { mergeGradients } from './logistic-gradient.js';

/**
 * Σ w·(log(1 + e^m) − y·m), Σ w·(σ(m) − y)·x, Σ w·(σ(m) − y) and Σ w over the block's rows,
 * m = intercept + β·x, with the stable loss of logisticGradient. Requires block.weight.
 */
export function weightedLogisticGradient(
  block: DesignBlock,
  numericIndex: readonly number[],
  beta: Float64Array,
  intercept: number,
): GradientPartial {
  const weight = block.weight;
  if (weight === undefined) throw new KindlingError('E_INTERNAL', 'weightedLogisticGradient: the block has no weights');
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `gradient: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  const d = beta.length;
  const grad = new Float64Array(d);
  const { numeric: num, categorical: cat, label, numRows: n } = block;
  let lossSum = 0;
  let interceptGradSum = 0;
  let weightSum = 0;
  for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
    const w = weight[r]!;
    weightSum += w;
    if (w === 0) continue;
    let m = intercept;
    for (let j = 0; j < k; j++) m += beta[numericIndex[j]!]! * num[p + j]!;
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f >= 0) m += beta[f]!;
    }
    const y = label[r]!;
    let loss: number;
    let sigma: number;
    if (m > 0) {
      const e = Math.exp(-m);
      loss = m + Math.log1p(e) - y * m;
      sigma = 1 / (1 + e);
    } else {
      const e = Math.exp(m);
      loss = Math.log1p(e) - y * m;
      sigma = e / (1 + e);
    }
    const dw = w * (sigma - y);
    lossSum += w * loss;
    interceptGradSum += dw;
    for (let j = 0; j < k; j++) {
      const f = numericIndex[j]!;
      grad[f] = grad[f]! + dw * num[p + j]!;
    }
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f >= 0) grad[f] = grad[f]! + dw;
    }
  }
  return { count: n, lossSum, gradSum: grad, interceptGradSum, weightSum };
}

/** mergeGradients, plus Σ w when the partials carry weight sums (weighted blocks). */
export function mergeWeightedGradients(parts: readonly GradientPartial[]): GradientPartial {
  const merged = mergeGradients(parts);
  if (parts.every((p) => p.weightSum === undefined)) return merged;
  let weightSum = 0;
  for (const p of parts) weightSum += p.weightSum ?? p.count;
  return { ...merged, weightSum };
}
