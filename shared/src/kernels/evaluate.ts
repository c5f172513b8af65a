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
import { evaluateRowLoop } from './evaluate-row-loop.js';
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

  const posScores = new Float64Array(n);
  const negScores = new Float64Array(n);
  const pred = opts.predictions
    ? {
        rowIds: Float64Array.from(block.rowIds),
        label: Float64Array.from(label),
        probability: new Float64Array(n),
        prediction: new Float64Array(n),
      }
    : undefined;
  const b = new Float64Array(beta.length + 1);
  b.set(beta);
  const out = new Float64Array(8);
  evaluateRowLoop(k, c)(
    num,
    cat,
    label,
    n,
    b,
    w,
    intercept,
    useMargin,
    opts.threshold,
    posScores,
    negScores,
    pred?.probability ?? null,
    pred?.prediction ?? null,
    LOSS_AT_EPS,
    LOSS_AT_ONE_MINUS_EPS,
    out,
  );
  const np = out[0]!;
  const nn = out[1]!;
  const bad = out[7]!;
  if (bad >= 0) {
    throw new KindlingError(
      'E_INVALID_VALUE',
      `evaluate: the score of row id ${block.rowIds[bad]!} is NaN (non-finite coefficients or features)`,
      {
        rowId: block.rowIds[bad],
      },
    );
  }
  const [tp, fp, tn, fn, logLossSum] = [out[2]!, out[3]!, out[4]!, out[5]!, out[6]!];

  const { scores, positives, negatives } = distinctDescending(
    sortScoresAscending(posScores.subarray(0, np)),
    sortScoresAscending(negScores.subarray(0, nn)),
  );
  const partial: EvaluatePartial = { count: n, scores, positives, negatives, tp, fp, tn, fn, logLossSum };
  return pred === undefined ? partial : { ...partial, predictions: pred };
}

/** Merges two ascending-sorted score lists into distinct scores, descending, with counts. */
function distinctDescending(
  pos: Float64Array,
  neg: Float64Array,
): { scores: Float64Array; positives: Float64Array; negatives: Float64Array } {
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
