/**
 * Dense-vector arithmetic for the optimisers, in the element order breeze uses (plain
 * left-to-right sums, BLAS-1 style axpy). Used by the minimiser loop, the inverse-Hessian
 * two-loop recursion and the line searches; kept in one place so every dot product and norm
 * rounds the same way.
 */

/** Σ a_i b_i, summed left to right (breeze's small-vector / F2J ddot paths sum in order). */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean norm as breeze computes it: sqrt of the plain sum of squares. */
export function norm2(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** y ← y + a·x, in place. */
export function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!;
}

/** a − b as a new vector. */
export function subtract(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** x + dir·t as a new vector (breeze: `x + dir * t`, i.e. x_i + (dir_i·t)). */
export function stepAlong(x: Float64Array, dir: Float64Array, t: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + dir[i]! * t;
  return out;
}
