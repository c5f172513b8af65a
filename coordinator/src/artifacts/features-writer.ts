/**
 * Writes the assembled features of one partition (`features/part-<n>.parquet` in the job output)
 * as Spark's VectorAssembler output would look on disk: rowId, label, and features as a
 * VectorUDT in sparse form (type 0, size, ascending indices, values; zeros skipped). One-hot
 * slots are expanded here and only here (design.md: categorical features stay compact elsewhere).
 * Called per partition, in partition order, by whoever holds the partition's DesignBlock.
 * Columns (values and Dremel levels) are built straight from the block's typed arrays for
 * parquet-file-writer.ts: no per-row objects.
 */
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import type { DesignBlock } from '@kindling/shared/compute';
import { ParquetFileWriter, type ParquetColumnData } from './parquet-file-writer.js';
import { parquetNodesFromDefinition } from './parquet-record-shredder.js';
import { BULK_COMPRESSION, partFileName } from './predictions-writer.js';
import { SPARK_ROW_METADATA_KEY, VECTOR_UDT, makeFolder, parquetVector, sparkField, sparkStruct } from './spark-parquet.js';

/** Rows per row group for features: rows are wider than predictions, so groups are smaller. */
export const FEATURES_ROW_GROUP_ROWS = 16_384;

const sparkSchema = (weighted: boolean) =>
  sparkStruct([
    sparkField('rowId', 'long', false),
    sparkField('label', 'double', false),
    ...(weighted ? [sparkField('weight', 'double', false)] : []),
    sparkField('features', VECTOR_UDT, true),
  ]);

/** Options of writeFeaturesPart. */
export interface FeaturesPartOptions {
  /** Extra footer key/values (Kindling records the fitted pipeline under KINDLING_FEATURES_KEY). */
  readonly footer?: Readonly<Record<string, string>>;
}

/**
 * Writes `block`'s rows to `dir/part-<partition>.parquet` (creating `dir`) and returns the
 * file's path. `numericIndex[j]` is numeric input j's slot in the vector of length `numFeatures`
 * (FeatureLayout); categorical slots come from the block.
 */
export async function writeFeaturesPart(
  dir: string,
  partition: number,
  block: DesignBlock,
  numericIndex: readonly number[],
  numFeatures: number,
  options: FeaturesPartOptions = {},
): Promise<string> {
  if (numericIndex.length !== block.numNumeric) {
    throw internal(`features partition ${partition}: ${numericIndex.length} numeric slots for ` + `${block.numNumeric} numeric inputs`);
  }
  for (const index of numericIndex) checkSlot(index, numFeatures, partition, 'numeric slot');
  await makeFolder(dir);
  const file = nodePath.join(dir, partFileName(partition));
  // A weighted block keeps its weights (a `weight` column): reading the part back gives the
  // same block, weighted or not, so training from it takes the same kernels.
  const weighted = block.weight !== undefined;
  const writer = await ParquetFileWriter.open(file, weighted ? WEIGHTED_PARQUET_SCHEMA : PARQUET_SCHEMA, {
    metadata: { [SPARK_ROW_METADATA_KEY]: JSON.stringify(sparkSchema(weighted)), ...options.footer },
  });
  try {
    for (let start = 0; start < block.numRows; start += FEATURES_ROW_GROUP_ROWS) {
      const end = Math.min(block.numRows, start + FEATURES_ROW_GROUP_ROWS);
      await writer.writeRowGroup(end - start, featureColumns(partition, block, numericIndex, numFeatures, start, end));
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return file;
}

const PARQUET_SCHEMA = parquetNodesFromDefinition(
  {
    rowId: { type: 'INT64', compression: BULK_COMPRESSION },
    label: { type: 'DOUBLE', compression: BULK_COMPRESSION },
    features: parquetVector(BULK_COMPRESSION),
  },
  'features',
);

const WEIGHTED_PARQUET_SCHEMA = parquetNodesFromDefinition(
  {
    rowId: { type: 'INT64', compression: BULK_COMPRESSION },
    label: { type: 'DOUBLE', compression: BULK_COMPRESSION },
    weight: { type: 'DOUBLE', compression: BULK_COMPRESSION },
    features: parquetVector(BULK_COMPRESSION),
  },
  'features',
);

/**
 * Rows start..end-1 as the six leaf columns: rowId, label, features.type, features.size,
 * features.indices.list.element, features.values.list.element. The struct is always present
 * (definition level 1 for type, 2 for size); an empty vector is one entry at level 2 (the list
 * is defined but has no element), a non-empty one nnz entries at level 3 with repetition levels
 * 0, 1, 1, ….
 */
function featureColumns(
  partition: number,
  block: DesignBlock,
  numericIndex: readonly number[],
  numFeatures: number,
  start: number,
  end: number,
): ParquetColumnData[] {
  const { numNumeric, numCategorical } = block;
  const n = end - start;
  const capacity = numNumeric + numCategorical;
  const maxEntries = n * Math.max(1, capacity);
  const entryIndices = new Int32Array(maxEntries);
  const entryValues = new Float64Array(maxEntries);
  const definition = new Uint8Array(maxEntries);
  const repetition = new Uint8Array(maxEntries);
  const indices = new Int32Array(capacity);
  const values = new Float64Array(capacity);
  let entries = 0;
  let defined = 0;
  for (let r = start; r < end; r++) {
    const rowId = block.rowIds[r] as number;
    if (!Number.isSafeInteger(rowId)) {
      throw internal(`features partition ${partition}, row ${r}: rowId ${rowId} is not an integer`);
    }
    let nnz = 0;
    for (let j = 0; j < numNumeric; j++) {
      const value = block.numeric[r * numNumeric + j] as number;
      // Same test as Spark's assembler (`value != 0.0`): -0.0 is skipped, NaN is kept.
      if (value !== 0) nnz = insertSorted(indices, values, nnz, numericIndex[j] as number, value, partition, r);
    }
    for (let c = 0; c < numCategorical; c++) {
      const slot = block.categorical[r * numCategorical + c] as number;
      if (slot < 0) continue; // the dropped last category: all zeros
      checkSlot(slot, numFeatures, partition, `row ${r} categorical slot`);
      nnz = insertSorted(indices, values, nnz, slot, 1, partition, r);
    }
    if (nnz === 0) {
      definition[entries] = 2;
      repetition[entries] = 0;
      entries++;
      continue;
    }
    for (let k = 0; k < nnz; k++) {
      entryIndices[defined] = indices[k] as number;
      entryValues[defined] = values[k] as number;
      defined++;
      definition[entries] = 3;
      repetition[entries] = k === 0 ? 0 : 1;
      entries++;
    }
  }
  const levels = { definitionLevels: definition.subarray(0, entries), repetitionLevels: repetition.subarray(0, entries) };
  return [
    { values: block.rowIds.subarray(start, end) },
    { values: block.label.subarray(start, end) },
    ...(block.weight !== undefined ? [{ values: block.weight.subarray(start, end) }] : []),
    { values: new Int32Array(n), definitionLevels: new Uint8Array(n).fill(1) },
    { values: new Int32Array(n).fill(numFeatures), definitionLevels: new Uint8Array(n).fill(2) },
    { values: entryIndices.subarray(0, defined), ...levels },
    { values: entryValues.subarray(0, defined), ...levels },
  ];
}

/** Inserts (index, value) keeping indices ascending; a row has few entries, so this is cheap. */
function insertSorted(
  indices: Int32Array,
  values: Float64Array,
  nnz: number,
  index: number,
  value: number,
  partition: number,
  row: number,
): number {
  let k = nnz;
  while (k > 0 && (indices[k - 1] as number) > index) {
    indices[k] = indices[k - 1] as number;
    values[k] = values[k - 1] as number;
    k--;
  }
  if (k > 0 && indices[k - 1] === index) {
    throw internal(`features partition ${partition}, row ${row}: slot ${index} is filled twice`);
  }
  indices[k] = index;
  values[k] = value;
  return nnz + 1;
}

function checkSlot(index: number, numFeatures: number, partition: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= numFeatures) {
    throw internal(`features partition ${partition}: ${what} ${index} outside 0..${numFeatures - 1}`);
  }
}

function internal(message: string): KindlingError {
  return new KindlingError('E_INTERNAL', message);
}
