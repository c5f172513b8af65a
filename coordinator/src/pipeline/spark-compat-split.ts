/**
 * Spark-compatible randomSplit for `compat: spark-2.3 | spark-3.2` (spark-semantics.md §4).
 * Spark splits each partition by sorting its rows on every column present at split time and
 * drawing XORShiftRandom(seed + partition) in that order. For a file Spark reads as one
 * partition (anything under ~4 MB, e.g. bank.csv), the split is that of the whole table:
 * this module sorts all rows' keys on the driver and draws once, so the result does not
 * depend on Kindling's partitioning or executor count.
 *
 * Cost and limits: the driver holds every row's key (label, sparse features, the original
 * columns) and sorts them — O(rows · (columns + non-zeros)) memory, fine for millions of
 * rows, not for billions. Files Spark itself would split into several partitions split
 * differently in Spark (partitioning depends on its core count), so only the one-partition
 * case is reproduced exactly.
 */
import {
  compressVector,
  NO_SPLIT,
  sparkRandomSplitAssign,
  sparkRowOrder,
  sparkSplitBounds,
  utf8Ranks,
  type SortKeyColumn,
  type SparkSplitKeysPartial,
  type SparkVector,
} from '@kindling/shared/compute';

/** Spark version family whose seed hashing to mirror. */
export type SparkCompat = 'spark-2.3' | 'spark-3.2';

/**
 * Assigns every row to split 0 (train), 1 (test) or NO_SPLIT, given the per-partition keys
 * (in partition order) and the load row counts. Returns one assignment array per partition,
 * indexed by the row's position in its loaded batch.
 */
export function sparkCompatSplit(
  parts: readonly SparkSplitKeysPartial[],
  loadedRows: readonly number[],
  firstRowIds: readonly number[],
  weights: readonly number[],
  seed: number,
  compat: SparkCompat,
): Uint8Array[] {
  const total = parts.reduce((a, p) => a + p.count, 0);
  const rowIds = new Float64Array(total);
  const label = new Float64Array(total);
  const vectors: SparkVector[] = new Array(total);
  let at = 0;
  for (const p of parts) {
    for (let r = 0; r < p.count; r++, at++) {
      rowIds[at] = p.rowIds[r]!;
      label[at] = p.label[r]!;
      const from = p.featureOffsets[r]!;
      const to = p.featureOffsets[r + 1]!;
      vectors[at] = compressVector(p.featureIndices.slice(from, to), p.featureValues.slice(from, to), p.numFeatures);
    }
  }

  const keyColumns: SortKeyColumn[] = [
    { kind: 'double', values: label },
    { kind: 'vector', rows: vectors },
  ];
  const numColumns = parts[0]?.columns.length ?? 0;
  for (let c = 0; c < numColumns; c++) keyColumns.push(concatColumn(parts, c, total));

  const order = sparkRowOrder(keyColumns, total);
  const bounds = sparkSplitBounds(weights);
  const drawn = sparkRandomSplitAssign(total, seed, 0, bounds, compat === 'spark-2.3' ? 64 : 8);

  const out = loadedRows.map((n) => new Uint8Array(n).fill(NO_SPLIT));
  const partitionOf = (rowId: number): number => {
    // firstRowIds ascends; binary search the partition holding rowId.
    let lo = 0;
    let hi = firstRowIds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firstRowIds[mid]! <= rowId) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let pos = 0; pos < total; pos++) {
    const row = order[pos]!;
    const id = rowIds[row]!;
    const p = partitionOf(id);
    out[p]![id - firstRowIds[p]!] = drawn[pos]!;
  }
  return out;
}

/** One key column across partitions: numbers as Spark doubles, strings ranked by UTF-8 bytes. */
function concatColumn(parts: readonly SparkSplitKeysPartial[], c: number, total: number): SortKeyColumn {
  const first = parts.find((p) => p.count > 0)?.columns[c] ?? parts[0]!.columns[c]!;
  if (first.kind === 'numeric') {
    const values = new Float64Array(total);
    let nulls: Uint8Array | null = null;
    let at = 0;
    for (const p of parts) {
      const col = p.columns[c]!;
      if (col.kind !== 'numeric') throw new TypeError(`key column ${c} changes kind between partitions`);
      values.set(col.values, at);
      if (col.nulls) {
        nulls ??= new Uint8Array(total);
        nulls.set(col.nulls, at);
      }
      at += p.count;
    }
    return { kind: 'double', values, nulls };
  }
  // Rank the union of all partition dictionaries once, then map each partition's codes.
  const distinct = new Map<string, number>();
  for (const p of parts) {
    const col = p.columns[c]!;
    if (col.kind !== 'string') throw new TypeError(`key column ${c} changes kind between partitions`);
    for (const v of col.dictionary) if (!distinct.has(v)) distinct.set(v, distinct.size);
  }
  const values = [...distinct.keys()];
  const rankOf = utf8Ranks(values);
  const ranks = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    const col = p.columns[c]!;
    if (col.kind !== 'string') continue;
    const local = col.dictionary.map((v) => rankOf[distinct.get(v)!]!);
    for (let r = 0; r < p.count; r++) {
      const code = col.codes[r]!;
      ranks[at + r] = code < 0 ? -1 : local[code]!;
    }
    at += p.count;
  }
  return { kind: 'string', ranks };
}
