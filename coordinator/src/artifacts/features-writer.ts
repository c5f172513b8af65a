/**
 * Writes the assembled features of one partition (`features/part-<n>.parquet` in the job output)
 * as Spark's VectorAssembler output would look on disk: rowId, label, and features as a
 * VectorUDT in sparse form (type 0, size, ascending indices, values; zeros skipped). One-hot
 * slots are expanded here and only here (design.md: categorical features stay compact elsewhere).
 * Called per partition, in partition order, by whoever holds the partition's DesignBlock.
 */
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared';
import type { DesignBlock } from '@kindling/shared';
import { BULK_COMPRESSION, partFileName } from './predictions-writer.js';
import {
  VECTOR_UDT, makeFolder, parquetVector, sparkField, sparkStruct, toParquetList, writeParquetFile,
} from './spark-parquet.js';

/** Rows per row group for features: rows are wider than predictions, so groups are smaller. */
export const FEATURES_ROW_GROUP_ROWS = 16_384;

const SPARK_SCHEMA = sparkStruct([
  sparkField('rowId', 'long', false),
  sparkField('label', 'double', false),
  sparkField('features', VECTOR_UDT, true),
]);

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
): Promise<string> {
  if (numericIndex.length !== block.numNumeric) {
    throw internal(`features partition ${partition}: ${numericIndex.length} numeric slots for ` +
      `${block.numNumeric} numeric inputs`);
  }
  for (const index of numericIndex) checkSlot(index, numFeatures, partition, 'numeric slot');
  await makeFolder(dir);
  const file = nodePath.join(dir, partFileName(partition));
  await writeParquetFile(file, {
    rowId: { type: 'INT64', compression: BULK_COMPRESSION },
    label: { type: 'DOUBLE', compression: BULK_COMPRESSION },
    features: parquetVector(BULK_COMPRESSION),
  }, SPARK_SCHEMA, featureRows(partition, block, numericIndex, numFeatures), { rowGroupSize: FEATURES_ROW_GROUP_ROWS });
  return file;
}

function* featureRows(
  partition: number,
  block: DesignBlock,
  numericIndex: readonly number[],
  numFeatures: number,
): Generator<Record<string, unknown>> {
  const { numNumeric, numCategorical } = block;
  const capacity = numNumeric + numCategorical;
  const indices = new Int32Array(capacity);
  const values = new Float64Array(capacity);
  for (let r = 0; r < block.numRows; r++) {
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
    yield {
      rowId,
      label: block.label[r],
      features: {
        type: 0,
        size: numFeatures,
        indices: toParquetList(indices.subarray(0, nnz)),
        values: toParquetList(values.subarray(0, nnz)),
      },
    };
  }
}

/** Inserts (index, value) keeping indices ascending; a row has few entries, so this is cheap. */
function insertSorted(
  indices: Int32Array, values: Float64Array, nnz: number, index: number, value: number, partition: number, row: number,
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
