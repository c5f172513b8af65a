/**
 * The evaluate kernel: scores one DesignBlock with a fitted model and returns what the
 * driver needs for Spark's BinaryClassificationMetrics and MulticlassMetrics — distinct
 * scores (descending) with positive/negative counts, confusion counts at the threshold and
 * the log-loss sum — and, on request, per-row predictions. The driver merges partials with
 * binaryClassificationMetrics (ml/binary-metrics.ts).
 *
 * Probabilities are computed as Spark's LogisticRegressionModel does (p0 = 1/(1 + e^m),
 * p1 = 1 − p0), so probability scores tie and round as in Spark. The margin is the feature
 * dot product in input order, then + intercept (Spark's sparse dot, for one-hot-first layouts).
 */
import { KindlingError } from '../errors.js';
import type { DesignBlock } from '../columnar/design-block.js';
import type { EvaluatePartial } from '../tasks.js';
import { sortScoresAscending } from './score-sort.js';

/** Options of evaluateBlock (from the evaluate TaskSpec). */
export interface EvaluateOptions {
  /** Score used for the curves: the margin (rawPrediction[1]) or probability[1]. */
  readonly score: 'margin' | 'probability';
  /** Predicted class is 1 iff probability[1] > threshold (strict, as Spark). */
  readonly threshold: number;
  /** Return per-row predictions. */
  readonly predictions: boolean;
}

const EPS = 1e-15;
/** Spark MulticlassMetrics.logLoss's values for clipped probabilities. */
const LOSS_AT_EPS = -Math.log(EPS);
const LOSS_AT_ONE_MINUS_EPS = -Math.log1p(-EPS);

/** Scores a block and summarises it for the metrics. */
export function evaluateBlock(
  block: DesignBlock,
  numericIndex: readonly number[],
  beta: Float64Array,
  intercept: number,
  opts: EvaluateOptions,
): EvaluatePartial {
  const n = block.numRows;
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `evaluate: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  const num = block.numeric;
  const cat = block.categorical;
  const label = block.label;
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) w[j] = beta[numericIndex[j]!]!;
  const useMargin = opts.score === 'margin';
  const threshold = opts.threshold;

  const posScores = new Float64Array(n);
  const negScores = new Float64Array(n);
  let np = 0;
  let nn = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let logLossSum = 0;
  const pred = opts.predictions
    ? { rowIds: Float64Array.from(block.rowIds), label: Float64Array.from(label), probability: new Float64Array(n), prediction: new Float64Array(n) }
    : undefined;

  for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
    let dot = 0;
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f >= 0) dot += beta[f]!;
    }
    for (let j = 0; j < k; j++) dot += w[j]! * num[p + j]!;
    const m = dot + intercept;
    const p0 = 1 / (1 + Math.exp(m));
    const p1 = 1 - p0;
    const score = (useMargin ? m : p1) + 0; // + 0 turns -0 into 0: one score, as a grouping key should be
    if (Number.isNaN(score)) {
      throw new KindlingError('E_INVALID_VALUE', `evaluate: the score of row id ${block.rowIds[r]!} is NaN (non-finite coefficients or features)`, {
        rowId: block.rowIds[r],
      });
    }
    const y = label[r]!;
    const predicted = p1 > threshold ? 1 : 0;
    const py = y === 1 ? p1 : p0;
    logLossSum += py < EPS ? LOSS_AT_EPS : py > 1 - EPS ? LOSS_AT_ONE_MINUS_EPS : -Math.log(py);
    if (y === 1) {
      posScores[np++] = score;
      if (predicted === 1) tp++;
      else fn++;
    } else {
      negScores[nn++] = score;
      if (predicted === 1) fp++;
      else tn++;
    }
    if (pred !== undefined) {
      pred.probability[r] = p1;
      pred.prediction[r] = predicted;
    }
  }

  const { scores, positives, negatives } = distinctDescending(sortScoresAscending(posScores.subarray(0, np)), sortScoresAscending(negScores.subarray(0, nn)));
  const partial: EvaluatePartial = { count: n, scores, positives, negatives, tp, fp, tn, fn, logLossSum };
  return pred === undefined ? partial : { ...partial, predictions: pred };
}

/** Merges two ascending-sorted score lists into distinct scores, descending, with counts. */
function distinctDescending(pos: Float64Array, neg: Float64Array): { scores: Float64Array; positives: Float64Array; negatives: Float64Array } {
  const cap = pos.length + neg.length;
  const scores = new Float64Array(cap);
  const positives = new Float64Array(cap);
  const negatives = new Float64Array(cap);
  let i = pos.length - 1;
  let j = neg.length - 1;
  let out = -1;
  while (i >= 0 || j >= 0) {
    const s = j < 0 || (i >= 0 && pos[i]! >= neg[j]!) ? pos[i]! : neg[j]!;
    out++;
    scores[out] = s;
    let a = 0;
    while (i >= 0 && pos[i] === s) {
      a++;
      i--;
    }
    let b = 0;
    while (j >= 0 && neg[j] === s) {
      b++;
      j--;
    }
    positives[out] = a;
    negatives[out] = b;
  }
  const len = out + 1;
  return { scores: scores.slice(0, len), positives: positives.slice(0, len), negatives: negatives.slice(0, len) };
}
