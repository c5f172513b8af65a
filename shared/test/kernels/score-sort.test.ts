import t from 'tap';
import { sortScoresAscending } from '../../src/kernels/score-sort.js';

const bits = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test('score-sort: the radix sort gives the native sort, bit for bit, on every kind of double', async (t) => {
  let seed = 11;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const special = [
    0,
    -0,
    1,
    -1,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    2 ** -1074 * 3,
    1e-300,
    -1e-300,
  ];
  const cases: [string, () => number][] = [
    ['margins with ties', () => (rand() < 0.3 ? Math.round(rand() * 40) / 8 - 2 : rand() * 8 - 4)],
    ['probabilities', () => 1 - 1 / (1 + Math.exp(rand() * 20 - 10))],
    [
      'specials and wide exponents',
      () => (rand() < 0.2 ? special[Math.floor(rand() * special.length)]! : (rand() - 0.5) * 10 ** Math.floor(rand() * 600 - 300)),
    ],
    ['all equal', () => 0.25],
    ['signed zeros in a finite range', () => (rand() < 0.003 ? (rand() < 0.5 ? -0 : 0) : rand() * 2 - 1)],
    ['one outlier squeezing the rest', () => (rand() < 0.001 ? 1e9 : rand())],
    ['few distinct scores', () => Math.floor(rand() * 7) / 4],
  ];
  for (const [name, draw] of cases) {
    for (const n of [0, 1, 255, 256, 257, 5000, 70000]) {
      const a = Float64Array.from({ length: n }, draw);
      const expected = a.slice().sort();
      // A subarray at a non-zero offset, as the kernel sorts views of its score buffers.
      const host = new Float64Array(n + 3);
      host.set(a, 3);
      const view = host.subarray(3);
      t.equal(sortScoresAscending(view), view, 'sorts in place');
      t.ok(bits(view).equals(bits(expected)), `${name}, ${n} scores`);
      t.same([...host.subarray(0, 3)], [0, 0, 0], `${name}, ${n}: nothing outside the view is touched`);
    }
  }
});
