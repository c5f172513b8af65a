/**
 * The train/test split draw: a deterministic, well-mixed uniform number in [0, 1) for each
 * (seed, global row id). The encode kernel calls it once per kept row; because it depends
 * on nothing but the seed and the row id, a row lands in the same split whatever the
 * partitioning, the executor count or the order in which partitions run.
 *
 * Hashing is Murmur3 x86_32 over the four 32-bit words (seed low, seed high, row low, row
 * high), run twice with different seeds to get 26 + 27 = 53 random bits.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_27 = 134217728;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;
const HASH_SEED_HIGH = 0x243f6a88;
const HASH_SEED_LOW = 0x85a308d3;

/** One Murmur3 x86_32 block round: mixes the word `k` into the state `h`. */
function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Murmur3 finalisation (16 bytes hashed), giving an unsigned 32-bit value. */
function finish(h: number): number {
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

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

  let a = mixWord(HASH_SEED_HIGH, seedLo);
  a = mixWord(a, seedHi);
  a = mixWord(a, rowLo);
  a = mixWord(a, rowHi);
  let b = mixWord(HASH_SEED_LOW, seedLo);
  b = mixWord(b, seedHi);
  b = mixWord(b, rowLo);
  b = mixWord(b, rowHi);

  const high26 = finish(a) >>> 6;
  const low27 = finish(b) >>> 5;
  return (high26 * TWO_POW_27 + low27) * TWO_POW_MINUS_53;
}
