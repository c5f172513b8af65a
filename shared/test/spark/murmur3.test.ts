import t from 'tap';
import { ARRAY_SEED, bytesHash } from '../../src/spark/index.js';

/** Murmur3 x86_32 written the slow, obvious way: BigInt arithmetic mod 2^32, DataView reads. */
function referenceHash(data: Uint8Array, seed: number): number {
  const M = 0xffffffffn;
  const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
  const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (32n - r))) & M;
  const scramble = (k: bigint): bigint => mul(rotl(mul(k, 0xcc9e2d51n), 15n), 0x1b873593n);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let h = BigInt(seed >>> 0);
  const blocks = Math.floor(data.length / 4);
  for (let b = 0; b < blocks; b++) {
    h ^= scramble(BigInt(view.getUint32(b * 4, true)));
    h = (mul(rotl(h, 13n), 5n) + 0xe6546b64n) & M;
  }
  let k = 0n;
  for (let i = data.length - 1; i >= blocks * 4; i--) k = (k << 8n) | BigInt(data[i]!);
  if (data.length % 4 !== 0) h ^= scramble(k);
  h ^= BigInt(data.length);
  h ^= h >> 16n;
  h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return Number(BigInt.asIntN(32, h));
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('murmur3: bytesHash matches the published MurmurHash3_x86_32 test vectors', async (t) => {
  const cases: [Uint8Array, number, number][] = [
    [bytes(), 0, 0],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
    [utf8('aaaa'), 0x9747b28c, 0x5a97808a],
    [utf8('abc'), 0x9747b28c, 0xc84a62dd],
    [utf8('Hello, world!'), 0x9747b28c, 0x24884cba],
    [utf8('ππππππππ'), 0x9747b28c, 0xd58063c1],
    [utf8('a'.repeat(256)), 0x9747b28c, 0x37405bdc],
    [utf8('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
  ];
  for (const [data, seed, expected] of cases) {
    t.equal(bytesHash(data, seed), expected | 0, `${data.length} bytes, seed 0x${(seed >>> 0).toString(16)}`);
  }
});

t.test('murmur3: bytesHash returns signed 32-bit ints like Scala', async (t) => {
  // 0x81f16f39 has the top bit set: Scala's Int is negative.
  t.equal(bytesHash(bytes(), -1), 0x81f16f39 - 0x100000000);
  // Scala's MurmurHash3.bytesHash(Array[Byte](), arraySeed) = avalanche(arraySeed ^ 0).
  t.equal(bytesHash(bytes(), ARRAY_SEED), referenceHash(bytes(), ARRAY_SEED));
  t.equal(bytesHash(bytes(), ARRAY_SEED), -1579025880);
});

t.test('murmur3: bytesHash agrees with a BigInt reference on every length 0–80 and many seeds', async (t) => {
  let state = 12345;
  const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) | 0) >>> 8;
  let mismatches = 0;
  for (let len = 0; len <= 80; len++) {
    for (let s = 0; s < 20; s++) {
      const data = Uint8Array.from({ length: len }, () => rand() & 0xff);
      const seed = s === 0 ? ARRAY_SEED : (rand() * 257) | 0;
      if (bytesHash(data, seed) !== referenceHash(data, seed)) mismatches++;
    }
  }
  t.equal(mismatches, 0);
});

t.test('murmur3: bytesHash reads a subarray view from its own offset', async (t) => {
  const whole = utf8('xxThe quick brown fox');
  t.equal(bytesHash(whole.subarray(2), 7), bytesHash(utf8('The quick brown fox'), 7));
});
