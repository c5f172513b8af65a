/**
 * Per-partition column statistics of a parsed batch — what a load partial carries to the
 * driver (mergeLoadPartials): numeric count, mean, M2, min and max; string null count and
 * value counts in code order. One module for every producer (the CSV load, the scan's
 * conform step, the Parquet reader), so a partition gives the same statistics bit for bit
 * whichever way its block was built.
 */
import type { ColumnBatch } from '../columnar/column-batch.js';
import type { CodeArray } from '../columnar/shared-arrays.js';
import type { ColumnStats, StringColumnStats } from '../tasks.js';

const utf8 = new TextDecoder('utf-8');

/** Statistics of every column of a batch, in column order. */
export function batchStatistics(batch: ColumnBatch): ColumnStats[] {
  return batch.columns.map((col, c) =>
    batch.skipped?.[c] === true
      ? { kind: 'skipped' as const }
      : col.kind === 'numeric'
        ? numericStats(col.values, col.nulls, batch.numRows)
        : stringStats(col.codes, batch.numRows, col.dict.size, col.dict.offsets, col.dict.bytes),
  );
}

/**
 * count, mean and M2 (Σ (x − mean)², what Welford's update tracks) of the non-null values,
 * by two passes over the column: exact order, no division per value, and more accurate than
 * the streaming update. Deterministic. Empty: mean 0, M2 0, min +∞, max −∞.
 */
export function numericStats(values: Float64Array | Int32Array, nulls: Uint8Array | null, rows: number): ColumnStats {
  const out = new Float64Array(5);
  moments(values, nulls, rows, out);
  const count = out[0]!;
  return { kind: 'numeric', count, nullCount: rows - count, mean: out[1]!, m2: out[2]!, min: out[3]!, max: out[4]! };
}

/**
 * Value counts of a dictionary-coded column (-1 = null) whose dictionary has `size` values,
 * value i being the UTF-8 bytes [offsets[i], offsets[i+1]) of `bytes`.
 */
export function stringStats(codes: CodeArray, rows: number, size: number, offsets: Int32Array, bytes: Uint8Array): StringColumnStats {
  const tally = new Float64Array(size);
  const nullCount = countCodes(codes, rows, tally);
  const counts = Array.from(tally);
  const values = new Array<string>(size);
  // slice, not subarray: TextDecoder refuses views of a SharedArrayBuffer.
  for (let i = 0; i < size; i++) values[i] = utf8.decode(bytes.slice(offsets[i]!, offsets[i + 1]!));
  return { kind: 'string', nullCount, values, counts };
}

/** The loops of numericStats, apart so that their optimised code never meets the object literal. */
function moments(values: Float64Array | Int32Array, nulls: Uint8Array | null, rows: number, out: Float64Array): void {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const x = values[i]!;
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = count > 0 ? sum / count : 0;
  let m2 = 0;
  for (let i = 0; i < rows; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const d = values[i]! - mean;
    m2 += d * d;
  }
  out[0] = count;
  out[1] = mean;
  out[2] = m2;
  out[3] = min;
  out[4] = max;
}

/** Tallies codes into counts; returns the number of nulls (-1). */
function countCodes(codes: CodeArray, rows: number, counts: Float64Array): number {
  let nulls = 0;
  for (let i = 0; i < rows; i++) {
    const code = codes[i]!;
    if (code < 0) nulls++;
    else counts[code]!++;
  }
  return nulls;
}
