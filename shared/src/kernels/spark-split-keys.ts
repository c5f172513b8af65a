/**
 * The spark-split-keys kernel (compat: spark-2.3 / spark-3.2): for one loaded partition,
 * every row's sort key as Spark's randomSplit sees it — the label, the assembled features
 * vector, then every column of the table that is not dropped, in file order. The driver
 * sorts all rows by these keys and draws Spark's XORShiftRandom in that order, which is how
 * Spark splits a one-partition DataFrame (spark-semantics.md §4).
 *
 * Features come from the encode kernel itself (so the vector is exactly what training
 * sees); rows that encoding skips (handleInvalid = skip) are not returned, as Spark filters
 * them before the split.
 */
import { columnAt, type ColumnBatch } from '../columnar/column-batch.js';
import { sharedFloat64, sharedInt32 } from '../columnar/shared-arrays.js';
import { dictionaryValues } from '../columnar/string-dictionary.js';
import type { EncodingPlan, SparkSplitKeysPartial } from '../tasks.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { encodePartition } from './encode.js';

/** Sort keys of one partition's rows; `keyColumns` are schema indices in file order. */
export function sparkSplitKeys(
  batch: ColumnBatch,
  plan: EncodingPlan,
  keyColumns: readonly number[],
  fileName: string,
): SparkSplitKeysPartial {
  const { train: block } = encodePartition(batch, { ...plan, split: { seed: plan.split.seed, trainFraction: 1 } }, fileName);
  const n = block.numRows;
  const numericIndex = buildFeatureLayout(plan.features).numericIndex;
  const firstRowId = batch.numRows > 0 ? batch.rowIds[0]! : 0;

  // Features as CSR rows with ascending indices and no zeros (Spark's sparse form).
  const offsets = sharedInt32(n + 1);
  let nnz = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < block.numCategorical; c++) if (block.categorical[r * block.numCategorical + c]! >= 0) nnz++;
    for (let j = 0; j < block.numNumeric; j++) if (block.numeric[r * block.numNumeric + j]! !== 0) nnz++;
  }
  const indices = sharedInt32(nnz);
  const values = sharedFloat64(nnz);
  const row: Array<[number, number]> = [];
  let at = 0;
  for (let r = 0; r < n; r++) {
    offsets[r] = at;
    row.length = 0;
    for (let c = 0; c < block.numCategorical; c++) {
      const f = block.categorical[r * block.numCategorical + c]!;
      if (f >= 0) row.push([f, 1]);
    }
    for (let j = 0; j < block.numNumeric; j++) {
      const x = block.numeric[r * block.numNumeric + j]!;
      if (x !== 0) row.push([numericIndex[j]!, x]);
    }
    row.sort((a, b) => a[0] - b[0]);
    for (const [i, v] of row) {
      indices[at] = i;
      values[at] = v;
      at++;
    }
  }
  offsets[n] = at;

  const batchIndex = new Int32Array(n);
  for (let r = 0; r < n; r++) batchIndex[r] = block.rowIds[r]! - firstRowId;
  const columns = keyColumns.map((c) => {
    const col = columnAt(batch, c, 'spark-split-keys')!;
    if (col.kind === 'numeric') {
      const vals = sharedFloat64(n);
      const nulls = col.nulls ? new Uint8Array(n) : undefined;
      for (let r = 0; r < n; r++) {
        vals[r] = col.values[batchIndex[r]!]!;
        if (nulls) nulls[r] = col.nulls![batchIndex[r]!]!;
      }
      return nulls ? { kind: 'numeric' as const, values: vals, nulls } : { kind: 'numeric' as const, values: vals };
    }
    const codes = sharedInt32(n);
    for (let r = 0; r < n; r++) codes[r] = col.codes[batchIndex[r]!]!;
    return { kind: 'string' as const, codes, dictionary: dictionaryValues(col.dict) };
  });

  return {
    count: n,
    rowIds: Float64Array.from(block.rowIds),
    label: Float64Array.from(block.label),
    numFeatures: plan.numFeatures,
    featureOffsets: offsets,
    featureIndices: indices,
    featureValues: values,
    columns,
  };
}
