/**
 * The conform step of the one-pass CSV read: a partition scanned with its own inferred types
 * (scanPartition) becomes the block a load with the table's schema would have built
 * (parsePartition), once the driver has merged every partition's types and counted the row ids.
 *
 * In place when the scanned values stand: a column with no value in the partition becomes a
 * null column of the table's type; int and long widen to long or double with the same
 * values. Any other difference — a column that is text elsewhere, a `-0` read as an integer
 * where the table says double, a quoted empty field where the table says string, or a type
 * the caller forces (a model's schema) — cannot be recovered from the parsed values, and the
 * block is rebuilt from the source with the table's schema instead (conformable → false).
 * A skipped column (JobPlan.skipColumns) has no values to convert and is always conformable.
 */
import type { Column, ColumnBatch } from '../columnar/column-batch.js';
import type { Schema } from '../columnar/schema.js';
import { sharedCodes, sharedFloat64, sharedInt32, sharedUint8 } from '../columnar/shared-arrays.js';
import { KindlingError } from '../errors.js';
import type { LoadPartial } from '../tasks.js';
import { batchStatistics } from './batch-statistics.js';
import { emptyColumn } from './csv-partition-parser.js';
import { T_DOUBLE, T_INT, T_NULL, T_STRING, typeCode } from './csv-type-inference.js';

/** Whether `batch` is, or can be conformed in place to, a block of `schema`. */
export function conformable(batch: ColumnBatch, schema: Schema): boolean {
  const p = batch.provisional;
  if (batch.columns.length !== schema.length) return false;
  if (!p) return batch.schema.every((f, c) => f.type === schema[c]!.type);
  return schema.every((f, c) => {
    if (batch.skipped?.[c] === true) return true; // no values to convert
    const to = typeCode(f.type);
    const from = typeCode(p.types[c] ?? null);
    if (from === to) return true;
    if (from === T_NULL) return !(to === T_STRING && p.emptyString[c] === true);
    return from >= T_INT && from < to && to <= T_DOUBLE && !(to === T_DOUBLE && p.negativeZero[c] === true);
  });
}

/**
 * The block of `schema` with row ids from `firstRowId`, and its load partial. A block that is
 * not provisional (a load already built it with the table's schema) is returned as it is.
 */
export function conformBatch(batch: ColumnBatch, schema: Schema, firstRowId: number): { batch: ColumnBatch; partial: LoadPartial } {
  if (!conformable(batch, schema)) {
    throw new KindlingError(
      'E_INTERNAL',
      'conform: the block cannot take the table schema in place (the task runner rebuilds such blocks)',
    );
  }
  const rows = batch.numRows;
  let out = batch;
  if (batch.provisional) {
    const types = batch.provisional.types;
    const skipped = batch.skipped;
    const columns: Column[] = batch.columns.map((col, c) => {
      const isString = schema[c]!.type === 'string';
      if (skipped?.[c] === true) return emptyColumn(isString);
      return types[c] === null ? nullColumn(isString, rows) : col;
    });
    const rowIds = sharedFloat64(rows);
    for (let i = 0; i < rows; i++) rowIds[i] = firstRowId + i;
    out = { schema, numRows: rows, rowIds, columns, malformedCount: batch.malformedCount ?? 0, ...(skipped && { skipped }) };
  }
  return { batch: out, partial: { rowCount: rows, malformedCount: out.malformedCount ?? 0, columns: batchStatistics(out) } };
}

/** A column of nulls, as the load builds it: codes -1 and an empty dictionary, or NaN values under an all-set null mask. */
function nullColumn(isString: boolean, rows: number): Column {
  if (isString) {
    const codes = sharedCodes(rows, 0).fill(-1);
    return { kind: 'string', codes, dict: { size: 0, offsets: sharedInt32(1), bytes: sharedUint8(0) } };
  }
  return { kind: 'numeric', values: sharedFloat64(rows).fill(NaN), nulls: rows > 0 ? sharedUint8(rows).fill(1) : null };
}
