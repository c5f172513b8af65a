import t from 'tap';
import { ApproximateInverseHessian } from '../../src/optimizer/approximate-inverse-hessian.js';
import { FirstOrderFailure } from '../../src/optimizer/first-order-failure.js';
import { minimizeLbfgs, type DiffFunction } from '../../src/optimizer/lbfgs.js';

/** Seeded PRNG (mulberry32), so every run sees the same problems. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Solves A x = b by Gaussian elimination with partial pivoting (independent reference). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

function randomSpd(n: number, rand: () => number): number[][] {
  const m = Array.from({ length: n }, () => Array.from({ length: n }, () => rand() * 2 - 1));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => m.reduce((s, row) => s + row[i]! * row[j]!, 0) + (i === j ? 0.5 : 0)),
  );
}

/** ½ xᵀAx − bᵀx. */
function quadratic(a: number[][], b: number[]): DiffFunction {
  return async (x) => {
    const g = new Float64Array(x.length);
    let v = 0;
    for (let i = 0; i < x.length; i++) {
      let ax = 0;
      for (let j = 0; j < x.length; j++) ax += a[i]![j]! * x[j]!;
      g[i] = ax - b[i]!;
      v += 0.5 * x[i]! * ax - b[i]! * x[i]!;
    }
    return { value: v, gradient: g };
  };
}

const rosenbrock: DiffFunction = async (x) => {
  const [a, b] = [x[0]!, x[1]!];
  return {
    value: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
    gradient: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)),
  };
};

t.test('lbfgs: minimises a convex quadratic to the solution of A x = b', async (t) => {
  const rand = prng(7);
  const a = randomSpd(6, rand);
  const b = Array.from({ length: 6 }, () => rand() * 4 - 2);
  const expected = solve(a, b);
  const r = await minimizeLbfgs(quadratic(a, b), new Float64Array(6), { maxIter: 200, tol: 1e-12 });
  // Near ‖g‖ = 1e-8 the value no longer changes in double precision, so breeze may end with two
  // failed searches instead of the gradient test; either way the point is the minimiser.
  t.ok(r.reason === 'gradient-converged' || r.reason === 'search-failed', r.reason);
  t.ok(r.iterations < 50, `${r.iterations} iterations`);
  for (let i = 0; i < 6; i++) t.ok(Math.abs(r.x[i]! - expected[i]!) < 1e-7, `x[${i}] = ${r.x[i]} vs ${expected[i]}`);
  for (let k = 1; k < r.objectiveHistory.length; k++) t.ok(r.objectiveHistory[k]! <= r.objectiveHistory[k - 1]!, `value decreases at ${k}`);
});

t.test('lbfgs: finds the Rosenbrock minimum at (1, 1)', async (t) => {
  const r = await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 500, tol: 1e-12 });
  t.ok(Math.abs(r.x[0]! - 1) < 1e-6 && Math.abs(r.x[1]! - 1) < 1e-6, `x = ${r.x}`);
  t.not(r.reason, 'max-iterations');
  t.equal(r.objectiveHistory.length, r.iterations + 1);
  t.ok(Math.abs(r.objectiveHistory[0]! - 24.2) < 1e-12, 'starts at f(x0)');
});

t.test('lbfgs: stops at exactly maxIter when not converged', async (t) => {
  const r = await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 10, tol: 1e-12 });
  t.equal(r.reason, 'max-iterations');
  t.equal(r.iterations, 10);
  t.equal(r.objectiveHistory.length, 11);
  t.ok(r.evaluations >= 11, 'at least one evaluation per iteration plus the start');
  const seen: number[] = [];
  await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 3, tol: 1e-12, onIteration: (it) => seen.push(it.iteration) });
  t.same(seen, [1, 2, 3]);
  const none = await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 0, tol: 1e-12 });
  t.same([none.iterations, none.evaluations, none.objectiveHistory.length, none.reason], [0, 1, 1, 'max-iterations']);
});

t.test('lbfgs: first trial step is 1/‖d‖ and the accepted point is not evaluated again', async (t) => {
  // f(x) = (x − 3)² from 0: d = 6, first trial x = 1 (Wolfe holds), then the secant step lands on 3.
  const points: number[] = [];
  const r = await minimizeLbfgs(
    async (x) => {
      points.push(x[0]!);
      return { value: (x[0]! - 3) ** 2, gradient: Float64Array.of(2 * (x[0]! - 3)) };
    },
    Float64Array.of(0),
    { maxIter: 100, tol: 1e-9 },
  );
  t.same(points, [0, 1, 3]);
  t.same(r.objectiveHistory, [9, 4, 0]);
  t.same([r.iterations, r.evaluations, r.reason], [2, 3, 'gradient-converged']);
});

t.test('lbfgs: the function-value test compares with the max of the last 20 values', async (t) => {
  // Ill-conditioned quadratic with minimum value 0: the gradient test cannot fire first.
  const n = 30;
  const lambda = Array.from({ length: n }, (_, i) => 10 ** ((4 * i) / (n - 1)));
  const f: DiffFunction = async (x) => {
    let v = 0;
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      v += 0.5 * lambda[i]! * (x[i]! - 1) ** 2;
      g[i] = lambda[i]! * (x[i]! - 1);
    }
    return { value: v, gradient: g };
  };
  const tol = 1e-3;
  const r = await minimizeLbfgs(f, new Float64Array(n), { maxIter: 1000, tol });
  t.equal(r.reason, 'function-values-converged');
  t.ok(r.iterations >= 20, `cannot fire before iteration 20 (stopped at ${r.iterations})`);
  const h = r.objectiveHistory;
  t.equal(h.length, r.iterations + 1);
  const holds = (k: number): boolean => Math.abs(h[k]! - Math.max(...h.slice(k - 19, k + 1))) <= tol * Math.abs(h[0]!);
  t.ok(holds(r.iterations), 'holds where it stopped');
  for (let k = 20; k < r.iterations; k++) t.notOk(holds(k), `does not hold at ${k}`);
});

t.test('lbfgs: a failed line search resets the history; a second failure in a row stops', async (t) => {
  // Gradient with the wrong sign: every search along −g goes uphill and the zoom gives up.
  let calls = 0;
  const r = await minimizeLbfgs(
    async (x) => {
      calls++;
      return { value: x[0]! * x[0]!, gradient: Float64Array.of(-2 * x[0]!) };
    },
    Float64Array.of(1),
    { maxIter: 100, tol: 1e-9 },
  );
  t.equal(r.reason, 'search-failed');
  t.equal(r.iterations, 0);
  t.same(r.objectiveHistory, [1, 1, 1], 'Spark records the start, the reset state and the failed state');
  t.same(Array.from(r.x), [1]);
  // Start 1; first search: φ(0) cached, 1 trial + 10 zoom steps; second: φ(0) re-evaluated (the cache
  // holds the last zoom trial), 1 + 10.
  t.equal(r.evaluations, 24);
  t.equal(calls, 24);
});

t.test('lbfgs: two-loop recursion uses the newest pair for the secant condition and keeps m pairs', async (t) => {
  const rand = prng(11);
  const a = randomSpd(4, rand);
  const mul = (v: Float64Array): Float64Array => Float64Array.from(a.map((row) => row.reduce((s, aij, j) => s + aij * v[j]!, 0)));
  let h = new ApproximateInverseHessian(3);
  for (let k = 0; k < 5; k++) {
    const s = Float64Array.from({ length: 4 }, () => rand() * 2 - 1);
    h = h.updated(s, mul(s));
    // H·y_newest = s_newest, so the direction for g = y_newest is −s_newest.
    const dir = h.descentDirection(mul(s));
    for (let i = 0; i < 4; i++) t.ok(Math.abs(dir[i]! + s[i]!) < 1e-10, `pair ${k}, component ${i}`);
  }
  t.equal(h.historyLength, 3);
  const bad = new ApproximateInverseHessian(3).updated(Float64Array.of(1, 0), Float64Array.of(-1, 0));
  t.throws(() => bad.descentDirection(Float64Array.of(1, 1)), FirstOrderFailure);
  t.same(Array.from(new ApproximateInverseHessian(3).descentDirection(Float64Array.of(2, -3))), [-2, 3], 'empty history: −g');
});
