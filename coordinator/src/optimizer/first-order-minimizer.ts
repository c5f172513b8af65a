/**
 * The iteration loop shared by L-BFGS and OWL-QN, a transcription of breeze's
 * FirstOrderMinimizer (infiniteIterations + defaultConvergenceCheck) and CachedDiffFunction.
 * minimizeLbfgs and minimizeOwlqn plug their direction, step, projection and
 * regularisation rules into runFirstOrderMinimizer. It exists so both optimisers share the
 * exact failure, caching and stopping rules Spark's objective history depends on.
 * Pure: no I/O; the objective may be a distributed gradient pass.
 */
import { KindlingError } from '@kindling/shared/compute';
import { ApproximateInverseHessian } from './approximate-inverse-hessian.js';
import { norm2, subtract } from './dense-vector.js';
import { FirstOrderFailure } from './first-order-failure.js';

/** A differentiable objective: value and gradient at a point. Must not mutate `x`. */
export type DiffFunction = (x: Float64Array) => Promise<{ value: number; gradient: Float64Array }>;

/** Why a minimisation stopped (breeze's ConvergenceReason, first match in breeze's order). */
export type ConvergenceReason = 'max-iterations' | 'function-values-converged' | 'gradient-converged' | 'search-failed';

/** Progress report after each successful iteration. */
export interface IterationReport {
  /** Iterations completed so far (1 after the first). */
  iteration: number;
  /** Objective value at the new point (with the L1 term for OWL-QN). */
  value: number;
  /** Euclidean norm of the (pseudo-)gradient at the new point. */
  gradNorm: number;
  /** The step size the line search accepted for this iteration. */
  stepSize: number;
  /**
   * Objective calls (cache hits not counted) since the previous report: this iteration's line
   * search, plus those of any failed attempt before it. Summed over all reports and the start
   * point's one call, they equal LbfgsResult.evaluations.
   */
  evaluations: number;
}

/** Outcome of a minimisation. */
export interface LbfgsResult {
  x: Float64Array;
  /** Objective at `x` (adjusted value: includes the L1 term for OWL-QN). */
  value: number;
  /** Gradient at `x` (the pseudo-gradient for OWL-QN). */
  gradient: Float64Array;
  /** Successful iterations (breeze's `state.iter`). */
  iterations: number;
  /**
   * One value per state the optimiser produced, as Spark collects it: the start value, then
   * one per iteration. A line-search failure also produces a state (same point), so each
   * failure repeats the current value; without failures the length is iterations + 1.
   */
  objectiveHistory: number[];
  /** Calls of the objective (cache hits not counted). */
  evaluations: number;
  reason: ConvergenceReason;
}

/** Options common to L-BFGS and OWL-QN. */
export interface FirstOrderOptions {
  /** Iteration limit (breeze: a negative value means none). */
  maxIter: number;
  /** History size; default 10 (Spark). */
  m?: number;
  /** Relative tolerance for the function-value and gradient tests. */
  tol: number;
  onIteration?: (it: IterationReport) => void;
}

/** One state of the iteration (breeze's FirstOrderMinimizer.State). */
export interface MinimizerState {
  readonly x: Float64Array;
  readonly value: number;
  readonly grad: Float64Array;
  readonly adjustedValue: number;
  readonly adjustedGradient: Float64Array;
  readonly iter: number;
  readonly initialAdjVal: number;
  readonly history: ApproximateInverseHessian;
  /** Function-value window of the convergence test (starts as [+∞], keeps the last 20). */
  readonly fvalWindow: readonly number[];
  readonly searchFailed: boolean;
}

/** The rules a concrete optimiser supplies (breeze's abstract methods). */
export interface FirstOrderStrategy {
  chooseDescentDirection(state: MinimizerState): Float64Array;
  determineStepSize(state: MinimizerState, f: CachedDiffFunction, dir: Float64Array): Promise<number>;
  takeStep(state: MinimizerState, dir: Float64Array, stepSize: number): Float64Array;
  /** Adds regularisation handled by the optimiser itself (identity for L-BFGS). */
  adjust(x: Float64Array, grad: Float64Array, value: number): { value: number; gradient: Float64Array };
}

/** Length of the function-value window (breeze defaultConvergenceCheck fvalMemory). */
const FVAL_MEMORY = 20;

/**
 * Remembers the last evaluated point and its result, so a line search's accepted trial point
 * (always the last one evaluated) and the φ(0) probe are not recomputed (breeze
 * CachedDiffFunction: equality is element-wise `==`, so −0 equals 0 and NaN never hits).
 */
export class CachedDiffFunction {
  private lastX: Float64Array | undefined;
  private lastResult: { value: number; gradient: Float64Array } | undefined;
  /** Calls of the wrapped function. */
  evaluations = 0;

  constructor(private readonly f: DiffFunction) {}

  /** Value and gradient at x, from the cache when x equals the last point. */
  async calculate(x: Float64Array): Promise<{ value: number; gradient: Float64Array }> {
    if (this.lastResult === undefined || this.lastX === undefined || !sameElements(x, this.lastX)) {
      const result = await this.f(x);
      this.evaluations++;
      if (result.gradient.length !== x.length) {
        throw new KindlingError(
          'E_INTERNAL',
          `objective returned a gradient of length ${result.gradient.length} at a point of dimension ${x.length}`,
          {
            gradientLength: result.gradient.length,
            dimension: x.length,
          },
        );
      }
      this.lastX = Float64Array.from(x);
      this.lastResult = result;
    }
    return this.lastResult;
  }
}

function sameElements(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Scala's `max` over doubles: reduceLeft keeping x when x >= y (so NaN propagates like breeze). */
function windowMax(values: readonly number[]): number {
  let m = values[0]!;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    m = m >= v ? m : v;
  }
  return m;
}

/** breeze defaultConvergenceCheck: maxIterations || functionValuesConverged || gradientConverged || searchFailed. */
function convergenceReason(state: MinimizerState, maxIter: number, tol: number): ConvergenceReason | undefined {
  if (state.iter >= maxIter && maxIter >= 0) return 'max-iterations';
  const w = state.fvalWindow;
  if (w.length >= 2 && Math.abs(state.adjustedValue - windowMax(w)) <= tol * Math.abs(state.initialAdjVal)) {
    return 'function-values-converged';
  }
  if (norm2(state.adjustedGradient) <= Math.max(tol * Math.abs(state.adjustedValue), 1e-8)) return 'gradient-converged';
  if (state.searchFailed) return 'search-failed';
  return undefined;
}

/**
 * Runs breeze's FirstOrderMinimizer.iterations to its end and collects what Spark collects:
 * every produced state's adjusted value, in order.
 */
export async function runFirstOrderMinimizer(
  strategy: FirstOrderStrategy,
  f: DiffFunction,
  x0: Float64Array,
  opts: FirstOrderOptions,
): Promise<LbfgsResult> {
  const m = opts.m ?? 10;
  if (!Number.isInteger(m) || m <= 0) {
    throw new KindlingError('E_INVALID_VALUE', `optimizer history size m must be a positive integer, got ${m}`, { m });
  }
  if (!Number.isInteger(opts.maxIter)) {
    throw new KindlingError('E_INVALID_VALUE', `optimizer maxIter must be an integer, got ${opts.maxIter}`, { maxIter: opts.maxIter });
  }
  if (!(opts.tol >= 0)) {
    throw new KindlingError('E_INVALID_VALUE', `optimizer tol must be >= 0, got ${opts.tol}`, { tol: opts.tol });
  }
  const cached = new CachedDiffFunction(f);
  const x = Float64Array.from(x0);
  const first = await cached.calculate(x);
  const adj0 = strategy.adjust(x, first.gradient, first.value);
  let state: MinimizerState = {
    x,
    value: first.value,
    grad: first.gradient,
    adjustedValue: adj0.value,
    adjustedGradient: adj0.gradient,
    iter: 0,
    initialAdjVal: adj0.value,
    history: new ApproximateInverseHessian(m),
    fvalWindow: [Number.POSITIVE_INFINITY],
    searchFailed: false,
  };
  const objectiveHistory = [state.adjustedValue];
  let failedOnce = false;
  let reason = convergenceReason(state, opts.maxIter, opts.tol);
  // Reporting only: counts read from the cache, never fed back into the iteration.
  let evaluationsReported = cached.evaluations;

  while (reason === undefined) {
    try {
      const dir = strategy.chooseDescentDirection(state);
      const stepSize = await strategy.determineStepSize(state, cached, dir);
      const newX = strategy.takeStep(state, dir, stepSize);
      const { value, gradient } = await cached.calculate(newX);
      const adj = strategy.adjust(newX, gradient, value);
      const history = state.history.updated(subtract(newX, state.x), subtract(gradient, state.grad));
      const fvalWindow = [...state.fvalWindow, adj.value].slice(-FVAL_MEMORY);
      failedOnce = false;
      state = {
        x: newX,
        value,
        grad: gradient,
        adjustedValue: adj.value,
        adjustedGradient: adj.gradient,
        iter: state.iter + 1,
        initialAdjVal: state.initialAdjVal,
        history,
        fvalWindow,
        searchFailed: false,
      };
      if (opts.onIteration) {
        const evaluations = cached.evaluations - evaluationsReported;
        evaluationsReported = cached.evaluations;
        opts.onIteration({
          iteration: state.iter,
          value: state.adjustedValue,
          gradNorm: norm2(state.adjustedGradient),
          stepSize,
          evaluations,
        });
      }
    } catch (err) {
      if (!(err instanceof FirstOrderFailure)) throw err;
      if (!failedOnce) {
        // breeze: "Failure! Resetting history" — the same point is produced again as a state.
        failedOnce = true;
        state = { ...state, history: new ApproximateInverseHessian(m) };
      } else {
        state = { ...state, searchFailed: true };
      }
    }
    objectiveHistory.push(state.adjustedValue);
    reason = convergenceReason(state, opts.maxIter, opts.tol);
  }

  return {
    x: state.x,
    value: state.adjustedValue,
    gradient: state.adjustedGradient,
    iterations: state.iter,
    objectiveHistory,
    evaluations: cached.evaluations,
    reason,
  };
}
