import { KindlingError } from '../errors.js';
import type { ColumnType, Schema } from './schema.js';
import type { CodeArray } from './shared-arrays.js';
import type { StringDictionary } from './string-dictionary.js';

/**
 * A column of numbers (int, long, double, boolean as 0/1). `nulls[i] = 1` marks a null;
 * `nulls` is null when the column has no nulls in this batch. `values` is an Int32Array when
 * a read found every value of the batch to be an integer in int32 range (so no null, no −0:
 * see fitsInt32), as Spark keeps an IntegerType column in 4 bytes; reading it gives the same
 * numbers a Float64Array would.
 */
export interface NumericColumn {
  readonly kind: 'numeric';
  readonly values: Float64Array | Int32Array;
  readonly nulls: Uint8Array | null;
}

/**
 * A dictionary-encoded string column: codes[i] indexes `dict`, -1 is null. The codes take 1, 2
 * or 4 bytes each, as the partition's dictionary size allows (sharedCodes).
 */
export interface StringColumn {
  readonly kind: 'string';
  readonly codes: CodeArray;
  readonly dict: StringDictionary;
}

export type Column = NumericColumn | StringColumn;

/** Code used for a null in a StringColumn. */
export const NULL_CODE = -1;

/**
 * One partition of a table in columnar form. Every buffer is backed by a SharedArrayBuffer
 * (see shared-arrays.ts), so a batch is handed to worker threads without copying; it is
 * read-only once built.
 */
export interface ColumnBatch {
  readonly schema: Schema;
  readonly numRows: number;
  /** Global record index of each row (its position among the file's data records). */
  readonly rowIds: Float64Array;
  readonly columns: readonly Column[];
  /**
   * Per column: true for a column the job skips (JobPlan.skipColumns), whose arrays are empty.
   * No op reads such a column; absent: every column holds its values.
   */
  readonly skipped?: readonly boolean[];
  /** Source records the parse counted as malformed (nulled under PERMISSIVE, dropped under DROPMALFORMED); absent: none. */
  readonly malformedCount?: number;
  /**
   * Set on a block the one-pass CSV scan built before the table's schema was known: its
   * columns have this partition's own types, and its row ids are not assigned yet (empty).
   * Only the conform step (csv/provisional-batch.ts) reads such a block.
   */
  readonly provisional?: ProvisionalTypes;
}

/** What a scanned partition's columns hold, per column (see ColumnBatch.provisional). */
export interface ProvisionalTypes {
  /** The partition's own inferred type; null for a column with no non-null value (no storage). */
  readonly types: readonly (ColumnType | null)[];
  /** Per column: an int or long value was spelled as a negative zero (`-0`), which is -0.0 only as a double. */
  readonly negativeZero: readonly boolean[];
  /** Per column of the null type: a quoted empty field was seen, which a string column keeps as "" (not null). */
  readonly emptyString: readonly boolean[];
}

/**
 * Column `index` of a batch for a kernel that reads its values. A column the read skipped
 * (ColumnBatch.skipped) has none: reading it would be a driver bug (an op over a dropped
 * column), reported as such instead of computing on empty arrays.
 */
export function columnAt(batch: ColumnBatch, index: number, reader: string): Column | undefined {
  if (batch.skipped?.[index] === true) {
    throw new KindlingError('E_INTERNAL', `${reader}: column ${index} (${batch.schema[index]?.name ?? '?'}) was skipped by the read`);
  }
  return batch.columns[index];
}
