/**
 * The evaluate kernel's row loop (kernels/evaluate.ts is its only caller), generated once per
 * (numeric, categorical) input count and fully unrolled, as the gradient kernel's is: V8 does
 * not unroll the short per-row loops (scripts/bench/evaluate.mjs: ~1.6× with the radix sort
 * against ~1.4× with the sort alone). Unlike the gradient's tree sum, the margin keeps the
 * former order — categorical weights in input order, then numeric products in order, then
 * + intercept — so scores keep their bits; a dropped category reads a spare slot holding +0
 * (the sum starts at +0 and is never −0, so adding +0 changes nothing). Only the two integers
 * are spliced into the source. THREADING: pure; runs on the worker thread of the task.
 */

import type { CategoricalIndices, ClassLabels, NumericValues } from '../columnar/design-block.js';

/**
 * One pass over the rows. `b` has numFeatures + 1 entries (last = the +0 spare); `w` holds the
 * numeric coefficients in block order. Writes each row's score into posScores or negScores by
 * label, and, when `prob` is given, p1 and the predicted class per row. `out` receives
 * [#pos, #neg, tp, fp, tn, fn, log-loss sum, index of a NaN-score row or -1].
 */
export type EvaluateRowLoop = (
  num: NumericValues,
  cat: CategoricalIndices,
  label: ClassLabels,
  n: number,
  b: Float64Array,
  w: Float64Array,
  intercept: number,
  useMargin: boolean,
  threshold: number,
  posScores: Float64Array,
  negScores: Float64Array,
  prob: Float64Array | null,
  pred: Float64Array | null,
  lossAtEps: number,
  lossAtOneMinusEps: number,
  out: Float64Array,
) => void;

/** Above this many inputs per row the generated loop gets too long to pay off. */
const MAX_UNROLLED_INPUTS = 64;

const loops = new Map<string, EvaluateRowLoop>();

/**
 * The row loop for blocks with `k` numeric and `c` categorical inputs per row in the storage
 * `storage` names (storageKey): one loop per storage keeps each loop's array reads monomorphic.
 */
export function evaluateRowLoop(k: number, c: number, storage: string): EvaluateRowLoop {
  const key = `${k},${c},${storage}`;
  let loop = loops.get(key);
  if (loop === undefined) {
    loop = generate(k, c);
    loops.set(key, loop);
  }
  return loop;
}

function generate(k: number, c: number): EvaluateRowLoop {
  const unrolled = k + c <= MAX_UNROLLED_INPUTS;
  const range = (len: number): number[] => Array.from({ length: len }, (_, i) => i);
  const margin = unrolled
    ? [
        ...range(c).map((j) => `  let f${j} = cat[q + ${j}]; if (f${j} < 0) f${j} = F;`),
        `  let dot = 0;`,
        ...range(c).map((j) => `  dot += b[f${j}];`),
        ...range(k).map((j) => `  dot += w${j} * num[p + ${j}];`),
      ]
    : [
        `  let dot = 0;`,
        `  for (let j = 0; j < ${c}; j++) { const f = cat[q + j]; if (f >= 0) dot += b[f]; }`,
        `  for (let j = 0; j < ${k}; j++) dot += w[j] * num[p + j];`,
      ];
  const src = [
    `'use strict';`,
    `const F = b.length - 1;`,
    ...(unrolled ? range(k).map((j) => `const w${j} = w[${j}];`) : []),
    `const EPS = 1e-15;`,
    `let np = 0, nn = 0, tp = 0, fp = 0, tn = 0, fn = 0, logLossSum = 0, bad = -1;`,
    `for (let r = 0, p = 0, q = 0; r < n; r++, p += ${k}, q += ${c}) {`,
    ...margin,
    `  const m = dot + intercept;`,
    `  const p0 = 1 / (1 + Math.exp(m));`,
    `  const p1 = 1 - p0;`,
    // + 0 turns -0 into 0: one score, as a grouping key should be.
    `  const score = (useMargin ? m : p1) + 0;`,
    `  if (score !== score) { bad = r; break; }`,
    `  const y = label[r];`,
    `  const predicted = p1 > threshold ? 1 : 0;`,
    `  const py = y === 1 ? p1 : p0;`,
    `  logLossSum += py < EPS ? lossAtEps : py > 1 - EPS ? lossAtOneMinusEps : -Math.log(py);`,
    `  if (y === 1) { posScores[np++] = score; if (predicted === 1) tp++; else fn++; }`,
    `  else { negScores[nn++] = score; if (predicted === 1) fp++; else tn++; }`,
    `  if (prob !== null) { prob[r] = p1; pred[r] = predicted; }`,
    `}`,
    `out[0] = np; out[1] = nn; out[2] = tp; out[3] = fp; out[4] = tn; out[5] = fn; out[6] = logLossSum; out[7] = bad;`,
  ].join('\n');
  return new Function(
    'num',
    'cat',
    'label',
    'n',
    'b',
    'w',
    'intercept',
    'useMargin',
    'threshold',
    'posScores',
    'negScores',
    'prob',
    'pred',
    'lossAtEps',
    'lossAtOneMinusEps',
    'out',
    src,
  ) as EvaluateRowLoop;
}
