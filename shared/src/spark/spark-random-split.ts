/**
 * Spark's `Dataset.randomSplit` arithmetic: the cumulative bounds built from the weights and
 * the per-row split assignment of `BernoulliCellSampler` driven by `XORShiftRandom(seed + p)`.
 * The Spark-compatible split mode calls it once per partition on rows already in Spark's
 * sort order (spark-row-order.ts); the result depends only on the seed, the partition index
 * and the row count, so it is exact whatever the engine's own partitioning.
 */
import { KindlingError } from '../errors.js';
import { XORShiftRandom, type SeedBufferBytes } from './xorshift-random.js';

/** Split index given to a row whose draw falls in no split (only when the last bound is < 1). */
export const NO_SPLIT = 255;

/**
 * Spark's bounds `weights.map(_ / sum).scanLeft(0.0)(_ + _)`, with the same left-to-right
 * floating-point sum, so [0.7, 0.3] gives [0, 0.7, 1]. Weights must be finite and ≥ 0 with a
 * positive sum (Spark's own checks, plus finiteness, which Spark does not check).
 */
export function sparkSplitBounds(weights: readonly number[]): number[] {
  if (weights.length === 0) {
    throw new KindlingError('E_INVALID_VALUE', 'randomSplit needs at least one weight', { weights: [] });
  }
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) {
      throw new KindlingError('E_INVALID_VALUE', `randomSplit weight ${i} must be a finite number ≥ 0, got ${String(w)}`, {
        weights: [...weights],
        index: i,
      });
    }
  });
  let sum = 0;
  for (const w of weights) sum += w;
  if (!(sum > 0)) {
    throw new KindlingError('E_INVALID_VALUE', `randomSplit weights must have a positive sum, got [${weights.join(', ')}]`, {
      weights: [...weights],
    });
  }
  const bounds = [0];
  let acc = 0;
  for (const w of weights) {
    acc += w / sum;
    bounds.push(acc);
  }
  return bounds;
}

/**
 * Split index of each of `numRows` rows of partition `partitionIndex`, in the given (already
 * sorted) order: row r draws the r-th `nextDouble()` of `XORShiftRandom(seed + partitionIndex)`
 * and goes to the k with bounds[k] ≤ x < bounds[k+1] — what every split's BernoulliCellSampler
 * keeps, since all splits replay the same stream. A row in no split gets {@link NO_SPLIT}
 * (Spark drops such a row, which happens only if rounding leaves the last bound below 1).
 * `bufferBytes` is 64 for Spark 2.x and 8 for 3.x; the seed addition wraps as a Java long.
 */
export function sparkRandomSplitAssign(
  numRows: number,
  seed: number | bigint,
  partitionIndex: number,
  bounds: readonly number[],
  bufferBytes: SeedBufferBytes,
): Uint8Array {
  if (!Number.isSafeInteger(numRows) || numRows < 0) {
    throw new KindlingError('E_INVALID_VALUE', `row count must be an integer ≥ 0, got ${String(numRows)}`, { numRows });
  }
  if (!Number.isSafeInteger(partitionIndex) || partitionIndex < 0) {
    throw new KindlingError('E_INVALID_VALUE', `partition index must be an integer ≥ 0, got ${String(partitionIndex)}`, { partitionIndex });
  }
  checkBounds(bounds);
  const longSeed = BigInt.asIntN(64, (typeof seed === 'bigint' ? seed : BigInt(checkSeed(seed))) + BigInt(partitionIndex));
  const rng = new XORShiftRandom(longSeed, { bufferBytes });
  const out = new Uint8Array(numRows);
  const splits = bounds.length - 1;
  const b1 = bounds[1]!;
  for (let r = 0; r < numRows; r++) {
    const x = rng.nextDouble();
    // The first split is by far the most common case (training set): test it without a loop.
    if (x < b1 && x >= bounds[0]!) {
      out[r] = 0;
      continue;
    }
    let k = NO_SPLIT;
    for (let j = 1; j < splits; j++) {
      if (x >= bounds[j]! && x < bounds[j + 1]!) {
        k = j;
        break;
      }
    }
    out[r] = k;
  }
  return out;
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new KindlingError('E_INVALID_VALUE', `random seed must be an integer in ±(2^53 - 1) or a bigint, got ${String(seed)}`, {
      seed: String(seed),
    });
  }
  return seed;
}

function checkBounds(bounds: readonly number[]): void {
  if (bounds.length < 2 || bounds.length - 1 > NO_SPLIT) {
    throw new KindlingError('E_INVALID_VALUE', `split bounds must list between 2 and ${NO_SPLIT + 1} values, got ${bounds.length}`, {
      bounds: [...bounds],
    });
  }
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i]!;
    if (Number.isNaN(b) || (i > 0 && b < bounds[i - 1]!)) {
      throw new KindlingError('E_INVALID_VALUE', `split bounds must be non-decreasing numbers; bound ${i} is ${String(b)}`, {
        bounds: [...bounds],
        index: i,
      });
    }
  }
}
