/**
 * L-BFGS exactly as Spark MLlib runs it: breeze's LBFGS(maxIter, m = 10, tol) with the
 * strong Wolfe line search, the first trial step 1/‖d‖ at iteration 0 and 1 afterwards, and
 * the step-size underflow test α·‖g‖ < 1e-10. The logistic-regression trainer calls it with a
 * function that runs one distributed gradient pass per evaluation; this module knows nothing
 * about jobs. See first-order-minimizer.ts for the loop, caching and stopping rules.
 */
import { norm2, stepAlong, dot } from './dense-vector.js';
import { FirstOrderFailure } from './first-order-failure.js';
import {
  runFirstOrderMinimizer,
  type CachedDiffFunction,
  type DiffFunction,
  type FirstOrderOptions,
  type FirstOrderStrategy,
  type LbfgsResult,
  type MinimizerState,
} from './first-order-minimizer.js';
import { strongWolfeLineSearch } from './strong-wolfe-line-search.js';

export type { DiffFunction, LbfgsResult, ConvergenceReason, IterationReport } from './first-order-minimizer.js';

/** Options of minimizeLbfgs. */
export type LbfgsOptions = FirstOrderOptions;

/** breeze LBFGS.determineStepSize: strong Wolfe search along dir from state.x. */
async function lbfgsStepSize(state: MinimizerState, f: CachedDiffFunction, dir: Float64Array): Promise<number> {
  const phi = async (t: number): Promise<{ value: number; derivative: number }> => {
    const { value, gradient } = await f.calculate(stepAlong(state.x, dir, t));
    return { value, derivative: dot(gradient, dir) };
  };
  const alpha = await strongWolfeLineSearch(phi, state.iter === 0 ? 1.0 / norm2(dir) : 1.0);
  if (alpha * norm2(state.grad) < 1e-10) {
    throw new FirstOrderFailure('step-size-underflow', `step size ${alpha} underflows`);
  }
  return alpha;
}

const LBFGS_STRATEGY: FirstOrderStrategy = {
  chooseDescentDirection: (state) => state.history.descentDirection(state.grad),
  determineStepSize: lbfgsStepSize,
  takeStep: (state, dir, stepSize) => stepAlong(state.x, dir, stepSize),
  adjust: (_x, grad, value) => ({ value, gradient: grad }),
};

/**
 * Minimises f from x0 with breeze's L-BFGS. Stops when iterations ≥ maxIter, when
 * |f_k − max(last 20 values)| ≤ tol·|f_0| (window starts with +∞), when
 * ‖g_k‖ ≤ max(tol·|f_k|, 1e-8), or after two line-search failures in a row.
 */
export async function minimizeLbfgs(f: DiffFunction, x0: Float64Array, opts: LbfgsOptions): Promise<LbfgsResult> {
  return runFirstOrderMinimizer(LBFGS_STRATEGY, f, x0, opts);
}
