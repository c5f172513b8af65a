import t from 'tap';
import { FirstOrderFailure } from '../../src/optimizer/first-order-failure.js';
import { interpolateCubic, strongWolfeLineSearch, type LineFunction } from '../../src/optimizer/strong-wolfe-line-search.js';

/** Wraps φ so the test sees every trial step, in order. */
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

t.test('strong-wolfe-line-search: cubic interpolation is exact on a cubic', async (t) => {
  // p(t) = t³ + 0.9t² − 1.2t has p'(t) = 3(t − 0.4)(t + 1): local minimum at 0.4.
  const p = (s: number): number => s ** 3 + 0.9 * s ** 2 - 1.2 * s;
  const dp = (s: number): number => 3 * s ** 2 + 1.8 * s - 1.2;
  const got = interpolateCubic({ t: 0, fval: p(0), dd: dp(0) }, { t: 1, fval: p(1), dd: dp(1) });
  t.ok(Math.abs(got - 0.4) < 1e-14, `minimiser 0.4, got ${got}`);
});

t.test('strong-wolfe-line-search: interpolation is clamped to 10–90 % of the bracket', async (t) => {
  // q(t) = (t − 0.02)² on [0, 1]: the minimiser 0.02 lies below the 10 % bound.
  const q = (s: number): number => (s - 0.02) ** 2;
  const dq = (s: number): number => 2 * (s - 0.02);
  t.equal(interpolateCubic({ t: 0, fval: q(0), dd: dq(0) }, { t: 1, fval: q(1), dd: dq(1) }), 0.1);
  // r(t) = (t − 1.98)² on [1, 2]: the minimiser 1.98 lies above the 90 % bound.
  const r = (s: number): number => (s - 1.98) ** 2;
  const dr = (s: number): number => 2 * (s - 1.98);
  t.equal(interpolateCubic({ t: 1, fval: r(1), dd: dr(1) }, { t: 2, fval: r(2), dd: dr(2) }), 1 + 0.9 * (2 - 1));
});

t.test('strong-wolfe-line-search: accepts the first trial when both Wolfe conditions hold', async (t) => {
  const { fn, trials } = recorded((s) => ({ value: (s - 1) ** 2 - 1, derivative: 2 * (s - 1) }));
  t.equal(await strongWolfeLineSearch(fn, 0.9), 0.9);
  t.same(trials, [0, 0.9]);
});

t.test('strong-wolfe-line-search: grows the step ×1.5 while the slope stays steep', async (t) => {
  // φ(t) = (t − 10)² − 100: φ'(0) = −20, the curvature test needs |φ'| ≤ 18, i.e. t ≥ 1.
  const { fn, trials } = recorded((s) => ({ value: (s - 10) ** 2 - 100, derivative: 2 * (s - 10) }));
  t.equal(await strongWolfeLineSearch(fn, 0.5), 1.125);
  t.same(trials, [0, 0.5, 0.75, 1.125]);
});

t.test('strong-wolfe-line-search: zooms with cubic interpolation after overshooting', async (t) => {
  // φ(t) = (t − 1)² − 1 from t = 3: sufficient decrease fails, the cubic through (0, 3) is exact.
  const { fn, trials } = recorded((s) => ({ value: (s - 1) ** 2 - 1, derivative: 2 * (s - 1) }));
  t.equal(await strongWolfeLineSearch(fn, 3), 1);
  t.same(trials, [0, 3, 1]);
});

t.test('strong-wolfe-line-search: halves the step on NaN or infinite values', async (t) => {
  const { fn, trials } = recorded((s) =>
    s > 1
      ? { value: s > 3 ? Number.NaN : Number.POSITIVE_INFINITY, derivative: 0 }
      : { value: (s - 0.8) ** 2 - 0.64, derivative: 2 * (s - 0.8) },
  );
  t.equal(await strongWolfeLineSearch(fn, 4), 1);
  t.same(trials, [0, 4, 2, 1]);
});

t.test('strong-wolfe-line-search: fails on an ascent direction and after 10 growing trials', async (t) => {
  await t.rejects(
    strongWolfeLineSearch(async (s) => ({ value: s, derivative: 1 }), 1),
    FirstOrderFailure,
  );
  const { fn, trials } = recorded((s) => ({ value: -s, derivative: -1 }));
  const err = await strongWolfeLineSearch(fn, 1).catch((e: unknown) => e);
  t.ok(err instanceof FirstOrderFailure && err.kind === 'line-search-failed', 'line-search-failed');
  t.equal(trials.length, 11, 'φ(0) plus 10 trials');
  t.equal(trials[10], 1.5 ** 9);
});

t.test('strong-wolfe-line-search: gives up after 10 zoom steps', async (t) => {
  // Every trial away from 0 is worse than φ(0) although φ'(0) < 0 (an inconsistent gradient).
  const { fn, trials } = recorded((s) => (s === 0 ? { value: 0, derivative: -1 } : { value: 1 + s, derivative: -1 }));
  const err = await strongWolfeLineSearch(fn, 1).catch((e: unknown) => e);
  t.ok(err instanceof FirstOrderFailure && err.kind === 'line-search-zoom-failed', 'line-search-zoom-failed');
  t.equal(trials.length, 12, 'φ(0), the first trial, 10 zoom trials');
});
