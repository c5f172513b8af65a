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
import { storageKey, type DesignBlock } from '../columnar/design-block.js';
import { countArrayType, type CountArray } from '../columnar/shared-arrays.js';
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

/**
 * Per-thread scratch for everything a task computes before its result: the row loop's scores by
 * label, the per-row predictions and the distinct-score columns, grown to the largest block
 * seen. Two reasons: fresh memory costs a page fault per 4 KiB at first write (~0.9 ns per byte
 * on the 2-core VM of docs/performance.md, as much as the sort), and stores from a JS loop into
 * SharedArrayBuffer-backed arrays measured ~5× slower than into plain ones here, while the copy
 * into the result's SharedArrayBuffer (see resultColumns) is one memcpy per column.
 */
let scratch = new Float64Array(0);

function scratchOf(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(length);
  return scratch;
}

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

  if (block.weight !== undefined) return evaluateWeighted(block, w, beta, intercept, useMargin, opts);
  // [scores of label 1 | of label 0 | p1 | predicted class | distinct scores, positives, negatives]
  const f = scratchOf(7 * n);
  const posScores = f.subarray(0, n);
  const negScores = f.subarray(n, 2 * n);
  const probability = f.subarray(2 * n, 3 * n);
  const prediction = f.subarray(3 * n, 4 * n);
  const b = new Float64Array(beta.length + 1);
  b.set(beta);
  const out = new Float64Array(8);
  evaluateRowLoop(k, c, storageKey(block))(
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
    opts.predictions ? probability : null,
    opts.predictions ? prediction : null,
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

  const distinct = { scores: f.subarray(4 * n, 5 * n), positives: f.subarray(5 * n, 6 * n), negatives: f.subarray(6 * n, 7 * n) };
  const len = distinctDescending(sortScoresAscending(posScores.subarray(0, np)), sortScoresAscending(negScores.subarray(0, nn)), distinct);
  const partial: EvaluatePartial = { count: n, ...resultColumns(distinct, len, true), tp, fp, tn, fn, logLossSum };
  return opts.predictions ? { ...partial, predictions: predictionColumns(block, probability, prediction) } : partial;
}

/**
 * A weighted block (pipeline.weight): as Spark's evaluators with weightCol, every count becomes
 * a sum of weights — the curves' positives/negatives per distinct score, the confusion cells
 * and the log-loss sum — and `weightSum` gives the total. The margin is summed in the row
 * loop's order (categorical slots in input order, then numeric products, then + intercept), so
 * scores have the same bits as unweighted scoring. Rows of weight 0 keep their score (a point
 * with zero counts, which moves no curve), as in Spark.
 */
function evaluateWeighted(
  block: DesignBlock,
  w: Float64Array,
  beta: Float64Array,
  intercept: number,
  useMargin: boolean,
  opts: EvaluateOptions,
): EvaluatePartial {
  const n = block.numRows;
  const k = block.numNumeric;
  const c = block.numCategorical;
  const { numeric: num, categorical: cat, label } = block;
  const weight = block.weight!;
  const posScores = new Float64Array(n);
  const posWeights = new Float64Array(n);
  const negScores = new Float64Array(n);
  const negWeights = new Float64Array(n);
  const pred = opts.predictions ? { probability: new Float64Array(n), prediction: new Float64Array(n) } : undefined;
  let np = 0;
  let nn = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let logLossSum = 0;
  let weightSum = 0;
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
    const score = (useMargin ? m : p1) + 0;
    if (score !== score) {
      throw new KindlingError(
        'E_INVALID_VALUE',
        `evaluate: the score of row id ${block.rowIds[r]!} is NaN (non-finite coefficients or features)`,
        {
          rowId: block.rowIds[r],
        },
      );
    }
    const wr = weight[r]!;
    const y = label[r];
    const predicted = p1 > opts.threshold ? 1 : 0;
    const py = y === 1 ? p1 : p0;
    logLossSum += wr * (py < EPS ? LOSS_AT_EPS : py > 1 - EPS ? LOSS_AT_ONE_MINUS_EPS : -Math.log(py));
    weightSum += wr;
    if (y === 1) {
      posScores[np] = score;
      posWeights[np++] = wr;
      if (predicted === 1) tp += wr;
      else fn += wr;
    } else {
      negScores[nn] = score;
      negWeights[nn++] = wr;
      if (predicted === 1) fp += wr;
      else tn += wr;
    }
    if (pred !== undefined) {
      pred.probability[r] = p1;
      pred.prediction[r] = predicted;
    }
  }
  const distinct = { scores: new Float64Array(n), positives: new Float64Array(n), negatives: new Float64Array(n) };
  const len = distinctWeightedDescending(
    byScoreAscending(posScores.subarray(0, np), posWeights.subarray(0, np)),
    byScoreAscending(negScores.subarray(0, nn), negWeights.subarray(0, nn)),
    distinct,
  );
  const partial: EvaluatePartial = { count: n, weightSum, ...resultColumns(distinct, len, false), tp, fp, tn, fn, logLossSum };
  return pred === undefined ? partial : { ...partial, predictions: predictionColumns(block, pred.probability, pred.prediction) };
}

/** Scores ascending with their weights alongside (an index sort: weighted jobs only). */
function byScoreAscending(scores: Float64Array, weights: Float64Array): { scores: Float64Array; weights: Float64Array } {
  const idx = Uint32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  return { scores: Float64Array.from(idx, (i) => scores[i]!), weights: Float64Array.from(idx, (i) => weights[i]!) };
}

/** Merges two ascending (score, weight) lists into distinct scores, descending, with summed weights. */
function distinctWeightedDescending(
  pos: { scores: Float64Array; weights: Float64Array },
  neg: { scores: Float64Array; weights: Float64Array },
  out: ScoreColumns,
): number {
  const { scores, positives, negatives } = out;
  let i = pos.scores.length - 1;
  let j = neg.scores.length - 1;
  let o = -1;
  while (i >= 0 || j >= 0) {
    const s = j < 0 || (i >= 0 && pos.scores[i]! >= neg.scores[j]!) ? pos.scores[i]! : neg.scores[j]!;
    o++;
    scores[o] = s;
    let a = 0;
    while (i >= 0 && pos.scores[i] === s) a += pos.weights[i--]!;
    let b = 0;
    while (j >= 0 && neg.scores[j] === s) b += neg.weights[j--]!;
    positives[o] = a;
    negatives[o] = b;
  }
  return o + 1;
}

/** Merges two ascending-sorted score lists into distinct scores, descending, with counts; returns their number. */
function distinctDescending(pos: Float64Array, neg: Float64Array, out: ScoreColumns): number {
  const { scores, positives, negatives } = out;
  let i = pos.length - 1;
  let j = neg.length - 1;
  let o = -1;
  while (i >= 0 || j >= 0) {
    const s = j < 0 || (i >= 0 && pos[i]! >= neg[j]!) ? pos[i]! : neg[j]!;
    o++;
    scores[o] = s;
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
    positives[o] = a;
    negatives[o] = b;
  }
  return o + 1;
}

type ScoreColumns = { scores: Float64Array; positives: Float64Array; negatives: Float64Array };
type EvaluateScores = Pick<EvaluatePartial, 'scores' | 'positives' | 'negatives'>;

/**
 * The partial's first `len` distinct scores and counts, copied into views of one
 * SharedArrayBuffer: the result then crosses from the worker thread to the executor's main
 * thread by reference. A structured-clone copy there, on the main thread, cost 1.3 s at 10M rows
 * and left the workers waiting for their next task. Over NATS, msgpack copies the views' bytes
 * as it does any typed array. Integer counts (`integral`: an unweighted block) go into the
 * narrowest unsigned array that holds the largest, usually one byte, so a partial is 10 bytes
 * per distinct score instead of 24 in the executor, on the wire and in the driver's merge; the
 * values, and so every sum of them, are the same.
 */
function resultColumns(from: ScoreColumns, len: number, integral: boolean): EvaluateScores {
  let max = 0;
  if (integral) {
    for (let i = 0; i < len; i++) max = Math.max(max, from.positives[i]!, from.negatives[i]!);
  }
  const Counts = integral ? countArrayType(max) : Float64Array;
  const width = Counts.BYTES_PER_ELEMENT;
  const sab = new SharedArrayBuffer(8 * len + 2 * width * len);
  const scores = new Float64Array(sab, 0, len);
  const view = (offset: number): CountArray =>
    Counts === Uint8Array
      ? new Uint8Array(sab, offset, len)
      : Counts === Uint16Array
        ? new Uint16Array(sab, offset, len)
        : Counts === Uint32Array
          ? new Uint32Array(sab, offset, len)
          : new Float64Array(sab, offset, len);
  const positives = view(8 * len);
  const negatives = view((8 + width) * len);
  scores.set(from.scores.subarray(0, len));
  positives.set(from.positives.subarray(0, len));
  negatives.set(from.negatives.subarray(0, len));
  return { scores, positives, negatives };
}

/**
 * Per-row prediction columns, views of one SharedArrayBuffer (as resultColumns, for the same
 * reason), each as narrow as its values allow: row ids in Uint32Array below 2^32, labels in
 * Uint8Array when the block's are, the predicted class (0 or 1) in Uint8Array. 14 bytes a row
 * instead of 32 cross to the driver, which holds the test split's until it writes them.
 */
function predictionColumns(
  block: DesignBlock,
  probability: Float64Array,
  prediction: Float64Array,
): NonNullable<EvaluatePartial['predictions']> {
  const n = block.numRows;
  let maxRowId = 0;
  for (let i = 0; i < n; i++) maxRowId = Math.max(maxRowId, block.rowIds[i]!);
  const narrowIds = maxRowId <= 0xffffffff;
  const narrowLabels = block.label instanceof Uint8Array;
  // Widest first, so every view starts at a multiple of its element size.
  const idBytes = narrowIds ? 4 : 8;
  const labelBytes = narrowLabels ? 1 : 8;
  const sab = new SharedArrayBuffer(n * (8 + idBytes + labelBytes + 1));
  const probabilityOut = new Float64Array(sab, 0, n);
  const labelAt = narrowLabels ? (8 + idBytes) * n : 8 * n;
  const idAt = narrowLabels ? 8 * n : 16 * n;
  const rowIds = narrowIds ? new Uint32Array(sab, idAt, n) : new Float64Array(sab, idAt, n);
  const label = narrowLabels ? new Uint8Array(sab, labelAt, n) : new Float64Array(sab, labelAt, n);
  const predicted = new Uint8Array(sab, (8 + idBytes + labelBytes) * n, n);
  rowIds.set(block.rowIds);
  label.set(block.label);
  probabilityOut.set(probability.subarray(0, n));
  predicted.set(prediction.subarray(0, n));
  return { rowIds, label, probability: probabilityOut, prediction: predicted };
}
