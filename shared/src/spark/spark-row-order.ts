/**
 * Spark's row order for `sortWithinPartitions` on every orderable column, ascending, nulls
 * first — the sort `Dataset.randomSplit` puts in front of each split so that the per-row draws
 * (spark-random-split.ts) land on the same rows as in Spark. Covers the column kinds the ML
 * pipeline has at split time: doubles (NaN last, -0.0 = 0.0), integers, strings (unsigned UTF-8
 * bytes, pre-ranked so the comparator compares ints) and ML vectors (VectorUDT's struct
 * <type, size, indices, values>). Also `compressVector`, Spark's `Vector.compressed`, which
 * decides whether an assembled row is sparse or dense and therefore where it sorts.
 */
import { KindlingError } from '../errors.js';
import type { StringDictionary } from '../columnar/string-dictionary.js';
import type { CodeArray } from '../columnar/shared-arrays.js';

/**
 * An ML vector in VectorUDT's layout. `type` 0 is sparse (`size`, `indices`, `values` = the
 * active entries), 1 is dense (`values` = all entries); for a dense vector Spark stores size and
 * indices as null, so they take no part in the order whatever they hold here.
 */
export interface SparkVector {
  readonly type: 0 | 1;
  readonly size: number;
  readonly indices: Int32Array | null;
  readonly values: Float64Array;
}

/**
 * One sort-key column, in row order. `nulls[i] = 1` marks a null. A 'long' column holds
 * integers (int, long, or a boolean as 0/1: false sorts first, as in Spark); a 'string' column
 * holds per-row ranks from {@link utf8Ranks} / {@link dictionaryUtf8Ranks}, -1 for null; a
 * 'vector' column holds one vector per row, null for a null vector.
 */
export type SortKeyColumn =
  | { readonly kind: 'double'; readonly values: Float64Array; readonly nulls?: Uint8Array | null }
  | { readonly kind: 'long'; readonly values: Float64Array | Int32Array | BigInt64Array; readonly nulls?: Uint8Array | null }
  | { readonly kind: 'string'; readonly ranks: Int32Array }
  | { readonly kind: 'vector'; readonly rows: readonly (SparkVector | null)[] };

/** Compares row indices a and b; negative when row a sorts first. */
export type RowComparator = (a: number, b: number) => number;

/** Spark's double order (SQLOrderingUtil.compareDoubles): -0.0 = 0.0, NaN = NaN, NaN above all. */
export function compareSparkDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const aNaN = Number.isNaN(a);
  if (aNaN) return Number.isNaN(b) ? 0 : 1;
  return -1;
}

/** Spark's UTF8String order: unsigned bytes, a shorter prefix first. */
export function compareUtf8Bytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const encoder = new TextEncoder();

/** Dense ranks (equal values share a rank, 0 is the smallest) of UTF-8 byte strings; null → -1. */
function rankBytes(values: readonly (Uint8Array | null)[]): Int32Array {
  const ranks = new Int32Array(values.length).fill(-1);
  const order: number[] = [];
  values.forEach((v, i) => {
    if (v !== null) order.push(i);
  });
  order.sort((i, j) => compareUtf8Bytes(values[i]!, values[j]!));
  let rank = -1;
  let prev: Uint8Array | null = null;
  for (const i of order) {
    const v = values[i]!;
    if (prev === null || compareUtf8Bytes(prev, v) !== 0) rank++;
    ranks[i] = rank;
    prev = v;
  }
  return ranks;
}

/**
 * Ranks strings in Spark's order (unsigned UTF-8 bytes, which is code-point order, unlike JS's
 * UTF-16 `<`): equal values share a rank, null → -1. Use the result as a 'string' key column.
 */
export function utf8Ranks(values: readonly (string | Uint8Array | null)[]): Int32Array {
  return rankBytes(values.map((v) => (v === null ? null : typeof v === 'string' ? encoder.encode(v) : v)));
}

/** Rank of each code of a string dictionary in Spark's string order, working on its UTF-8 bytes. */
export function dictionaryUtf8Ranks(dict: StringDictionary): Int32Array {
  const entries: Uint8Array[] = [];
  for (let c = 0; c < dict.size; c++) entries.push(dict.bytes.subarray(dict.offsets[c]!, dict.offsets[c + 1]!));
  return rankBytes(entries);
}

/**
 * A 'string' sort-key column from a dictionary-encoded column (codes[i] = -1 for null). Ranks
 * are only comparable within one call, so rank all rows being sorted together in one dictionary.
 */
export function stringSortKey(codes: CodeArray, dict: StringDictionary): SortKeyColumn {
  const byCode = dictionaryUtf8Ranks(dict);
  const ranks = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    ranks[i] = c < 0 ? -1 : byCode[c]!;
  }
  return { kind: 'string', ranks };
}

/** Nulls first: -1 / 1 when exactly one side is null, 0 when both are, undefined when neither. */
function nullOrder(aNull: boolean, bNull: boolean): number | undefined {
  if (aNull) return bNull ? 0 : -1;
  return bNull ? 1 : undefined;
}

/** Spark's array order: element by element, then a shorter prefix first; a null array first. */
function compareIntArrays(a: Int32Array | null, b: Int32Array | null): number {
  const n = nullOrder(a === null, b === null);
  if (n !== undefined) return n;
  const x = a!;
  const y = b!;
  const len = Math.min(x.length, y.length);
  for (let i = 0; i < len; i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareDoubleArrays(x: Float64Array, y: Float64Array): number {
  const len = Math.min(x.length, y.length);
  for (let i = 0; i < len; i++) {
    const c = compareSparkDoubles(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

/**
 * VectorUDT's struct order: type (sparse 0 before dense 1), then size, indices (both null for
 * dense vectors, so equal), then values.
 */
export function compareSparkVectors(a: SparkVector, b: SparkVector): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.type === 0) {
    if (a.size !== b.size) return a.size < b.size ? -1 : 1;
    const c = compareIntArrays(a.indices, b.indices);
    if (c !== 0) return c;
  }
  return compareDoubleArrays(a.values, b.values);
}

function columnLength(col: SortKeyColumn): number {
  switch (col.kind) {
    case 'double':
    case 'long':
      return col.values.length;
    case 'string':
      return col.ranks.length;
    case 'vector':
      return col.rows.length;
  }
}

function columnComparator(col: SortKeyColumn): RowComparator {
  switch (col.kind) {
    case 'double': {
      const { values } = col;
      const nulls = col.nulls ?? null;
      if (nulls === null) return (a, b) => compareSparkDoubles(values[a]!, values[b]!);
      return (a, b) => nullOrder(nulls[a] === 1, nulls[b] === 1) ?? compareSparkDoubles(values[a]!, values[b]!);
    }
    case 'long': {
      const values: ArrayLike<number | bigint> = col.values;
      const nulls = col.nulls ?? null;
      const cmp = (a: number, b: number): number => {
        const x = values[a]!;
        const y = values[b]!;
        return x < y ? -1 : x > y ? 1 : 0;
      };
      if (nulls === null) return cmp;
      return (a, b) => nullOrder(nulls[a] === 1, nulls[b] === 1) ?? cmp(a, b);
    }
    case 'string': {
      // -1 (null) is below every rank, which is exactly nulls first.
      const { ranks } = col;
      return (a, b) => ranks[a]! - ranks[b]!;
    }
    case 'vector': {
      const { rows } = col;
      return (a, b) => {
        const x = rows[a] ?? null;
        const y = rows[b] ?? null;
        return nullOrder(x === null, y === null) ?? compareSparkVectors(x!, y!);
      };
    }
  }
}

/**
 * Comparator of rows under Spark's all-columns ascending, nulls-first order: columns in the
 * given order, each compared as {@link SortKeyColumn} describes. Returns 0 for rows equal on
 * every key (no tie-break; {@link sparkRowOrder} adds one).
 */
export function sparkRowComparator(columns: readonly SortKeyColumn[]): RowComparator {
  const cmps = columns.map(columnComparator);
  const n = cmps.length;
  if (n === 1) return cmps[0]!;
  if (n === 2) {
    const [first, second] = cmps as [RowComparator, RowComparator];
    return (a, b) => first(a, b) || second(a, b);
  }
  return (a, b) => {
    for (let i = 0; i < n; i++) {
      const c = cmps[i]!(a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/**
 * The permutation that sorts rows 0..numRows-1 in Spark's order: result[k] is the row that comes
 * k-th. Stable: rows equal on every key keep their input order.
 */
export function sparkRowOrder(columns: readonly SortKeyColumn[], numRows: number): Uint32Array {
  if (!Number.isSafeInteger(numRows) || numRows < 0 || numRows > 0xffffffff) {
    throw new KindlingError('E_INVALID_VALUE', `row count must be an integer in [0, 2^32), got ${String(numRows)}`, { numRows });
  }
  columns.forEach((col, i) => {
    const len = columnLength(col);
    if (len !== numRows) {
      throw new KindlingError('E_INVALID_VALUE', `sort key column ${i} (${col.kind}) has ${len} rows, expected ${numRows}`, {
        column: i,
        kind: col.kind,
        rows: len,
        numRows,
      });
    }
  });
  const cmp = sparkRowComparator(columns);
  const perm = new Array<number>(numRows);
  for (let i = 0; i < numRows; i++) perm[i] = i;
  perm.sort((a, b) => cmp(a, b) || a - b);
  return Uint32Array.from(perm);
}

/**
 * Spark's `Vector.compressed`: sparse iff 1.5 × (nnz + 1) < size, else dense, where nnz counts
 * entries ≠ 0 (NaN counts, -0.0 does not). The sparse form drops zero entries; the dense form
 * places every given entry. `indices` null means `values` is already dense (length `size`);
 * otherwise `indices` must be strictly increasing in [0, size), as Vectors.sparse requires.
 */
export function compressVector(indices: Int32Array | null, values: Float64Array, size: number): SparkVector {
  if (!Number.isSafeInteger(size) || size < 0 || size > 0x7fffffff) {
    throw new KindlingError('E_INVALID_VALUE', `vector size must be an integer in [0, 2^31), got ${String(size)}`, { size });
  }
  if (indices === null) {
    if (values.length !== size) {
      throw new KindlingError('E_INVALID_VALUE', `dense vector has ${values.length} values but size ${size}`, {
        size,
        values: values.length,
      });
    }
  } else {
    if (indices.length !== values.length) {
      throw new KindlingError('E_INVALID_VALUE', `sparse vector has ${indices.length} indices but ${values.length} values`, {
        indices: indices.length,
        values: values.length,
      });
    }
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (i < 0 || i >= size || (k > 0 && i <= indices[k - 1]!)) {
        throw new KindlingError('E_INVALID_VALUE', `sparse vector index ${i} at position ${k} is out of [0, ${size}) or not increasing`, {
          position: k,
          index: i,
          size,
        });
      }
    }
  }
  let nnz = 0;
  for (let k = 0; k < values.length; k++) if (values[k] !== 0) nnz++;
  if (1.5 * (nnz + 1) < size) {
    const outIdx = new Int32Array(nnz);
    const outVal = new Float64Array(nnz);
    let j = 0;
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v !== 0) {
        outIdx[j] = indices === null ? k : indices[k]!;
        outVal[j] = v;
        j++;
      }
    }
    return { type: 0, size, indices: outIdx, values: outVal };
  }
  const dense = new Float64Array(size);
  if (indices === null) dense.set(values);
  else for (let k = 0; k < indices.length; k++) dense[indices[k]!] = values[k]!;
  return { type: 1, size, indices: null, values: dense };
}
