/**
 * A partition's columns resolved against a fitted EncodingPlan, for the kernels that apply
 * the feature pipeline to rows — encode (training) and score (predict): the column-kind
 * checks, and each one-hot input's dictionary codes mapped once to their final feature
 * indices (StringIndexer label order, the dropped last category, handleInvalid keep), so the
 * row loops do only array lookups. THREADING: pure; runs on the worker thread of the task.
 */
import { DataError } from '../errors.js';
import { columnAt, type ColumnBatch, type NumericColumn, type StringColumn } from '../columnar/column-batch.js';
import type { CodeArray } from '../columnar/shared-arrays.js';
import { dictionaryValue } from '../columnar/string-dictionary.js';
import type { OneHotFeatureInput } from '../tasks.js';

/** codeMap value of a value that is not among the fitted labels (and not kept). */
export const UNSEEN = -2;

/** A one-hot input resolved against this partition's dictionary. */
export interface ResolvedOneHot {
  readonly input: OneHotFeatureInput;
  readonly codes: CodeArray;
  readonly column: StringColumn;
  /** Final feature index per dictionary code: a slot, -1 (dropped category) or UNSEEN. */
  readonly codeMap: Int32Array;
  /** Final feature index of a null: the keep slot (or -1), else UNSEEN. */
  readonly nullIndex: number;
}

/** Column `column` of the batch, which must hold strings; `role` names it in the error. */
export function stringColumn(batch: ColumnBatch, column: number, name: string, role: string): StringColumn {
  const col = columnAt(batch, column, role);
  if (col?.kind !== 'string') {
    throw new DataError('E_SCHEMA', `${role} '${name}' (column ${column}) must be a string column but is ${col ? col.kind : 'missing'}`, {
      column: name,
    });
  }
  return col;
}

/** Column `column` of the batch, which must hold numbers; `role` names it in the error. */
export function numericColumn(batch: ColumnBatch, column: number, name: string, role: string): NumericColumn {
  const col = columnAt(batch, column, role);
  if (col?.kind !== 'numeric') {
    throw new DataError('E_SCHEMA', `${role} '${name}' (column ${column}) must be a numeric column but is ${col ? col.kind : 'missing'}`, {
      column: name,
    });
  }
  return col;
}

/** Maps the input's dictionary codes of this partition to their final feature indices. */
export function resolveOneHot(batch: ColumnBatch, input: OneHotFeatureInput): ResolvedOneHot {
  const column = stringColumn(batch, input.column, input.name, 'categorical input');
  const n = input.labels.length;
  const categories = n + (input.handleInvalid === 'keep' ? 1 : 0);
  const dropped = input.dropLast ? categories - 1 : -1;
  const slot = (v: number): number => (v === dropped ? -1 : input.offset + v);
  const index = new Map<string, number>();
  input.labels.forEach((l, i) => index.set(l, i));
  const invalid = input.handleInvalid === 'keep' ? slot(n) : UNSEEN;
  const dict = column.dict;
  const codeMap = new Int32Array(dict.size);
  for (let c = 0; c < dict.size; c++) {
    const v = index.get(dictionaryValue(dict, c));
    codeMap[c] = v === undefined ? invalid : slot(v);
  }
  return { input, codes: column.codes, column, codeMap, nullIndex: invalid };
}
