/**
 * The failure signal of one quasi-Newton iteration (breeze's FirstOrderException family).
 * Thrown by the inverse-Hessian product and the line searches; caught only by
 * runFirstOrderMinimizer, which resets the history on the first failure and stops with
 * 'search-failed' on a second one in a row. It never reaches callers of the optimisers.
 */
import { KindlingError } from '@kindling/shared/compute';

/** Which breeze exception the failure stands for. */
export type FirstOrderFailureKind =
  'nan-history' | 'step-size-underflow' | 'step-size-overflow' | 'line-search-failed' | 'line-search-zoom-failed' | 'non-descent-direction';

/** Thrown inside an iteration when the quasi-Newton step cannot be taken. */
export class FirstOrderFailure extends KindlingError {
  constructor(
    readonly kind: FirstOrderFailureKind,
    message: string,
  ) {
    super('E_OPTIMIZER', message, { kind });
  }
}
