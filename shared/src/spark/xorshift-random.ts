/**
 * Spark's `org.apache.spark.util.random.XORShiftRandom`, bit for bit: the seed hashing (Scala
 * Murmur3 over the seed's big-endian bytes), the xorshift step and java.util.Random's
 * `nextDouble`. spark-random-split.ts draws one double per row from it to reproduce
 * `Dataset.randomSplit`. The 64-bit state is kept as two 32-bit halves so a draw costs a few
 * int operations instead of BigInt allocations (millions of rows per split).
 */
import { KindlingError } from '../errors.js';
import { ARRAY_SEED, bytesHash } from './murmur3.js';

/**
 * Length of the buffer the seed is hashed in: 64 bytes in Spark 2.x (it allocated
 * `Long.SIZE` = 64 bytes by mistake), 8 bytes from Spark 3.0 on (SPARK-23643).
 */
export type SeedBufferBytes = 8 | 64;

/** Options of {@link XORShiftRandom}. */
export interface XORShiftRandomOptions {
  /** 64 reproduces Spark 2.x, 8 reproduces Spark 3.x. */
  readonly bufferBytes: SeedBufferBytes;
}

const TWO_POW_27 = 134217728;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

/** The seed as a Java long; rejects numbers that are not exact integers. */
function toLong(seed: bigint | number): bigint {
  if (typeof seed === 'bigint') return BigInt.asIntN(64, seed);
  if (!Number.isSafeInteger(seed)) {
    throw new KindlingError('E_INVALID_VALUE', `random seed must be an integer in ±(2^53 - 1) or a bigint, got ${String(seed)}`, {
      seed: String(seed),
    });
  }
  return BigInt(seed);
}

function checkBufferBytes(bufferBytes: number): void {
  if (bufferBytes !== 8 && bufferBytes !== 64) {
    throw new KindlingError(
      'E_INVALID_VALUE',
      `seed buffer length must be 8 (Spark 3.x) or 64 (Spark 2.x) bytes, got ${String(bufferBytes)}`,
      { bufferBytes },
    );
  }
}

/** Both 32-bit halves of hashSeed, as signed ints (the JVM `Int`s Spark combines). */
function hashSeedHalves(seed: bigint, bufferBytes: SeedBufferBytes): { high: number; low: number } {
  const buf = new Uint8Array(bufferBytes);
  new DataView(buf.buffer).setBigInt64(0, seed, false);
  const low = bytesHash(buf, ARRAY_SEED);
  const high = bytesHash(buf, low);
  return { high, low };
}

/**
 * Spark's XORShiftRandom. Construct one per partition with `seed + partitionIndex`, as
 * `RDD.randomSampleWithRange` does.
 */
export class XORShiftRandom {
  private hi = 0;
  private lo = 0;

  /** Seeds the generator as `new XORShiftRandom(seed)` / `setSeed(seed)` in Spark. */
  constructor(seed: number | bigint, opts: XORShiftRandomOptions) {
    this.setSeed(seed, opts.bufferBytes);
  }

  /**
   * Spark's `XORShiftRandom.hashSeed(seed)`: the seed written as an 8-byte big-endian long,
   * zero-padded to `bufferBytes`; low = bytesHash(buf, arraySeed), high = bytesHash(buf, low);
   * result `(high << 32) | (low & 0xFFFFFFFF)` as a signed 64-bit value.
   */
  static hashSeed(seed: bigint | number, bufferBytes: SeedBufferBytes): bigint {
    checkBufferBytes(bufferBytes);
    const { high, low } = hashSeedHalves(toLong(seed), bufferBytes);
    return BigInt.asIntN(64, (BigInt(high) << 32n) | (BigInt(low) & 0xffffffffn));
  }

  /** Re-seeds the generator (Spark's `setSeed`, which hashes the seed again). */
  setSeed(seed: number | bigint, bufferBytes: SeedBufferBytes): void {
    checkBufferBytes(bufferBytes);
    const { high, low } = hashSeedHalves(toLong(seed), bufferBytes);
    this.hi = high;
    this.lo = low;
  }

  /** The current 64-bit state as a signed long (for tests and diagnostics). */
  get state(): bigint {
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo >>> 0));
  }

  /**
   * Advances the state (s ^= s << 21; s ^= s >>> 35; s ^= s << 4) and returns its low `bits`
   * bits as a Java int (negative only when bits = 32), like Spark's `next(bits)`.
   */
  next(bits: number): number {
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) {
      throw new KindlingError('E_INVALID_VALUE', `next(bits) needs 1 ≤ bits ≤ 32, got ${String(bits)}`, { bits });
    }
    const lo = this.step();
    return bits === 32 ? lo : lo & (0xffffffff >>> (32 - bits));
  }

  /** java.util.Random's `nextDouble`: ((next(26) << 27) + next(27)) × 2^-53, in [0, 1). */
  nextDouble(): number {
    const a = this.step() & 0x3ffffff;
    const b = this.step() & 0x7ffffff;
    return (a * TWO_POW_27 + b) * TWO_POW_MINUS_53;
  }

  /** One xorshift step on the (hi, lo) halves; returns the new low half as a signed int. */
  private step(): number {
    let hi = this.hi;
    let lo = this.lo;
    // s ^= s << 21 (hi first: it needs the old lo)
    hi ^= (hi << 21) | (lo >>> 11);
    lo ^= lo << 21;
    // s ^= s >>> 35: only bits of hi reach lo
    lo ^= hi >>> 3;
    // s ^= s << 4
    hi ^= (hi << 4) | (lo >>> 28);
    lo ^= lo << 4;
    this.hi = hi;
    this.lo = lo;
    return lo;
  }
}
