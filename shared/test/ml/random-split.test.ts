import t from 'tap';
import { splitDraw } from '../../src/ml/index.js';

const N = 200_000;

t.test('random-split: the training fraction is within 4 standard errors of 0.7 for several seeds', async (t) => {
  const se = Math.sqrt((0.7 * 0.3) / N);
  for (const seed of [0, 1, 42, 2018, -7, 2 ** 40 + 3]) {
    let train = 0;
    for (let id = 0; id < N; id++) if (splitDraw(seed, id) < 0.7) train++;
    const frac = train / N;
    t.ok(Math.abs(frac - 0.7) < 4 * se, `seed ${seed}: ${frac}`);
  }
});

t.test('random-split: draws are uniform in [0, 1) with 53-bit resolution', async (t) => {
  const bins = new Array<number>(20).fill(0);
  let min = 1;
  let max = 0;
  let allIntegral = true;
  for (let id = 0; id < N; id++) {
    const x = splitDraw(2018, id);
    min = Math.min(min, x);
    max = Math.max(max, x);
    if (!Number.isInteger(x * 2 ** 53)) allIntegral = false;
    bins[Math.floor(x * 20)]!++;
  }
  t.ok(min >= 0 && max < 1, `range [${min}, ${max}]`);
  t.ok(allIntegral, 'every draw is a multiple of 2^-53');
  const expected = N / 20;
  const chi2 = bins.reduce((a, o) => a + (o - expected) ** 2 / expected, 0);
  // 19 degrees of freedom: P(χ² > 43.8) = 0.001.
  t.ok(chi2 < 43.8, `chi-square ${chi2.toFixed(1)}`);
});

t.test('random-split: consecutive row ids are not correlated', async (t) => {
  const n = 50_000;
  const xs = Array.from({ length: n }, (_, id) => splitDraw(3, id) - 0.5);
  let cov = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += xs[i]! * xs[i]!;
    if (i > 0) cov += xs[i]! * xs[i - 1]!;
  }
  const r = cov / v;
  t.ok(Math.abs(r) < 4 / Math.sqrt(n), `lag-1 correlation ${r}`);
});

t.test('random-split: different seeds give different assignments', async (t) => {
  const n = 20_000;
  for (const [a, b] of [
    [2018, 2019],
    [0, 1],
    [5, 5 + 2 ** 32],
  ] as const) {
    let differ = 0;
    for (let id = 0; id < n; id++) if (splitDraw(a, id) < 0.7 !== splitDraw(b, id) < 0.7) differ++;
    // Independent draws disagree with probability 2 · 0.7 · 0.3 = 0.42.
    t.ok(Math.abs(differ / n - 0.42) < 0.02, `seeds ${a} / ${b}: ${differ / n}`);
  }
});

t.test('random-split: a draw depends only on (seed, row id)', async (t) => {
  const ids = [0, 1, 2, 12345, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
  const forward = ids.map((id) => splitDraw(2018, id));
  const backward = [...ids]
    .reverse()
    .map((id) => splitDraw(2018, id))
    .reverse();
  t.same(forward, backward);
  t.equal(new Set(forward).size, ids.length, 'row ids that share their low 32 bits still differ');
  // Pinned values: changing the hash silently re-splits every saved job.
  t.equal(splitDraw(2018, 0), 0.17335290222856348);
  t.equal(splitDraw(2018, 1), 0.9011170316517766);
  t.equal(splitDraw(0, 0), 0.9954517215072778);
});
