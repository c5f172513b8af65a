/**
 * OWL-QN (Andrew & Gao 2007) for objectives with a per-coordinate L1 term, as breeze's
 * OWLQN[Int, DenseVector] runs it for Spark's elastic-net logistic regression: pseudo-gradient,
 * direction zeroed where it disagrees with the pseudo-gradient's descent orthant, backtracking
 * line search (shrink 0.1 at iteration 0, 0.5 later; first step 0.5/‖g‖, then 1), every trial
 * point projected back onto the orthant. The smooth part f is supplied by the caller; the L1
 * term Σ l1_i·|x_i| is added here (it is in the reported values, never in f).
 */
import { KindlingError } from '@kindling/shared/compute';
import { backtrackingLineSearch } from './backtracking-line-search.js';
import { dot, norm2 } from './dense-vector.js';
import {
  runFirstOrderMinimizer,
  type CachedDiffFunction,
  type DiffFunction,
  type FirstOrderOptions,
  type FirstOrderStrategy,
  type LbfgsResult,
  type MinimizerState,
} from './first-order-minimizer.js';

/** Options of minimizeOwlqn. */
export interface OwlqnOptions extends FirstOrderOptions {
  /** L1 strength per coordinate (≥ 0; 0 leaves the coordinate unpenalised, e.g. the intercept). */
  l1: Float64Array | ((index: number) => number);
}

/** Orthant a step may not leave: sign(x_i), or sign(−pseudo-gradient_i) where x_i = 0. */
function computeOrthant(x: Float64Array, adjustedGradient: Float64Array): Float64Array {
  const orth = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    orth[i] = v !== 0 ? Math.sign(v) : Math.sign(-adjustedGradient[i]!);
  }
  return orth;
}

function createOwlqnStrategy(l1At: (index: number) => number): FirstOrderStrategy {
  const takeStep = (state: MinimizerState, dir: Float64Array, stepSize: number): Float64Array => {
    const orthant = computeOrthant(state.x, state.adjustedGradient);
    const out = new Float64Array(state.x.length);
    for (let i = 0; i < out.length; i++) {
      const v = state.x[i]! + dir[i]! * stepSize;
      out[i] = v * (Math.sign(v) === Math.sign(orthant[i]!) ? 1.0 : 0.0);
    }
    return out;
  };

  // Pseudo-gradient and value with the L1 term (breeze OWLQN.adjust, per-index strengths).
  const adjust = (x: Float64Array, grad: Float64Array, value: number): { value: number; gradient: Float64Array } => {
    let adjValue = value;
    const res = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const l1 = l1At(i);
      const xv = x[i]!;
      const v = grad[i]!;
      if (l1 === 0.0) {
        res[i] = v;
        continue;
      }
      adjValue += Math.abs(l1 * xv);
      if (xv === 0) {
        const deltaPlus = v + l1;
        const deltaMinus = v - l1;
        res[i] = deltaMinus > 0 ? deltaMinus : deltaPlus < 0 ? deltaPlus : 0.0;
      } else {
        res[i] = v + Math.sign(xv) * l1;
      }
    }
    return { value: adjValue, gradient: res };
  };

  const chooseDescentDirection = (state: MinimizerState): Float64Array => {
    const descentDir = state.history.descentDirection(state.adjustedGradient);
    for (let i = 0; i < descentDir.length; i++) {
      const d = descentDir[i]!;
      descentDir[i] = d * state.adjustedGradient[i]! < 0 ? d : 0.0;
    }
    return descentDir;
  };

  const determineStepSize = async (state: MinimizerState, f: CachedDiffFunction, dir: Float64Array): Promise<number> => {
    const iter = state.iter;
    const phi = async (alpha: number): Promise<{ value: number; derivative: number }> => {
      const newX = takeStep(state, dir, alpha);
      const { value, gradient } = await f.calculate(newX);
      const adj = adjust(newX, gradient, value);
      // breeze uses dir rather than (newX − x) here, as the MSR reference implementation does.
      return { value: adj.value, derivative: dot(adj.gradient, dir) };
    };
    return backtrackingLineSearch(phi, iter < 1 ? 0.5 / norm2(state.grad) : 1.0, {
      initfval: state.value,
      shrinkStep: iter < 1 ? 0.1 : 0.5,
    });
  };

  return { chooseDescentDirection, determineStepSize, takeStep, adjust };
}

/**
 * Minimises f(x) + Σ l1_i·|x_i| from x0 with breeze's OWL-QN. Same stopping rules as
 * minimizeLbfgs, applied to the value with the L1 term and to the pseudo-gradient; the
 * L-BFGS memory is built from the smooth gradients.
 */
export async function minimizeOwlqn(f: DiffFunction, x0: Float64Array, opts: OwlqnOptions): Promise<LbfgsResult> {
  const { l1 } = opts;
  if (typeof l1 !== 'function' && l1.length !== x0.length) {
    throw new KindlingError('E_INVALID_VALUE', `OWL-QN needs one L1 strength per coordinate: got ${l1.length} for ${x0.length}`, {
      expected: x0.length,
      got: l1.length,
    });
  }
  const l1At = typeof l1 === 'function' ? l1 : (i: number): number => l1[i] ?? 0;
  for (let i = 0; i < x0.length; i++) {
    const v = l1At(i);
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new KindlingError('E_INVALID_VALUE', `OWL-QN L1 strength at index ${i} must be finite and >= 0, got ${v}`, { index: i, l1: v });
    }
  }
  return runFirstOrderMinimizer(createOwlqnStrategy(l1At), f, x0, opts);
}
