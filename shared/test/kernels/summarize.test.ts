import t from 'tap';
import { finishSummary, mergeSummaries, summarizeBlock } from '../../src/kernels/index.js';
import { BANK_SHAPE, denseRow, layoutOf, randomBlock, sliceBlock } from './random-block.js';

const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

t.test('summarize: mean and unbiased std equal a direct computation on the dense vectors', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const block = randomBlock(700, BANK_SHAPE, 4);
  const s = finishSummary(summarizeBlock(block, numFeatures, numericIndex));
  const rows = Array.from({ length: block.numRows }, (_, r) => denseRow(block, r, numericIndex, numFeatures));
  const bad: string[] = [];
  for (let f = 0; f < numFeatures; f++) {
    const col = rows.map((x) => x[f]!);
    const mean = col.reduce((a, v) => a + v, 0) / col.length;
    const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / (col.length - 1));
    if (!close(s.mean[f]!, mean, 1e-12) || !close(s.std[f]!, std, 1e-12))
      bad.push(`feature ${f}: ${s.mean[f]}/${s.std[f]} vs ${mean}/${std}`);
  }
  t.same(bad, []);
  t.equal(s.count, 700);
  const ones = [...block.label].filter((y) => y === 1).length;
  t.same(s.labelCounts, [700 - ones, ones]);
});

t.test('summarize: one-hot slot moments are exact from the slot counts', async (t) => {
  const shape = { slots: [2], numNumeric: 0 };
  const block = randomBlock(3, shape, 1);
  block.categorical.set([0, 0, -1]);
  const p = summarizeBlock(block, 2, []);
  // Slot 0 has values 1, 1, 0: mean 2/3, M2 = 2·1/3 = 2/3; slot 1 is all zero.
  t.same(p.mean, [2 / 3, 0]);
  t.same(p.m2, [(2 * 1) / 3, 0]);
});

t.test('summarize: merging partition partials equals one pass over all rows', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const whole = randomBlock(1500, BANK_SHAPE, 12);
  const all = summarizeBlock(whole, numFeatures, numericIndex);
  const cuts = [0, 1, 400, 400, 1500];
  const parts = cuts.slice(1).map((to, i) => summarizeBlock(sliceBlock(whole, cuts[i]!, to), numFeatures, numericIndex));
  const merged = parts.reduce((a, b) => mergeSummaries(a, b));
  t.equal(merged.count, all.count);
  t.same(merged.labelCounts, all.labelCounts);
  // Tolerance 1e-12 relative: Chan's merge reorders the arithmetic, nothing else.
  const bad = all.mean.flatMap((m, f) =>
    close(merged.mean[f]!, m, 1e-12) && close(merged.m2[f]!, all.m2[f]!, 1e-12) ? [] : [`feature ${f}`],
  );
  t.same(bad, [], 'merge(map(A), map(B), …) vs map(A ∪ B)');
});

t.test('summarize: empty blocks and single rows give zero std, not NaN', async (t) => {
  const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
  const empty = summarizeBlock(randomBlock(0, BANK_SHAPE, 1), numFeatures, numericIndex);
  t.equal(empty.count, 0);
  const one = summarizeBlock(randomBlock(1, BANK_SHAPE, 2), numFeatures, numericIndex);
  const merged = mergeSummaries(empty, one);
  t.same(merged, one);
  const fin = finishSummary(merged);
  t.ok([...fin.std].every((v) => v === 0));
  t.throws(() => summarizeBlock(randomBlock(2, BANK_SHAPE, 1), numFeatures, [1]), { code: 'E_INTERNAL' });
});
