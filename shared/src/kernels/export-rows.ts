/**
 * The export-rows kernel (`kindling convert`): a loaded partition's columns as they are —
 * numbers with their null flags, strings as dictionary codes with the dictionary — for the
 * driver to write out. THREADING: pure; runs on the worker thread of the task.
 */
import { dictionaryValues } from '../columnar/string-dictionary.js';
import { columnAt, type ColumnBatch } from '../columnar/column-batch.js';
import { KindlingError } from '../errors.js';
import type { ExportRowsPartial } from '../tasks.js';

/** The columns `columns` (schema indices) of `batch`, every row, in batch order. */
export function exportRows(batch: ColumnBatch, columns: readonly number[]): ExportRowsPartial {
  return {
    count: batch.numRows,
    rowIds: Float64Array.from(batch.rowIds),
    columns: columns.map((index) => {
      const col = columnAt(batch, index, 'export-rows');
      if (col === undefined) throw new KindlingError('E_INTERNAL', `export-rows: column ${index} is not in the batch`);
      if (col.kind === 'string')
        return { kind: 'string' as const, codes: Int32Array.from(col.codes), dictionary: dictionaryValues(col.dict) };
      return col.nulls === null
        ? { kind: 'numeric' as const, values: Float64Array.from(col.values) }
        : { kind: 'numeric' as const, values: Float64Array.from(col.values), nulls: Uint8Array.from(col.nulls) };
    }),
  };
}
