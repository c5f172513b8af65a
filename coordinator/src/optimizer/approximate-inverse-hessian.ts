/**
 * The L-BFGS memory: the last m (s, y) pairs, newest first, and the two-loop recursion that
 * turns a gradient into the quasi-Newton descent direction −H·g (breeze
 * LBFGS.ApproximateInverseHessian, same arithmetic order). Used by L-BFGS and OWL-QN through
 * runFirstOrderMinimizer; immutable, so a failed iteration can fall back to an empty memory.
 */
import { axpy, dot } from './dense-vector.js';
import { FirstOrderFailure } from './first-order-failure.js';

/** Immutable L-BFGS history of at most `m` pairs, newest first. */
export class ApproximateInverseHessian {
  constructor(
    readonly m: number,
    private readonly memStep: readonly Float64Array[] = [],
    private readonly memGradDelta: readonly Float64Array[] = [],
  ) {}

  /** Number of stored pairs. */
  get historyLength(): number {
    return this.memStep.length;
  }

  /** A new history with (step, gradDelta) in front, the oldest pair dropped past m. */
  updated(step: Float64Array, gradDelta: Float64Array): ApproximateInverseHessian {
    return new ApproximateInverseHessian(
      this.m,
      [step, ...this.memStep].slice(0, this.m),
      [gradDelta, ...this.memGradDelta].slice(0, this.m),
    );
  }

  /**
   * −H·grad by the two-loop recursion, initial scaling s·y / y·y of the newest pair (1 when
   * empty). Throws FirstOrderFailure('nan-history') when s·y < 0 or NaN, or a coefficient is NaN.
   */
  descentDirection(grad: Float64Array): Float64Array {
    const n = this.historyLength;
    let diag = 1.0;
    if (n > 0) {
      const prevStep = this.memStep[0]!;
      const prevGradStep = this.memGradDelta[0]!;
      const sy = dot(prevStep, prevGradStep);
      const yy = dot(prevGradStep, prevGradStep);
      if (sy < 0 || Number.isNaN(sy)) throw new FirstOrderFailure('nan-history', `L-BFGS history has s·y = ${sy}`);
      diag = sy / yy;
    }

    const dir = Float64Array.from(grad);
    const as = new Float64Array(this.m);
    const rho = new Float64Array(this.m);
    for (let i = 0; i < n; i++) {
      const s = this.memStep[i]!;
      const y = this.memGradDelta[i]!;
      rho[i] = dot(s, y);
      as[i] = dot(s, dir) / rho[i]!;
      if (Number.isNaN(as[i]!)) throw new FirstOrderFailure('nan-history', 'L-BFGS two-loop recursion produced NaN');
      axpy(-as[i]!, y, dir);
    }

    for (let j = 0; j < dir.length; j++) dir[j] = dir[j]! * diag;

    for (let i = n - 1; i >= 0; i--) {
      const beta = dot(this.memGradDelta[i]!, dir) / rho[i]!;
      axpy(as[i]! - beta, this.memStep[i]!, dir);
    }

    for (let j = 0; j < dir.length; j++) dir[j] = dir[j]! * -1.0;
    return dir;
  }
}
