/**
 * Strong Wolfe line search with cubic interpolation, a transcription of breeze's
 * StrongWolfeLineSearch(maxZoomIter = 10, maxLineSearchIter = 10) and CubicLineSearch.interp
 * (Nocedal & Wright p. 58–60). minimizeLbfgs calls it once per iteration; every trial is one
 * objective evaluation (one distributed gradient pass), so the trial sequence must be
 * exactly breeze's for Kindling to reproduce Spark's objective history.
 */
import { FirstOrderFailure } from './first-order-failure.js';

/** φ(t) = f(x + t·d) and φ'(t) = ∇f(x + t·d)·d. */
export type LineFunction = (t: number) => Promise<{ value: number; derivative: number }>;

/** One evaluated trial: step, directional derivative, value (breeze's Bracket). */
export interface Bracket {
  readonly t: number;
  readonly dd: number;
  readonly fval: number;
}

/** Sufficient-decrease constant. */
export const WOLFE_C1 = 1e-4;
/** Curvature constant. */
export const WOLFE_C2 = 0.9;

/**
 * Minimiser of the cubic through (l.t, l.fval, l.dd) and (r.t, r.fval, r.dd), kept inside
 * [10 %, 90 %] of [l.t, r.t]. Expects l.t < r.t.
 */
export function interpolateCubic(l: Bracket, r: Bracket): number {
  const d1 = l.dd + r.dd - (3 * (l.fval - r.fval)) / (l.t - r.t);
  const d2 = Math.sqrt(d1 * d1 - l.dd * r.dd);
  const multiplier = r.t - l.t;
  const t = r.t - (multiplier * (r.dd + d2 - d1)) / (r.dd - l.dd + 2 * d2);
  const lbound = l.t + 0.1 * (r.t - l.t);
  const ubound = l.t + 0.9 * (r.t - l.t);
  if (t < lbound) return lbound;
  if (t > ubound) return ubound;
  return t;
}

/** Trial limits (breeze's constructor arguments as L-BFGS passes them). */
export interface StrongWolfeOptions {
  maxZoomIter?: number;
  maxLineSearchIter?: number;
}

/**
 * Returns a step t satisfying the strong Wolfe conditions, starting from `init` and growing
 * ×1.5 (up to maxLineSearchIter trials), then zooming (up to maxZoomIter trials). A NaN or
 * infinite value halves t. Throws FirstOrderFailure on a non-descent direction or when the
 * trials run out.
 */
export async function strongWolfeLineSearch(phi: LineFunction, init: number, opts: StrongWolfeOptions = {}): Promise<number> {
  const maxZoomIter = opts.maxZoomIter ?? 10;
  const maxLineSearchIter = opts.maxLineSearchIter ?? 10;
  const evaluate = async (t: number): Promise<Bracket> => {
    const { value, derivative } = await phi(t);
    return { t, dd: derivative, fval: value };
  };

  let t = init;
  let low = await evaluate(0.0);
  const fval = low.fval;
  const dd = low.dd;
  if (dd > 0) {
    throw new FirstOrderFailure('non-descent-direction', `line search invoked with non-descent direction: ${dd}`);
  }

  // N&W's zoom invariants: [low, hi] brackets a strong-Wolfe point; low has the smallest value
  // among sufficient-decrease points; low.dd·(hi.t − low.t) < 0.
  const zoom = async (linit: Bracket, rinit: Bracket): Promise<number> => {
    let zlow = linit;
    let hi = rinit;
    for (let i = 0; i < maxZoomIter; i++) {
      const zt = zlow.t > hi.t ? interpolateCubic(hi, zlow) : interpolateCubic(zlow, hi);
      const c = await evaluate(zt);
      if (c.fval > fval + WOLFE_C1 * c.t * dd || c.fval >= zlow.fval) {
        hi = c;
      } else {
        if (Math.abs(c.dd) <= WOLFE_C2 * Math.abs(dd)) return c.t;
        if (c.dd * (hi.t - zlow.t) >= 0) hi = zlow;
        zlow = c;
      }
    }
    throw new FirstOrderFailure('line-search-zoom-failed', 'line search zoom failed');
  };

  for (let i = 0; i < maxLineSearchIter; i++) {
    const c = await evaluate(t);
    if (!Number.isFinite(c.fval)) {
      // A bounded domain usually shows up as Inf/NaN: the step was too long.
      t /= 2.0;
    } else {
      if (c.fval > fval + WOLFE_C1 * t * dd || (c.fval >= low.fval && i > 0)) return zoom(low, c);
      if (Math.abs(c.dd) <= WOLFE_C2 * Math.abs(dd)) return c.t;
      // Positive slope: we jumped past the nearest minimum, zoom on the inverted interval.
      if (c.dd >= 0) return zoom(c, low);
      low = c;
      t *= 1.5;
    }
  }
  throw new FirstOrderFailure('line-search-failed', 'line search failed');
}
