/**
 * The score kernel: applies a fitted pipeline (the EncodingPlan of a saved PipelineModel, its
 * column indices mapped onto the new input) and a fitted logistic regression to one loaded
 * partition (ColumnBatch), as Spark's PipelineModel.transform does: per kept row its
 * rawPrediction, probability and prediction, plus the pass-through columns the user kept.
 * `kindling predict` runs it (score op); training never does.
 *
 * The arithmetic is the training job's evaluation, operation for operation, so a row scores
 * to the same bits here as in the job's predictions: binomial margin = categorical weights in
 * input order, then numeric products in order, then + intercept; p0 = 1/(1 + e^m), p1 = 1 − p0
 * (evaluate-row-loop.ts); multinomial margins and softmax as evaluate-multiclass.ts. The label
 * is never read: predicting does not need it.
 *
 * Invalid values follow each input's handleInvalid as the encode kernel applies them: a
 * category not seen at fit time (or a null) is an error naming the column and value, the extra
 * bucket (keep), or drops the row (skip, counted); a null or NaN numeric input follows the
 * assembler's handleInvalid. Errors carry the row id; the driver turns it into a file line.
 * THREADING: pure; runs on the worker thread of the task.
 */
import { DataError, KindlingError } from '../errors.js';
import { columnAt, type ColumnBatch, type NumericColumn } from '../columnar/column-batch.js';
import { dictionaryValue, dictionaryValues } from '../columnar/string-dictionary.js';
import type { EncodingPlan, ScorePartial } from '../tasks.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { numericColumn, resolveOneHot, UNSEEN, type ResolvedOneHot } from './feature-inputs.js';

/** The fitted classifier, as the score op's params carry it. */
export interface ScoreModel {
  readonly family: 'binomial' | 'multinomial';
  /** Binomial: numFeatures coefficients. Multinomial: K × numFeatures, class-major. */
  readonly beta: Float64Array;
  /** Binomial: [intercept]. Multinomial: the K intercepts. */
  readonly intercepts: Float64Array;
  /** Binomial: predicted class is 1 iff p1 > threshold (strict, as Spark). */
  readonly threshold: number;
}

/** Scores every row of `batch`; `keep` lists the column indices passed through. */
export function scorePartition(
  batch: ColumnBatch,
  plan: EncodingPlan,
  model: ScoreModel,
  keep: readonly number[],
  fileName: string,
): ScorePartial {
  const n = batch.numRows;
  const oneHots: ResolvedOneHot[] = [];
  const numerics: { name: string; col: NumericColumn }[] = [];
  for (const f of plan.features) {
    if (f.kind === 'onehot') oneHots.push(resolveOneHot(batch, f));
    else numerics.push({ name: f.name, col: numericColumn(batch, f.column, f.name, 'numeric input') });
  }
  const { numericIndex } = buildFeatureLayout(plan.features);
  const d = plan.numFeatures;
  const K = model.family === 'binomial' ? 2 : model.intercepts.length;
  if (model.family === 'binomial' ? model.beta.length !== d || model.intercepts.length !== 1 : model.beta.length !== K * d) {
    throw new KindlingError('E_INTERNAL', `score: ${model.beta.length} coefficients for ${d} features (${model.family}, K = ${K})`);
  }
  const c = oneHots.length;
  const k = numerics.length;
  const skipNumeric = plan.numericHandleInvalid === 'skip';

  // Pass 1: validate every row (handleInvalid) and gather the design of the kept ones.
  const keptRows = new Int32Array(n);
  const cat = new Int32Array(n * c);
  const num = new Float64Array(n * k);
  let m = 0;
  let skipped = 0;
  rows: for (let r = 0; r < n; r++) {
    for (let j = 0; j < c; j++) {
      const h = oneHots[j]!;
      const code = h.column.codes[r]!;
      const v = code < 0 ? h.nullIndex : h.codeMap[code]!;
      if (v !== UNSEEN) {
        cat[m * c + j] = v;
        continue;
      }
      if (h.input.handleInvalid === 'skip') {
        skipped++;
        continue rows;
      }
      const value = code < 0 ? null : dictionaryValue(h.column.dict, code);
      throw new DataError(
        'E_INVALID_VALUE',
        `${fileName}: data record ${batch.rowIds[r]! + 1} (row id ${batch.rowIds[r]!}): column '${h.input.name}' has ` +
          `${value === null ? 'a null value' : `value '${value}', not seen when the StringIndexer was fitted`} ` +
          `(handleInvalid = error; refit with 'skip' or 'keep' to accept it)`,
        { file: fileName, rowId: batch.rowIds[r], column: h.input.name, value },
      );
    }
    for (let j = 0; j < k; j++) {
      const { name, col } = numerics[j]!;
      const x = col.values[r]!;
      const isNull = col.nulls !== null && col.nulls[r] === 1;
      if (!isNull && !Number.isNaN(x)) {
        num[m * k + j] = x;
        continue;
      }
      if (skipNumeric) {
        skipped++;
        continue rows;
      }
      throw new DataError(
        'E_INVALID_VALUE',
        `${fileName}: data record ${batch.rowIds[r]! + 1} (row id ${batch.rowIds[r]!}): numeric column '${name}' is ` +
          `${isNull ? 'null' : 'NaN'} (assembler handleInvalid = error)`,
        { file: fileName, rowId: batch.rowIds[r], column: name, value: isNull ? null : 'NaN' },
      );
    }
    keptRows[m++] = r;
  }

  // Pass 2: score the kept rows.
  const rowIds = new Float64Array(m);
  for (let i = 0; i < m; i++) rowIds[i] = batch.rowIds[keptRows[i]!]!;
  const rawPrediction = new Float64Array(m * K);
  const probability = new Float64Array(m * K);
  const prediction = new Float64Array(m);
  if (model.family === 'binomial') {
    scoreBinomial(m, k, c, num, cat, model, numericIndex, rawPrediction, probability, prediction);
  } else {
    scoreMultinomial(m, k, c, num, cat, model, numericIndex, K, rawPrediction, probability, prediction);
  }
  return {
    count: m,
    skipped,
    numClasses: K,
    rowIds,
    rawPrediction,
    probability,
    prediction,
    columns: keep.map((index) => keptColumn(batch, index, keptRows, m)),
  };
}

/** evaluate-row-loop.ts's margin and probabilities, with the margin kept for rawPrediction. */
function scoreBinomial(
  m: number,
  k: number,
  c: number,
  num: Float64Array,
  cat: Int32Array,
  model: ScoreModel,
  numericIndex: readonly number[],
  raw: Float64Array,
  prob: Float64Array,
  pred: Float64Array,
): void {
  const b = model.beta;
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) w[j] = b[numericIndex[j]!]!;
  const intercept = model.intercepts[0]!;
  const threshold = model.threshold;
  for (let r = 0, p = 0, q = 0; r < m; r++, p += k, q += c) {
    // The evaluate loop adds a +0 spare for a dropped category; skipping it gives the same bits.
    let dot = 0;
    for (let j = 0; j < c; j++) {
      const f = cat[q + j]!;
      if (f >= 0) dot += b[f]!;
    }
    for (let j = 0; j < k; j++) dot += w[j]! * num[p + j]!;
    const margin = dot + intercept;
    const p0 = 1 / (1 + Math.exp(margin));
    const p1 = 1 - p0;
    raw[2 * r] = -margin;
    raw[2 * r + 1] = margin;
    prob[2 * r] = p0;
    prob[2 * r + 1] = p1;
    pred[r] = p1 > threshold ? 1 : 0;
  }
}

/** evaluate-multiclass.ts's margins and softmax; prediction = the first class of highest probability. */
function scoreMultinomial(
  m: number,
  k: number,
  c: number,
  num: Float64Array,
  cat: Int32Array,
  model: ScoreModel,
  numericIndex: readonly number[],
  K: number,
  raw: Float64Array,
  prob: Float64Array,
  pred: Float64Array,
): void {
  const beta = model.beta;
  const d = beta.length / K;
  const e = new Float64Array(K);
  for (let r = 0, p = 0, q = 0; r < m; r++, p += k, q += c) {
    for (let cls = 0; cls < K; cls++) {
      let s = model.intercepts[cls]!;
      const row = cls * d;
      for (let j = 0; j < k; j++) s += beta[row + numericIndex[j]!]! * num[p + j]!;
      for (let j = 0; j < c; j++) {
        const f = cat[q + j]!;
        if (f >= 0) s += beta[row + f]!;
      }
      raw[r * K + cls] = s;
    }
    let max = raw[r * K]!;
    for (let cls = 1; cls < K; cls++) if (raw[r * K + cls]! > max) max = raw[r * K + cls]!;
    let sum = 0;
    for (let cls = 0; cls < K; cls++) {
      const s = raw[r * K + cls]!;
      const x = max === Number.POSITIVE_INFINITY ? (s === max ? 1 : 0) : Math.exp(s - max);
      e[cls] = x;
      sum += x;
    }
    let best = 0;
    for (let cls = 0; cls < K; cls++) {
      e[cls] = e[cls]! / sum;
      if (e[cls]! > e[best]!) best = cls;
    }
    prob.set(e, r * K);
    pred[r] = best;
  }
}

function keptColumn(batch: ColumnBatch, index: number, keptRows: Int32Array, m: number): ScorePartial['columns'][number] {
  const col = columnAt(batch, index, 'score');
  if (col === undefined) throw new KindlingError('E_INTERNAL', `score: kept column ${index} is not in the batch`);
  if (col.kind === 'string') {
    const codes = new Int32Array(m);
    for (let i = 0; i < m; i++) codes[i] = col.codes[keptRows[i]!]!;
    return { kind: 'string', codes, dictionary: dictionaryValues(col.dict) };
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = col.values[keptRows[i]!]!;
  if (col.nulls === null) return { kind: 'numeric', values };
  const nulls = new Uint8Array(m);
  for (let i = 0; i < m; i++) nulls[i] = col.nulls[keptRows[i]!]!;
  return { kind: 'numeric', values, nulls };
}
