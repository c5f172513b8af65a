/**
 * Kindling's optimisers, transcribed from breeze so Spark MLlib's logistic-regression runs can
 * be reproduced iteration by iteration: L-BFGS (strong Wolfe line search) for smooth
 * objectives and OWL-QN for objectives with an L1 term. Used by the logistic-regression
 * trainer; both take an async objective, so one evaluation may be a distributed job.
 *
 * @example
 * const r = await minimizeLbfgs(async (x) => ({ value: x[0]! ** 2, gradient: Float64Array.of(2 * x[0]!) }),
 *   Float64Array.of(3), { maxIter: 100, tol: 1e-9 });
 */
export { minimizeLbfgs, type LbfgsOptions } from './lbfgs.js';
export { minimizeOwlqn, type OwlqnOptions } from './owlqn.js';
export type { ConvergenceReason, DiffFunction, FirstOrderOptions, IterationReport, LbfgsResult } from './first-order-minimizer.js';
export { strongWolfeLineSearch, interpolateCubic, type Bracket, type LineFunction } from './strong-wolfe-line-search.js';
export { backtrackingLineSearch, type BacktrackingOptions } from './backtracking-line-search.js';
export { ApproximateInverseHessian } from './approximate-inverse-hessian.js';
