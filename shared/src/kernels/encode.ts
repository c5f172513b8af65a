/**
 * The encode kernel: turns one loaded partition (ColumnBatch) into its train and test
 * DesignBlocks under a fitted EncodingPlan — StringIndexer + OneHotEncoder + VectorAssembler
 * + the deterministic split. Executors run it (encode task, or when a block must be rebuilt
 * from lineage); the cached blocks are then read by summarize, gradient and evaluate.
 *
 * Each partition dictionary code is mapped once to its final feature index, so the row
 * loops do only array lookups. A first pass validates rows and decides their split (so the
 * blocks are allocated exactly sized, in the narrowest storage their values allow: see
 * allocateDesignBlock), a second writes them. Invalid values follow
 * handleInvalid (error names file, row id, column and value; skip drops the row; keep uses
 * the extra category). Within a row the label is checked first, then the inputs in vector
 * order; the first invalid one decides.
 */
import { DataError, KindlingError } from '../errors.js';
import type { ColumnBatch, NumericColumn, StringColumn } from '../columnar/column-batch.js';
import { allocateDesignBlock, type DesignBlock } from '../columnar/design-block.js';
import { fitsInt32 } from '../columnar/shared-arrays.js';
import { dictionaryValue } from '../columnar/string-dictionary.js';
import type { EncodePartial, EncodingPlan } from '../tasks.js';
import { splitDraw } from '../ml/random-split.js';
import { numericColumn, resolveOneHot, stringColumn, UNSEEN, type ResolvedOneHot } from './feature-inputs.js';

/** The result of encodePartition. */
export interface EncodedPartition {
  readonly train: DesignBlock;
  readonly test: DesignBlock;
  readonly partial: EncodePartial;
}

/** Fates of a row after validation. */
const SKIP = 0;
const TRAIN = 1;
const TEST = 2;

function describeValue(col: StringColumn, code: number): string {
  return code < 0 ? 'null' : `'${dictionaryValue(col.dict, code)}'`;
}

/** splitAssignment values (PartitionLineage.splitAssignment). */
const ASSIGNED_TRAIN = 0;
const ASSIGNED_TEST = 1;
const ASSIGNED_NONE = 255;

/**
 * Encodes one partition: label → 0/1, one-hot inputs → feature indices (-1 for the dropped
 * last category), numeric inputs copied row-major, and each kept row sent to train iff
 * splitDraw(seed, rowId) < trainFraction — or, when `splitAssignment` is given (Spark-compat
 * split, one entry per batch row), as it says: 0 train, 1 test, 255 neither (dropped, not
 * counted as skipped). Returns exactly sized SharedArrayBuffer-backed blocks. `fileName` is
 * only used in error messages.
 */
export function encodePartition(batch: ColumnBatch, plan: EncodingPlan, fileName: string, splitAssignment?: Uint8Array): EncodedPartition {
  const n = batch.numRows;
  const rowIds = batch.rowIds;
  const { seed, trainFraction } = plan.split;
  if (!Number.isSafeInteger(seed)) throw new KindlingError('E_INTERNAL', `split seed must be a safe integer, got ${seed}`);
  if (splitAssignment !== undefined && splitAssignment.length !== n) {
    throw new KindlingError('E_INTERNAL', `split assignment has ${splitAssignment.length} entries for a partition of ${n} rows`);
  }
  const where = (r: number): string => rowWhere(fileName, rowIds, r);

  const labelOf = labelReader(batch, plan, fileName);
  const weightOf = weightReader(batch, plan, fileName);
  const oneHots: ResolvedOneHot[] = [];
  const numerics: { name: string; col: NumericColumn }[] = [];
  for (const f of plan.features) {
    if (f.kind === 'onehot') oneHots.push(resolveOneHot(batch, f));
    else numerics.push({ name: f.name, col: numericColumn(batch, f.column, f.name, 'numeric input') });
  }
  const numCat = oneHots.length;
  const numNum = numerics.length;
  const skipNumeric = plan.numericHandleInvalid === 'skip';

  // Pass 1: validate every row and decide its fate, so the blocks can be sized exactly.
  const fate = new Uint8Array(n);
  const label = new Float64Array(n);
  const weight = weightOf === undefined ? undefined : new Float64Array(n);
  let trainRows = 0;
  let testRows = 0;
  let skippedRows = 0;
  let integralNumeric = true;
  rows: for (let r = 0; r < n; r++) {
    label[r] = labelOf(r);
    if (weight !== undefined) weight[r] = weightOf!(r);
    for (const h of oneHots) {
      const code = h.codes[r]!;
      const v = code < 0 ? h.nullIndex : h.codeMap[code]!;
      if (v !== UNSEEN) continue;
      if (h.input.handleInvalid === 'skip') {
        skippedRows++;
        continue rows;
      }
      const value = describeValue(h.column, code);
      throw new DataError(
        'E_INVALID_VALUE',
        `${where(r)}: column '${h.input.name}' has ${code < 0 ? 'a null value' : `value ${value}, not seen when the StringIndexer was fitted`} ` +
          `(handleInvalid = error; use 'skip' or 'keep' to accept it)`,
        { file: fileName, rowId: rowIds[r], column: h.input.name, value: code < 0 ? null : dictionaryValue(h.column.dict, code) },
      );
    }
    for (const { name, col } of numerics) {
      const x = col.values[r]!;
      const isNull = col.nulls !== null && col.nulls[r] === 1;
      if (!isNull && !Number.isNaN(x)) {
        if (integralNumeric && !fitsInt32(x)) integralNumeric = false;
        continue;
      }
      if (skipNumeric) {
        skippedRows++;
        continue rows;
      }
      throw new DataError(
        'E_INVALID_VALUE',
        `${where(r)}: numeric column '${name}' is ${isNull ? 'null' : 'NaN'} (assembler handleInvalid = error; use 'skip' to drop such rows)`,
        { file: fileName, rowId: rowIds[r], column: name, value: isNull ? null : 'NaN' },
      );
    }
    const assigned = splitAssignment?.[r];
    if (assigned === undefined ? splitDraw(seed, rowIds[r]!) < trainFraction : assigned === ASSIGNED_TRAIN) {
      fate[r] = TRAIN;
      trainRows++;
    } else if (assigned === undefined || assigned === ASSIGNED_TEST) {
      fate[r] = TEST;
      testRows++;
    } else if (assigned !== ASSIGNED_NONE) {
      throw new KindlingError('E_INTERNAL', `split assignment of row id ${rowIds[r]!} is ${assigned} (0, 1 or 255 expected)`);
    }
  }

  // A partition whose weights are all exactly 1 is stored unweighted: weight 1 is the
  // identity, and the unweighted kernels then give the same bits as no weight column at all.
  const weighted = weight !== undefined && weight.some((w, r) => w !== 1 && fate[r] !== SKIP);
  let maxFeatureIndex = -1;
  for (const h of oneHots) {
    maxFeatureIndex = Math.max(maxFeatureIndex, h.nullIndex);
    for (const v of h.codeMap) if (v > maxFeatureIndex) maxFeatureIndex = v;
  }
  let maxRowId = 0;
  for (let r = 0; r < n; r++) if (rowIds[r]! > maxRowId) maxRowId = rowIds[r]!;
  const storage = { integralNumeric, maxFeatureIndex, maxClass: (plan.numClasses ?? 2) - 1, maxRowId, weighted };
  const train = allocateDesignBlock(trainRows, numNum, numCat, storage);
  const test = allocateDesignBlock(testRows, numNum, numCat, storage);

  // Pass 2: write the kept rows.
  let ti = 0;
  let si = 0;
  for (let r = 0; r < n; r++) {
    const f = fate[r]!;
    if (f === SKIP) continue;
    const block = f === TRAIN ? train : test;
    const at = f === TRAIN ? ti++ : si++;
    block.rowIds[at] = rowIds[r]!;
    block.label[at] = label[r]!;
    if (weighted) block.weight![at] = weight![r]!;
    const numBase = at * numNum;
    for (let j = 0; j < numNum; j++) block.numeric[numBase + j] = numerics[j]!.col.values[r]!;
    const catBase = at * numCat;
    for (let c = 0; c < numCat; c++) {
      const h = oneHots[c]!;
      const code = h.codes[r]!;
      block.categorical[catBase + c] = code < 0 ? h.nullIndex : h.codeMap[code]!;
    }
  }

  return { train, test, partial: { trainRows, testRows, skippedRows } };
}

/** Names the row in error messages. */
/** "bank.csv: data record 104 (row id 103)": records count from 1 after the header, as a user counts them. */
function rowWhere(fileName: string, rowIds: Float64Array, r: number): string {
  return `${fileName}: data record ${rowIds[r]! + 1} (row id ${rowIds[r]!})`;
}

/**
 * Returns a function giving row r's label as a class index 0..K−1 (K = plan.numClasses, 2
 * when absent), throwing E_LABEL for a null, an unknown class, a class beyond K or a numeric
 * label that is not an integer in 0..K−1.
 */
function labelReader(batch: ColumnBatch, plan: EncodingPlan, fileName: string): (r: number) => number {
  const lp = plan.label;
  const numClasses = plan.numClasses ?? 2;
  const numericRule =
    numClasses === 2 ? 'a numeric label must be exactly 0 or 1' : `a numeric label must be an integer class index 0..${numClasses - 1}`;
  const rowIds = batch.rowIds;
  const fail = (r: number, value: string | number | null, why: string): DataError => {
    const shown = value === null ? 'a null value' : typeof value === 'string' ? `value '${value}'` : `value ${value}`;
    return new DataError('E_LABEL', `${rowWhere(fileName, rowIds, r)}: label column '${lp.name}' has ${shown}; ${why}`, {
      file: fileName,
      rowId: rowIds[r],
      column: lp.name,
      value,
    });
  };
  if (lp.kind === 'numeric') {
    const col = numericColumn(batch, lp.column, lp.name, 'label');
    return (r) => {
      if (col.nulls !== null && col.nulls[r] === 1) throw fail(r, null, numericRule);
      const x = col.values[r]!;
      if (!(Number.isInteger(x) && x >= 0 && x < numClasses)) throw fail(r, x, numericRule);
      return x;
    };
  }
  const col = stringColumn(batch, lp.column, lp.name, 'label');
  const index = new Map<string, number>();
  lp.labels.forEach((l, i) => index.set(l, i));
  // Class of every dictionary code, -1 when the value is not a fitted label.
  const classOf = new Int32Array(col.dict.size);
  for (let c = 0; c < classOf.length; c++) classOf[c] = index.get(dictionaryValue(col.dict, c)) ?? -1;
  const known = lp.labels.map((l) => `'${l}'`).join(', ');
  return (r) => {
    const code = col.codes[r]!;
    const y = code < 0 ? -1 : classOf[code]!;
    if (y >= 0 && y < numClasses) return y;
    const value = code < 0 ? null : dictionaryValue(col.dict, code);
    throw fail(
      r,
      value,
      y < 0
        ? `it is not among the fitted label classes (${known})`
        : `binomial logistic regression needs exactly two label classes, the column has ${lp.labels.length} (${known})`,
    );
  };
}

/**
 * Returns a function giving row r's instance weight (pipeline.weight), throwing
 * E_INVALID_VALUE for a null, NaN, infinite or negative weight; undefined without a weight column.
 */
function weightReader(batch: ColumnBatch, plan: EncodingPlan, fileName: string): ((r: number) => number) | undefined {
  const wp = plan.weight;
  if (wp === undefined) return undefined;
  const col = numericColumn(batch, wp.column, wp.name, 'weight column');
  const rowIds = batch.rowIds;
  return (r) => {
    const isNull = col.nulls !== null && col.nulls[r] === 1;
    const w = col.values[r]!;
    if (!isNull && Number.isFinite(w) && w >= 0) return w;
    const shown = isNull ? 'a missing (null) value' : `value ${w}`;
    throw new DataError(
      'E_INVALID_VALUE',
      `${rowWhere(fileName, rowIds, r)}: weight column '${wp.name}' has ${shown}; instance weights must be finite and >= 0`,
      {
        file: fileName,
        rowId: rowIds[r],
        column: wp.name,
        value: isNull ? null : String(w),
      },
    );
  };
}
