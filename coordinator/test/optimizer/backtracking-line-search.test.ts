import t from 'tap';
import { backtrackingLineSearch } from '../../src/optimizer/backtracking-line-search.js';
import { FirstOrderFailure } from '../../src/optimizer/first-order-failure.js';
import type { LineFunction } from '../../src/optimizer/strong-wolfe-line-search.js';

function recorded(phi: (t: number) => { value: number; derivative: number }): { fn: LineFunction; trials: number[] } {
  const trials: number[] = [];
  return {
    trials,
    fn: async (s) => {
      trials.push(s);
      return phi(s);
    },
  };
}

t.test('backtracking-line-search: judges the first trial by initfval, not by its own value (breeze #697)', async (t) => {
  // φ(init) is terrible, but breeze only uses its derivative; initfval passes the Armijo test.
  const { fn, trials } = recorded((s) => (s === 0 ? { value: 0, derivative: -1 } : { value: 100, derivative: -0.5 }));
  t.equal(await backtrackingLineSearch(fn, 2, { initfval: -1 }), 2);
  t.same(trials, [0, 2]);
});

t.test('backtracking-line-search: shrinks by shrinkStep until the Armijo condition holds', async (t) => {
  // φ(t) = (t − 1)²: from init 8 with shrink 0.5 → 4 → 2 → 1 (exact minimum, slope 0).
  const { fn, trials } = recorded((s) => ({ value: (s - 1) ** 2, derivative: 2 * (s - 1) }));
  t.equal(await backtrackingLineSearch(fn, 8, { initfval: 49, shrinkStep: 0.5 }), 1);
  t.same(trials, [0, 8, 4, 2, 1]);
});

t.test('backtracking-line-search: grows by 2.1 while the slope is too steep', async (t) => {
  const { fn, trials } = recorded((s) => ({ value: (s - 10) ** 2, derivative: 2 * (s - 10) }));
  // init 1: slope −18 < 0.9·(−20) is false → accepted? −18 < −18 is false: accept immediately.
  t.equal(await backtrackingLineSearch(fn, 1, { initfval: 81 }), 1);
  t.same(trials, [0, 1]);
  const second = recorded((s) => ({ value: (s - 10) ** 2, derivative: 2 * (s - 10) }));
  t.equal(await backtrackingLineSearch(second.fn, 0.5, { initfval: 90.25 }), 0.5 * 2.1);
  t.same(second.trials, [0, 0.5, 1.05]);
});

t.test('backtracking-line-search: reports underflow below minAlpha', async (t) => {
  const err = await backtrackingLineSearch(async (s) => (s === 0 ? { value: 0, derivative: -1 } : { value: 1, derivative: 1 }), 1e-9, {
    initfval: 1,
    shrinkStep: 0.05,
  }).catch((e: unknown) => e);
  t.ok(err instanceof FirstOrderFailure && err.kind === 'step-size-underflow', 'step-size-underflow');
});

t.test('backtracking-line-search: after 20 changes returns the previous trial without failing', async (t) => {
  // Never acceptable: always worse than φ(0).
  const { fn, trials } = recorded((s) => (s === 0 ? { value: 0, derivative: -1 } : { value: 1, derivative: -1 }));
  const alpha = await backtrackingLineSearch(fn, 1, { initfval: 1, shrinkStep: 0.5 });
  t.equal(trials.length, 22, 'φ(0), φ(init), 20 changes');
  t.equal(alpha, 0.5 ** 19, 'the 19th change is the last kept state');
});
