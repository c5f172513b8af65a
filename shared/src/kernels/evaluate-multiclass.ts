/**
 * The multiclass evaluation kernel: scores one DesignBlock with a K-class softmax model and
 * sums what Spark's MulticlassMetrics needs — the weighted K × K confusion matrix and the
 * log-loss sum — optionally with per-row predictions (the K-vector of probabilities).
 * Executors run it (evaluate-multiclass op); the driver merges partials in partition order
 * (mergeMulticlassEvaluations) and computes the metrics in shared/src/ml/multiclass-metrics.ts.
 * THREADING: pure; runs in executor worker threads.
 */
import { KindlingError } from '../errors.js';
import type { DesignBlock } from '../columnar/design-block.js';

/** Spark's logLoss clipping (MulticlassMetrics eps). */
export const LOG_LOSS_EPS = 1e-15;

/** One partition's multiclass evaluation. */
export interface MulticlassEvaluationPartial {
  readonly count: number;
  readonly weightSum: number;
  readonly numClasses: number;
  /** K × K, row = true label, column = prediction: summed weights. */
  readonly confusion: Float64Array;
  /** Σ w·(−log max(p_y, eps)). */
  readonly logLossSum: number;
  /** Present when asked: per row in block order; probability is numRows × K row-major. */
  readonly predictions?: {
    readonly rowIds: Float64Array;
    readonly label: Float64Array;
    readonly probability: Float64Array;
    readonly prediction: Float64Array;
  };
}

/**
 * Softmax probabilities of each row at coefficients `beta` (K × d class-major) and
 * `intercepts`; prediction = the first class of highest probability (Spark's argmax).
 */
export function evaluateMulticlassBlock(
  block: DesignBlock,
  numericIndex: readonly number[],
  beta: Float64Array,
  intercepts: Float64Array,
  predictions: boolean,
): MulticlassEvaluationPartial {
  const K = intercepts.length;
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k || beta.length % K !== 0) {
    throw new KindlingError(
      'E_INTERNAL',
      `evaluate multiclass: block/layout mismatch (${k} numeric inputs, ${numericIndex.length} in layout, ${beta.length} coefficients)`,
    );
  }
  const d = beta.length / K;
  const n = block.numRows;
  const confusion = new Float64Array(K * K);
  const probability = predictions ? new Float64Array(n * K) : undefined;
  const prediction = predictions ? new Float64Array(n) : undefined;
  const m = new Float64Array(K);
  let logLossSum = 0;
  let weightSum = 0;
  for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
    const w = block.weight === undefined ? 1 : block.weight[r]!;
    for (let cls = 0; cls < K; cls++) {
      let s = intercepts[cls]!;
      const row = cls * d;
      for (let j = 0; j < k; j++) s += beta[row + numericIndex[j]!]! * block.numeric[p + j]!;
      for (let j = 0; j < c; j++) {
        const f = block.categorical[q + j]!;
        if (f >= 0) s += beta[row + f]!;
      }
      m[cls] = s;
    }
    let max = m[0]!;
    for (let cls = 1; cls < K; cls++) if (m[cls]! > max) max = m[cls]!;
    let sum = 0;
    for (let cls = 0; cls < K; cls++) {
      // An infinite margin (single-label model) takes all the probability.
      const e = max === Number.POSITIVE_INFINITY ? (m[cls] === max ? 1 : 0) : Math.exp(m[cls]! - max);
      m[cls] = e;
      sum += e;
    }
    let best = 0;
    for (let cls = 0; cls < K; cls++) {
      m[cls] = m[cls]! / sum;
      if (m[cls]! > m[best]!) best = cls;
    }
    const y = block.label[r]!;
    confusion[y * K + best] = confusion[y * K + best]! + w;
    logLossSum += w * -Math.log(Math.max(m[y]!, LOG_LOSS_EPS));
    weightSum += w;
    if (probability !== undefined) {
      probability.set(m, r * K);
      prediction![r] = best;
    }
  }
  return {
    count: n,
    weightSum,
    numClasses: K,
    confusion,
    logLossSum,
    ...(probability !== undefined
      ? {
          predictions: {
            rowIds: Float64Array.from(block.rowIds),
            label: Float64Array.from(block.label),
            probability,
            prediction: prediction!,
          },
        }
      : {}),
  };
}

/** Sums partials in partition order (predictions are not merged: they stay per partition). */
export function mergeMulticlassEvaluations(
  parts: readonly MulticlassEvaluationPartial[],
): Omit<MulticlassEvaluationPartial, 'predictions'> {
  const first = parts[0];
  if (first === undefined) throw new KindlingError('E_INTERNAL', 'mergeMulticlassEvaluations needs at least one partial');
  const confusion = new Float64Array(first.confusion.length);
  let count = 0;
  let weightSum = 0;
  let logLossSum = 0;
  for (const p of parts) {
    if (p.confusion.length !== confusion.length) throw new KindlingError('E_INTERNAL', 'mergeMulticlassEvaluations: partial shapes differ');
    count += p.count;
    weightSum += p.weightSum;
    logLossSum += p.logLossSum;
    for (let i = 0; i < confusion.length; i++) confusion[i] = confusion[i]! + p.confusion[i]!;
  }
  return { count, weightSum, numClasses: first.numClasses, confusion, logLossSum };
}
