/**
 * The train/test split draw: a deterministic, well-mixed uniform number in [0, 1) for each
 * (seed, global row id). The encode kernel calls it once per kept row; because it depends
 * on nothing but the seed and the row id, a row lands in the same split whatever the
 * partitioning, the executor count or the order in which partitions run.
 *
 * Hashing is Murmur3 x86_32 (spark/murmur3.ts) over the four 32-bit words (seed low, seed
 * high, row low, row high), run twice with different seeds to get 26 + 27 = 53 random bits.
 */
import { murmur3Finalize, murmur3Mix } from '../spark/murmur3.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_27 = 134217728;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;
const HASH_SEED_HIGH = 0x243f6a88;
const HASH_SEED_LOW = 0x85a308d3;

/**
 * Uniform draw in [0, 1) with 53 random bits for row `rowId` under split seed `seed`.
 * `seed` is any safe integer (negative seeds use their 64-bit two's complement words);
 * `rowId` is a non-negative safe integer. A row is in the training split iff
 * `splitDraw(seed, rowId) < trainFraction`.
 */
export function splitDraw(seed: number, rowId: number): number {
  const seedLo = seed | 0;
  const seedHi = Math.floor(seed / TWO_POW_32) | 0;
  const rowLo = rowId | 0;
  const rowHi = (rowId / TWO_POW_32) | 0;

  let a = murmur3Mix(HASH_SEED_HIGH, seedLo);
  a = murmur3Mix(a, seedHi);
  a = murmur3Mix(a, rowLo);
  a = murmur3Mix(a, rowHi);
  let b = murmur3Mix(HASH_SEED_LOW, seedLo);
  b = murmur3Mix(b, seedHi);
  b = murmur3Mix(b, rowLo);
  b = murmur3Mix(b, rowHi);

  // 16 bytes hashed; the unsigned value's top bits.
  const high26 = murmur3Finalize(a, 16) >>> 6;
  const low27 = murmur3Finalize(b, 16) >>> 5;
  return (high26 * TWO_POW_27 + low27) * TWO_POW_MINUS_53;
}
