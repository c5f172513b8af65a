/**
 * Scala's `scala.util.hashing.MurmurHash3.bytesHash`: Murmur3 x86_32 over little-endian 4-byte
 * blocks, returning a signed 32-bit int exactly as Scala does. XORShiftRandom's seed hashing is
 * built on it (xorshift-random.ts); nothing else in Kindling should use it, because its only job
 * is to reproduce Spark's random streams bit for bit.
 */

/** Scala's `MurmurHash3.arraySeed`, the seed Spark passes explicitly when hashing RNG seeds. */
export const ARRAY_SEED = 0x3c074a61;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Scala `mixLast`: scrambles one 32-bit block and folds it into the hash. */
function mixLast(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  return h ^ k;
}

/**
 * Scala's `MurmurHash3.bytesHash(data, seed)`: body over 4-byte little-endian blocks, a 1–3 byte
 * tail, then `finalizeHash(h, data.length)` (xor with the byte length, then the avalanche).
 * Returns a signed 32-bit integer, as the JVM `Int` result.
 */
export function bytesHash(data: Uint8Array, seed: number): number {
  const len = data.length;
  const blocksEnd = len & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    const k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    h = mixLast(h, k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len - blocksEnd;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[i + 2]! << 16;
    if (tail >= 2) k ^= data[i + 1]! << 8;
    k ^= data[i]!;
    h = mixLast(h, k);
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
