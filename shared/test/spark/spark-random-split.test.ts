import t from 'tap';
import { NO_SPLIT, sparkRandomSplitAssign, sparkSplitBounds, XORShiftRandom, type SeedBufferBytes } from '../../src/spark/index.js';

/** Spark's way, split by split: each split replays XORShiftRandom(seed + p) and keeps lb ≤ x < ub. */
function bernoulliCells(numRows: number, seed: number, p: number, bounds: number[], bufferBytes: SeedBufferBytes): number[][] {
  const kept: number[][] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const lb = bounds[k]!;
    const ub = bounds[k + 1]!;
    const rows: number[] = [];
    if (ub - lb > 0) {
      const rng = new XORShiftRandom(seed + p, { bufferBytes });
      for (let r = 0; r < numRows; r++) {
        const x = rng.nextDouble();
        if (x >= lb && x < ub) rows.push(r);
      }
    }
    kept.push(rows);
  }
  return kept;
}

const count = (a: Uint8Array, k: number): number => a.reduce((n, v) => n + (v === k ? 1 : 0), 0);

t.test('spark-random-split: bounds accumulate the normalised weights like scanLeft', async (t) => {
  t.same(sparkSplitBounds([0.7, 0.3]), [0, 0.7, 1]);
  t.same(sparkSplitBounds([7, 3]), [0, 0.7, 1]);
  // Left-to-right rounding is kept, not corrected to end at 1.
  t.same(sparkSplitBounds([0.6, 0.3, 0.1]), [0, 0.6000000000000001, 0.9000000000000001, 1.0000000000000002]);
  t.same(sparkSplitBounds([3, 3, 3, 1]), [0, 0.3, 0.6, 0.8999999999999999, 0.9999999999999999]);
  t.same(sparkSplitBounds([1, 0, 1]), [0, 0.5, 0.5, 1]);
});

t.test('spark-random-split: bounds reject negative, non-finite and all-zero weights', async (t) => {
  t.throws(() => sparkSplitBounds([0.5, -0.1]), { code: 'E_INVALID_VALUE', message: /weight 1/ });
  t.throws(() => sparkSplitBounds([0, 0]), { code: 'E_INVALID_VALUE', message: /positive sum/ });
  t.throws(() => sparkSplitBounds([Number.NaN, 1]), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkSplitBounds([Infinity, 1]), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkSplitBounds([]), { code: 'E_INVALID_VALUE' });
});

t.test('spark-random-split: bank split sizes at seed 2018 are 7,855 (3.x) and 7,764 (2.x)', async (t) => {
  const bounds = sparkSplitBounds([0.7, 0.3]);
  const v3 = sparkRandomSplitAssign(11162, 2018, 0, bounds, 8);
  t.equal(count(v3, 0), 7855);
  t.equal(count(v3, 1), 3307);
  const v2 = sparkRandomSplitAssign(11162, 2018, 0, bounds, 64);
  t.equal(count(v2, 0), 7764);
  t.equal(count(v2, 1), 3398);
});

t.test('spark-random-split: assignment equals what each split’s BernoulliCellSampler keeps', async (t) => {
  const bounds = sparkSplitBounds([0.5, 0, 0.2, 0.3]);
  for (const bufferBytes of [8, 64] as const) {
    for (const p of [0, 1, 5]) {
      const assigned = sparkRandomSplitAssign(3000, 99, p, bounds, bufferBytes);
      const cells = bernoulliCells(3000, 99, p, bounds, bufferBytes);
      cells.forEach((rows, k) => {
        const mine: number[] = [];
        assigned.forEach((v, r) => {
          if (v === k) mine.push(r);
        });
        t.equal(mine.join(','), rows.join(','), `split ${k}, partition ${p}, ${bufferBytes}-byte seed buffer`);
      });
      t.equal(count(assigned, 1), 0, 'a zero-weight split gets no rows');
      t.equal(count(assigned, NO_SPLIT), 0, 'every row is in some split');
    }
  }
});

t.test('spark-random-split: partition p draws from seed + p, wrapping as a Java long', async (t) => {
  const bounds = [0, 0.7, 1];
  t.same(sparkRandomSplitAssign(500, 2018, 3, bounds, 8), sparkRandomSplitAssign(500, 2021, 0, bounds, 8));
  t.same(sparkRandomSplitAssign(500, 2n ** 63n - 1n, 1, bounds, 8), sparkRandomSplitAssign(500, -(2n ** 63n), 0, bounds, 8));
  t.notSame(sparkRandomSplitAssign(500, 2018, 0, bounds, 8), sparkRandomSplitAssign(500, 2018, 1, bounds, 8));
});

t.test('spark-random-split: rows drawn above the last bound belong to no split', async (t) => {
  const bounds = [0, 0.5, 0.5, 0.9];
  const assigned = sparkRandomSplitAssign(2000, 7, 0, bounds, 8);
  const rng = new XORShiftRandom(7, { bufferBytes: 8 });
  let wrong = 0;
  for (let r = 0; r < 2000; r++) {
    const x = rng.nextDouble();
    const expected = x < 0.5 ? 0 : x < 0.9 ? 2 : NO_SPLIT;
    if (assigned[r] !== expected) wrong++;
  }
  t.equal(wrong, 0);
  t.ok(count(assigned, NO_SPLIT) > 0);
});

t.test('spark-random-split: assignment rejects bad row counts, partitions, seeds and bounds', async (t) => {
  t.throws(() => sparkRandomSplitAssign(-1, 1, 0, [0, 1], 8), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkRandomSplitAssign(10, 1, -1, [0, 1], 8), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkRandomSplitAssign(10, 0.5, 0, [0, 1], 8), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkRandomSplitAssign(10, 1, 0, [0], 8), { code: 'E_INVALID_VALUE' });
  t.throws(() => sparkRandomSplitAssign(10, 1, 0, [0, 0.6, 0.4], 8), { code: 'E_INVALID_VALUE', message: /bound 2/ });
  t.same(sparkRandomSplitAssign(0, 1, 0, [0, 1], 8), new Uint8Array(0));
});
