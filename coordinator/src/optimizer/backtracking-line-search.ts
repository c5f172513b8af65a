/**
 * Backtracking line search as breeze's BacktrackingLineSearch implements it (the one OWL-QN
 * uses), quirks included: the first trial's value is the caller-supplied `initfval` (OWL-QN
 * passes the current smooth value, not φ(init); breeze issue #697), the search returns the
 * last trial that did not stop it, and after 20 changes it gives up silently with the
 * previous trial. minimizeOwlqn calls it once per iteration.
 */
import { FirstOrderFailure } from './first-order-failure.js';
import type { LineFunction } from './strong-wolfe-line-search.js';

/** breeze's constructor parameters (defaults as breeze has them). */
export interface BacktrackingOptions {
  /** Value assumed at the first trial (breeze's `initfval`). */
  initfval: number;
  maxIterations?: number;
  shrinkStep?: number;
  growStep?: number;
  cArmijo?: number;
  cWolfe?: number;
  minAlpha?: number;
  maxAlpha?: number;
  enforceWolfeConditions?: boolean;
  enforceStrongWolfeConditions?: boolean;
}

/**
 * Returns the chosen step. Evaluates φ(0), then φ(init) (only its derivative is used), then
 * one trial per change of step. Throws FirstOrderFailure when the step leaves [minAlpha, maxAlpha].
 */
export async function backtrackingLineSearch(phi: LineFunction, init: number, opts: BacktrackingOptions): Promise<number> {
  const maxIterations = opts.maxIterations ?? 20;
  const shrinkStep = opts.shrinkStep ?? 0.5;
  const growStep = opts.growStep ?? 2.1;
  const cArmijo = opts.cArmijo ?? 1e-4;
  const cWolfe = opts.cWolfe ?? 0.9;
  const minAlpha = opts.minAlpha ?? 1e-10;
  const maxAlpha = opts.maxAlpha ?? 1e10;
  const enforceWolfe = opts.enforceWolfeConditions ?? true;
  const enforceStrongWolfe = opts.enforceStrongWolfeConditions ?? true;

  const { value: f0, derivative: df0 } = await phi(0.0);
  const initfderiv = (await phi(init)).derivative;

  // breeze iterates (state, done, iter) lazily and keeps states while !done && iter < maxIterations;
  // minimize() takes the last kept state's alpha.
  let alpha = init;
  let fval = opts.initfval;
  let fderiv = initfderiv;
  let iter = 0;
  for (;;) {
    let multiplier: number;
    if (fval > f0 + alpha * df0 * cArmijo) multiplier = shrinkStep;
    else if (enforceWolfe && fderiv < cWolfe * df0) multiplier = growStep;
    else if (enforceStrongWolfe && fderiv > -cWolfe * df0) multiplier = shrinkStep;
    else multiplier = 1.0;
    if (multiplier === 1.0) return alpha;

    const newAlpha = alpha * multiplier;
    if (iter >= maxIterations) throw new FirstOrderFailure('line-search-failed', 'backtracking line search failed');
    if (newAlpha < minAlpha) throw new FirstOrderFailure('step-size-underflow', `step size ${newAlpha} below ${minAlpha}`);
    if (newAlpha > maxAlpha) throw new FirstOrderFailure('step-size-overflow', `step size ${newAlpha} above ${maxAlpha}`);
    const next = await phi(newAlpha);
    // The state with iter == maxIterations is evaluated but not kept: the previous one wins.
    if (iter + 1 >= maxIterations) return alpha;
    alpha = newAlpha;
    fval = next.value;
    fderiv = next.derivative;
    iter++;
  }
}
