import t from 'tap';
import { mergeLoadPartials } from '../../src/ml/index.js';
import type { LoadPartial, NumericColumnStats } from '../../src/tasks.js';

/** What a parser would report for these values (null = missing). */
function numericStats(values: (number | null)[]): NumericColumnStats {
  const xs = values.filter((v): v is number => v !== null);
  const mean = xs.length === 0 ? 0 : xs.reduce((a, v) => a + v, 0) / xs.length;
  return {
    kind: 'numeric',
    count: xs.length,
    nullCount: values.length - xs.length,
    min: xs.length === 0 ? Infinity : Math.min(...xs),
    max: xs.length === 0 ? -Infinity : Math.max(...xs),
    mean,
    m2: xs.reduce((a, v) => a + (v - mean) ** 2, 0),
  };
}

function partial(nums: (number | null)[], strs: (string | null)[], malformedCount = 0): LoadPartial {
  const counts = new Map<string, number>();
  for (const s of strs) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  return {
    rowCount: nums.length,
    malformedCount,
    columns: [
      numericStats(nums),
      { kind: 'string', nullCount: strs.filter((s) => s === null).length, values: [...counts.keys()], counts: [...counts.values()] },
    ],
  };
}

t.test('column-stats: merged numeric moments equal a direct computation over all rows', async (t) => {
  const a = [41, 56, null, 18, 95.5];
  const b: (number | null)[] = [null, null];
  const c = [3, -6847, 81204, 1e-3];
  const merged = mergeLoadPartials([partial(a, ['x', 'y', null, 'x', 'y']), partial(b, [null, 'z'], 2), partial(c, ['z', 'z', 'y', 'x'])]);
  const all = [...a, ...b, ...c].filter((v): v is number => v !== null);
  const mean = all.reduce((s, v) => s + v, 0) / all.length;
  const std = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / (all.length - 1));
  t.equal(merged.rowCount, 11);
  t.equal(merged.malformedCount, 2);
  const num = merged.columns[0]!;
  if (num.kind !== 'numeric') throw new Error('expected numeric stats');
  t.equal(num.count, 8);
  t.equal(num.nullCount, 3);
  t.equal(num.min, -6847);
  t.equal(num.max, 81204);
  t.ok(Math.abs(num.mean - mean) < 1e-12 * Math.abs(mean), `mean ${num.mean} vs ${mean}`);
  t.ok(Math.abs(num.std - std) < 1e-12 * std, `std ${num.std} vs ${std}`);
  const str = merged.columns[1]!;
  if (str.kind !== 'string') throw new Error('expected string stats');
  t.equal(str.nullCount, 2);
  t.same(
    [...str.counts.entries()],
    [
      ['x', 3],
      ['y', 3],
      ['z', 3],
    ],
  );
});

t.test('column-stats: a column with fewer than two values has NaN std, and no values NaN min/max/mean', async (t) => {
  const one = mergeLoadPartials([partial([null], [null]), partial([7], ['a'])]).columns[0]!;
  t.match(one, { kind: 'numeric', count: 1, nullCount: 1, min: 7, max: 7, mean: 7 });
  t.ok(one.kind === 'numeric' && Number.isNaN(one.std));
  const none = mergeLoadPartials([partial([null, null], ['a', 'b'])]).columns[0]!;
  t.ok(none.kind === 'numeric' && [none.min, none.max, none.mean, none.std].every(Number.isNaN));
});

t.test('column-stats: partials with different column kinds are rejected', async (t) => {
  const good = partial([1], ['a']);
  const swapped: LoadPartial = { ...good, columns: [good.columns[1]!, good.columns[0]!] };
  t.throws(() => mergeLoadPartials([good, swapped]), { code: 'E_INTERNAL', message: /partial 1/ });
  t.same(mergeLoadPartials([]), { rowCount: 0, malformedCount: 0, columns: [] });
});
