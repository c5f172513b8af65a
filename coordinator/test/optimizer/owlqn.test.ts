import t from 'tap';
import type { DiffFunction } from '../../src/optimizer/lbfgs.js';
import { minimizeOwlqn } from '../../src/optimizer/owlqn.js';

// f(x) = ½ Σ a_i (x_i − c_i)²; with L1 strengths l_i the minimiser is the soft threshold
// x_i = sign(c_i)·max(|c_i| − l_i/a_i, 0).
const a = [1, 2, 0.5, 4, 1.5, 3];
const c = [2, -0.3, 1, -2, 0.1, 0.4];
const l1 = Float64Array.of(0.5, 1, 0.2, 1, 0.5, 0);
const separable: DiffFunction = async (x) => {
  let v = 0;
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    v += 0.5 * a[i]! * (x[i]! - c[i]!) ** 2;
    g[i] = a[i]! * (x[i]! - c[i]!);
  }
  return { value: v, gradient: g };
};
const expected = c.map((ci, i) => Math.sign(ci) * Math.max(Math.abs(ci) - l1[i]! / a[i]!, 0));

t.test('owlqn: reaches the soft-threshold solution with exact zeros', async (t) => {
  const r = await minimizeOwlqn(separable, new Float64Array(6), { maxIter: 200, tol: 1e-12, l1 });
  t.not(r.reason, 'max-iterations');
  for (let i = 0; i < 6; i++) {
    if (expected[i] === 0) t.equal(r.x[i], 0, `x[${i}] is exactly 0`);
    else t.ok(Math.abs(r.x[i]! - expected[i]!) < 1e-7, `x[${i}] = ${r.x[i]} vs ${expected[i]}`);
  }
  t.ok(expected.filter((v) => v === 0).length >= 2, 'the problem has zeros to find');
});

t.test('owlqn: reported values include the L1 term and index strengths may be a function', async (t) => {
  const x0 = Float64Array.of(1, 1, 1, 1, 1, 1);
  const r = await minimizeOwlqn(separable, x0, { maxIter: 1, tol: 1e-12, l1: (i) => l1[i]! });
  const smooth = (await separable(x0)).value;
  t.equal(
    r.objectiveHistory[0],
    l1.reduce((s, v) => s + v, smooth),
    'f(x0) + Σ l1_i·|x0_i|',
  );
  t.equal(r.objectiveHistory.length, 2);
  t.equal(r.reason, 'max-iterations');
  t.ok(r.objectiveHistory[1]! < r.objectiveHistory[0]!, 'the first step decreases the objective');
});

t.test('owlqn: with zero strengths behaves as a smooth minimiser', async (t) => {
  // ‖g‖ ≤ 1e-8 is the gradient test's floor: with a_2 = 0.5 that leaves up to 2e-8 in x_2.
  const r = await minimizeOwlqn(separable, new Float64Array(6), { maxIter: 200, tol: 1e-12, l1: new Float64Array(6) });
  for (let i = 0; i < 6; i++) t.ok(Math.abs(r.x[i]! - c[i]!) < 1e-7, `x[${i}]`);
});

t.test('owlqn: rejects negative or mis-sized strengths', async (t) => {
  await t.rejects(minimizeOwlqn(separable, new Float64Array(6), { maxIter: 5, tol: 1e-6, l1: new Float64Array(5) }), {
    code: 'E_INVALID_VALUE',
  });
  await t.rejects(minimizeOwlqn(separable, new Float64Array(6), { maxIter: 5, tol: 1e-6, l1: () => -1 }), { code: 'E_INVALID_VALUE' });
});
