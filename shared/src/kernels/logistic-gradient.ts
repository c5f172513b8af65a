/**
 * The gradient kernel: unscaled logistic loss and gradient sums over one DesignBlock at
 * original-space coefficients — the per-partition work of every L-BFGS iteration, and the
 * hottest loop of the engine. The driver sums the partials with mergeGradients in partition
 * order, divides by the count and adds regularisation (see GradientPartial in tasks.ts).
 *
 * Speed: V8 does not unroll the short inner loops over a row's 6–14 inputs, and their loop
 * overhead and the serial add chain of the margin cost more than the exp + log1p. So the row
 * loop is generated once per (numeric, categorical) input count, fully unrolled: inputs and
 * numeric gradient sums live in locals, the margin is summed as a balanced tree, and a
 * dropped category (-1) reads and writes a spare zero slot instead of branching. Only the
 * two integers are spliced into the generated source. Wide blocks use the plain loop.
 */
import { KindlingError } from '../errors.js';
import { storageKey, type CategoricalIndices, type ClassLabels, type DesignBlock, type NumericValues } from '../columnar/design-block.js';
import type { GradientPartial } from '../tasks.js';

/**
 * A row loop. `b` and `grad` have numFeatures + 1 entries, the last being the slot of dropped
 * categories; `w` holds the numeric coefficients in block order; `g` receives the numeric
 * gradient sums and `out` the loss and intercept-gradient sums.
 */
type RowLoop = (
  num: NumericValues,
  cat: CategoricalIndices,
  label: ClassLabels,
  n: number,
  b: Float64Array,
  w: Float64Array,
  intercept: number,
  grad: Float64Array,
  g: Float64Array,
  out: Float64Array,
) => void;

/** Above this many inputs per row the generated loop gets too long to pay off. */
const MAX_UNROLLED_INPUTS = 64;

const loops = new Map<string, RowLoop>();

/** Balanced-tree sum of terms, so the margin's adds do not form one long dependency chain. */
function treeSum(terms: readonly string[]): string {
  if (terms.length === 0) return '0';
  if (terms.length === 1) return terms[0]!;
  const half = terms.length >> 1;
  return `(${treeSum(terms.slice(0, half))} + ${treeSum(terms.slice(half))})`;
}

function generateLoop(k: number, c: number): RowLoop {
  const range = (len: number): number[] => Array.from({ length: len }, (_, i) => i);
  const src = [
    `'use strict';`,
    `const F = b.length - 1;`,
    ...range(k).map((j) => `const w${j} = w[${j}]; let g${j} = 0;`),
    `let lossSum = 0, interceptGrad = 0;`,
    `for (let r = 0, p = 0, q = 0; r < n; r++, p += ${k}, q += ${c}) {`,
    ...range(k).map((j) => `  const x${j} = num[p + ${j}];`),
    ...range(c).map((j) => `  let f${j} = cat[q + ${j}]; if (f${j} < 0) f${j} = F;`),
    `  const m = ${treeSum([...range(k).map((j) => `w${j} * x${j}`), ...range(c).map((j) => `b[f${j}]`)])} + intercept;`,
    `  const y = label[r];`,
    `  let loss, sigma;`,
    `  if (m > 0) { const e = Math.exp(-m); loss = m + Math.log1p(e) - y * m; sigma = 1 / (1 + e); }`,
    `  else { const e = Math.exp(m); loss = Math.log1p(e) - y * m; sigma = e / (1 + e); }`,
    `  const d = sigma - y;`,
    `  lossSum += loss;`,
    `  interceptGrad += d;`,
    ...range(k).map((j) => `  g${j} += d * x${j};`),
    ...range(c).map((j) => `  grad[f${j}] += d;`),
    `}`,
    ...range(k).map((j) => `g[${j}] = g${j};`),
    `out[0] = lossSum; out[1] = interceptGrad;`,
  ].join('\n');
  return new Function('num', 'cat', 'label', 'n', 'b', 'w', 'intercept', 'grad', 'g', 'out', src) as RowLoop;
}

/** The same computation with ordinary loops, for blocks with many inputs per row. */
const plainLoop =
  (k: number, c: number): RowLoop =>
  (num, cat, label, n, b, w, intercept, grad, g, out) => {
    const F = b.length - 1;
    let lossSum = 0;
    let interceptGrad = 0;
    for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
      let a = 0;
      for (let j = 0; j < k; j++) a += w[j]! * num[p + j]!;
      let s = 0;
      for (let j = 0; j < c; j++) {
        const f = cat[q + j]!;
        s += b[f < 0 ? F : f]!;
      }
      const m = a + s + intercept;
      const y = label[r]!;
      let loss: number;
      let sigma: number;
      if (m > 0) {
        const e = Math.exp(-m);
        loss = m + Math.log1p(e) - y * m;
        sigma = 1 / (1 + e);
      } else {
        const e = Math.exp(m);
        loss = Math.log1p(e) - y * m;
        sigma = e / (1 + e);
      }
      const d = sigma - y;
      lossSum += loss;
      interceptGrad += d;
      for (let j = 0; j < k; j++) g[j] = g[j]! + d * num[p + j]!;
      for (let j = 0; j < c; j++) {
        const f = cat[q + j]!;
        const at = f < 0 ? F : f;
        grad[at] = grad[at]! + d;
      }
    }
    out[0] = lossSum;
    out[1] = interceptGrad;
  };

/** One loop per input counts and storage (storageKey), so each loop's array reads see one array type. */
function rowLoop(k: number, c: number, storage: string): RowLoop {
  const key = `${k},${c},${storage}`;
  let loop = loops.get(key);
  if (loop === undefined) {
    loop = k + c <= MAX_UNROLLED_INPUTS ? generateLoop(k, c) : plainLoop(k, c);
    loops.set(key, loop);
  }
  return loop;
}

/**
 * Σ log(1 + e^m) − y·m, Σ (σ(m) − y)·x and Σ (σ(m) − y) over the block's rows, where
 * m = intercept + β·x. The loss is evaluated stably: m + log1p(e^−m) − y·m for m > 0,
 * log1p(e^m) − y·m otherwise. `beta` has one entry per feature of the assembled vector.
 */
export function logisticGradient(
  block: DesignBlock,
  numericIndex: readonly number[],
  beta: Float64Array,
  intercept: number,
): GradientPartial {
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `gradient: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  const numFeatures = beta.length;
  const b = new Float64Array(numFeatures + 1);
  b.set(beta);
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) w[j] = beta[numericIndex[j]!]!;
  const grad = new Float64Array(numFeatures + 1);
  const g = new Float64Array(k);
  const out = new Float64Array(2);
  rowLoop(k, c, storageKey(block))(block.numeric, block.categorical, block.label, block.numRows, b, w, intercept, grad, g, out);
  for (let j = 0; j < k; j++) {
    const f = numericIndex[j]!;
    grad[f] = grad[f]! + g[j]!;
  }
  return { count: block.numRows, lossSum: out[0]!, gradSum: grad.slice(0, numFeatures), interceptGradSum: out[1]! };
}

/** Sums gradient partials in the given (partition) order. */
export function mergeGradients(parts: readonly GradientPartial[]): GradientPartial {
  const first = parts[0];
  if (first === undefined) throw new KindlingError('E_INTERNAL', 'mergeGradients needs at least one partial');
  const d = first.gradSum.length;
  const gradSum = new Float64Array(d);
  let count = 0;
  let lossSum = 0;
  let interceptGradSum = 0;
  for (const p of parts) {
    if (p.gradSum.length !== d) throw new KindlingError('E_INTERNAL', `mergeGradients: ${p.gradSum.length} vs ${d} features`);
    count += p.count;
    lossSum += p.lossSum;
    interceptGradSum += p.interceptGradSum;
    for (let f = 0; f < d; f++) gradSum[f] = gradSum[f]! + p.gradSum[f]!;
  }
  return { count, lossSum, gradSum, interceptGradSum };
}
