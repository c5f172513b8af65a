/**
 * Driver-side merge of the load stage's per-partition results (LoadPartial) into table-wide
 * column statistics: row and malformed counts, numeric count / nulls / min / max / mean /
 * unbiased std, and string null counts and value counts (the StringIndexer's input).
 * Partials are merged in the given (partition) order so the result is bit-identical
 * whatever executor ran which partition.
 */
import { KindlingError } from '../errors.js';
import type { LoadPartial, NumericColumnStats, StringColumnStats } from '../tasks.js';
import { mergeStringStats } from './string-indexer.js';

/** Table-wide statistics of a numeric column (non-null values only). */
export interface MergedNumericStats {
  readonly kind: 'numeric';
  readonly count: number;
  readonly nullCount: number;
  /** NaN when the column has no non-null value. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Unbiased (n − 1) standard deviation; NaN when count < 2. */
  readonly std: number;
  /** Sum of squared deviations from the mean. */
  readonly m2: number;
}

/** Table-wide statistics of a string column. */
export interface MergedStringStats {
  readonly kind: 'string';
  readonly nullCount: number;
  /** Distinct non-null values and their counts, in order of first appearance. */
  readonly counts: Map<string, number>;
}

/** A column the job skips (JobPlan.skipColumns): its values were never kept. */
export interface SkippedColumnStats {
  readonly kind: 'skipped';
}

export type MergedColumnStats = MergedNumericStats | MergedStringStats | SkippedColumnStats;

/** Result of mergeLoadPartials. */
export interface MergedLoadStats {
  readonly rowCount: number;
  readonly malformedCount: number;
  readonly columns: MergedColumnStats[];
}

/** Moments of numeric values, merged with Chan et al.'s parallel formula. */
interface Moments {
  count: number;
  nullCount: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
}

function mergeNumeric(parts: readonly NumericColumnStats[]): MergedNumericStats {
  const acc: Moments = { count: 0, nullCount: 0, min: NaN, max: NaN, mean: 0, m2: 0 };
  for (const p of parts) {
    acc.nullCount += p.nullCount;
    if (p.count === 0) continue;
    if (acc.count === 0) {
      acc.count = p.count;
      acc.min = p.min;
      acc.max = p.max;
      acc.mean = p.mean;
      acc.m2 = p.m2;
      continue;
    }
    const n = acc.count + p.count;
    const delta = p.mean - acc.mean;
    acc.mean += (delta * p.count) / n;
    acc.m2 += p.m2 + (delta * delta * acc.count * p.count) / n;
    acc.count = n;
    if (p.min < acc.min) acc.min = p.min;
    if (p.max > acc.max) acc.max = p.max;
  }
  return {
    kind: 'numeric',
    count: acc.count,
    nullCount: acc.nullCount,
    min: acc.min,
    max: acc.max,
    mean: acc.count === 0 ? NaN : acc.mean,
    std: acc.count < 2 ? NaN : Math.sqrt(Math.max(0, acc.m2) / (acc.count - 1)),
    m2: acc.m2,
  };
}

/**
 * Merges the load partials of every partition, in partition order. Every partial must
 * describe the same columns with the same kinds (they were parsed with one schema).
 */
export function mergeLoadPartials(parts: readonly LoadPartial[]): MergedLoadStats {
  let rowCount = 0;
  let malformedCount = 0;
  for (const p of parts) {
    rowCount += p.rowCount;
    malformedCount += p.malformedCount;
  }
  const numColumns = parts[0]?.columns.length ?? 0;
  const columns: MergedColumnStats[] = [];
  for (let c = 0; c < numColumns; c++) {
    const kind = parts[0]!.columns[c]!.kind;
    const colParts = parts.map((p, i) => {
      const s = p.columns[c];
      if (p.columns.length !== numColumns || s === undefined || s.kind !== kind) {
        throw new KindlingError('E_INTERNAL', `load partial ${i} does not match partial 0 at column ${c} (${kind} expected)`, {
          partial: i,
          column: c,
        });
      }
      return s;
    });
    if (kind === 'numeric') {
      columns.push(mergeNumeric(colParts as NumericColumnStats[]));
    } else if (kind === 'skipped') {
      columns.push({ kind: 'skipped' });
    } else {
      const strParts = colParts as StringColumnStats[];
      columns.push({
        kind: 'string',
        nullCount: strParts.reduce((a, s) => a + s.nullCount, 0),
        counts: mergeStringStats(strParts),
      });
    }
  }
  return { rowCount, malformedCount, columns };
}
