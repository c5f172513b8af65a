import t from 'tap';
import { ARRAY_SEED, bytesHash, XORShiftRandom, type SeedBufferBytes } from '../../src/spark/index.js';

/** Spark's XORShiftRandom written directly on BigInt longs, as the Scala source reads. */
class ReferenceXORShift {
  private s: bigint;
  constructor(seed: bigint, bufferBytes: SeedBufferBytes) {
    this.s = referenceHashSeed(seed, bufferBytes);
  }
  next(bits: number): number {
    let s = this.s;
    s = BigInt.asIntN(64, s ^ (s << 21n));
    s = BigInt.asIntN(64, s ^ (BigInt.asUintN(64, s) >> 35n));
    s = BigInt.asIntN(64, s ^ (s << 4n));
    this.s = s;
    return Number(BigInt.asIntN(32, s & ((1n << BigInt(bits)) - 1n)));
  }
  nextDouble(): number {
    const l = (BigInt(this.next(26)) << 27n) + BigInt(this.next(27));
    return Number(l) / 2 ** 53;
  }
}

function referenceHashSeed(seed: bigint, bufferBytes: number): bigint {
  const buf = new Uint8Array(bufferBytes);
  let v = BigInt.asUintN(64, seed);
  for (let i = 7; i >= 0; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const low = bytesHash(buf, ARRAY_SEED);
  const high = bytesHash(buf, low);
  return BigInt.asIntN(64, (BigInt(high) << 32n) | (BigInt(low) & 0xffffffffn));
}

const draws = (seed: number, bufferBytes: SeedBufferBytes, n: number): number[] => {
  const r = new XORShiftRandom(seed, { bufferBytes });
  return Array.from({ length: n }, () => r.nextDouble());
};

t.test('xorshift-random: hashSeed reproduces the spec vectors', async (t) => {
  t.equal(BigInt.asUintN(64, XORShiftRandom.hashSeed(0, 8)), 0x80b91e250a05cc5fn);
  t.equal(BigInt.asUintN(64, XORShiftRandom.hashSeed(2018, 8)), 0xa5571998b1d167c8n);
  t.equal(XORShiftRandom.hashSeed(100, 64), 852394178374189935n);
  t.equal(XORShiftRandom.hashSeed(0n, 8), XORShiftRandom.hashSeed(0, 8));
});

t.test('xorshift-random: draws match Spark 3.x (8-byte buffer) for seeds 0 and 2018', async (t) => {
  t.same(draws(0, 8, 3), [0.7604953758285915, 0.5234194256885571, 0.0953472826424725]);
  t.same(draws(2018, 8, 4), [0.888154480254404, 0.337472408950949, 0.24516847986621026, 0.5483501937895258]);
});

t.test('xorshift-random: the 64-byte buffer gives Spark 2.x rand(0)', async (t) => {
  t.equal(draws(0, 64, 1)[0], 0.8446490682263027);
});

t.test('xorshift-random: the two-half state matches a BigInt reference over many draws', async (t) => {
  const seeds = [0n, 1n, -1n, 2018n, 42n, 9007199254740991n, -9007199254740991n, 2n ** 63n - 1n, -(2n ** 63n), 0x123456789abcdefn];
  let mismatches = 0;
  let compared = 0;
  for (const bufferBytes of [8, 64] as const) {
    for (const seed of seeds) {
      const fast = new XORShiftRandom(seed, { bufferBytes });
      const ref = new ReferenceXORShift(seed, bufferBytes);
      t.equal(fast.state, referenceHashSeed(seed, bufferBytes), `state after seeding ${seed}`);
      for (let i = 0; i < 5000; i++) {
        if (fast.nextDouble() !== ref.nextDouble()) mismatches++;
        compared++;
      }
      for (let bits = 1; bits <= 32; bits++) {
        if (fast.next(bits) !== ref.next(bits)) mismatches++;
        compared++;
      }
    }
  }
  t.equal(mismatches, 0, `${compared} draws compared`);
});

t.test('xorshift-random: next(32) can be negative, narrower draws never are', async (t) => {
  const r = new XORShiftRandom(7, { bufferBytes: 8 });
  let negative32 = 0;
  let negativeNarrow = 0;
  for (let i = 0; i < 1000; i++) {
    if (r.next(32) < 0) negative32++;
    const v = r.next(31);
    if (v < 0 || v > 0x7fffffff) negativeNarrow++;
  }
  t.ok(negative32 > 0);
  t.equal(negativeNarrow, 0);
});

t.test('xorshift-random: setSeed restarts the stream and bigint seeds wrap as Java longs', async (t) => {
  const r = new XORShiftRandom(5, { bufferBytes: 8 });
  const first = [r.nextDouble(), r.nextDouble()];
  r.setSeed(5, 8);
  t.same([r.nextDouble(), r.nextDouble()], first);
  t.equal(XORShiftRandom.hashSeed(2n ** 64n + 5n, 8), XORShiftRandom.hashSeed(5, 8));
  t.equal(XORShiftRandom.hashSeed(-1, 8), XORShiftRandom.hashSeed(2n ** 64n - 1n, 8));
});

t.test('xorshift-random: rejects inexact seeds, bad buffer lengths and bad bit counts', async (t) => {
  t.throws(() => new XORShiftRandom(1.5, { bufferBytes: 8 }), { code: 'E_INVALID_VALUE' });
  t.throws(() => new XORShiftRandom(2 ** 60, { bufferBytes: 8 }), { code: 'E_INVALID_VALUE' });
  t.throws(() => XORShiftRandom.hashSeed(1, 16 as SeedBufferBytes), { code: 'E_INVALID_VALUE' });
  const r = new XORShiftRandom(1, { bufferBytes: 8 });
  t.throws(() => r.next(0), { code: 'E_INVALID_VALUE' });
  t.throws(() => r.next(33), { code: 'E_INVALID_VALUE' });
});
