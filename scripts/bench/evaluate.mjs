#!/usr/bin/env node
// Benchmark of the evaluate kernel (shared/src/kernels/evaluate.ts), the per-partition work of
// the evaluate stages: builds the same 1M-row bank-like DesignBlock as gradient.mjs and times,
// side by side in one run, the kernel as it was (kept below as the reference) and the built
// one, single-threaded, medians of 7 after a warm-up, and checks both give the same bits.
// Needs the built dist: `npx tsc -b shared`.
//
//   node scripts/bench/evaluate.mjs [rows]
import os from 'node:os';
import { evaluateBlock } from '@kindling/shared';
import { bankDesignBlock, plausibleCoefficients } from './lib/bank-design-block.mjs';

const rows = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;
const { block, numericIndex, numFeatures, numNumeric: numNum, numCategorical: numCat, rand } = bankDesignBlock(rows);
const beta = plausibleCoefficients(numFeatures, numericIndex, rand);
const intercept = -1.2;

/** The kernel before the generated row loop (commit 36a30eb), without predictions. */
function evaluateBefore(block, numericIndex, beta, intercept) {
  const n = block.numRows,
    k = block.numNumeric,
    c = block.numCategorical;
  const num = block.numeric,
    cat = block.categorical,
    label = block.label;
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) w[j] = beta[numericIndex[j]];
  const posScores = new Float64Array(n),
    negScores = new Float64Array(n);
  let np = 0,
    nn = 0,
    tp = 0,
    fp = 0,
    tn = 0,
    fn = 0,
    logLossSum = 0;
  const EPS = 1e-15,
    LOSS_AT_EPS = -Math.log(EPS),
    LOSS_AT_ONE_MINUS_EPS = -Math.log1p(-EPS);
  for (let r = 0, p = 0, q = 0; r < n; r++, p += k, q += c) {
    let dot = 0;
    for (let j = 0; j < c; j++) {
      const f = cat[q + j];
      if (f >= 0) dot += beta[f];
    }
    for (let j = 0; j < k; j++) dot += w[j] * num[p + j];
    const m = dot + intercept;
    const p0 = 1 / (1 + Math.exp(m));
    const p1 = 1 - p0;
    const score = m + 0;
    if (Number.isNaN(score)) throw new Error('NaN');
    const y = label[r];
    const predicted = p1 > 0.5 ? 1 : 0;
    const py = y === 1 ? p1 : p0;
    logLossSum += py < EPS ? LOSS_AT_EPS : py > 1 - EPS ? LOSS_AT_ONE_MINUS_EPS : -Math.log(py);
    if (y === 1) {
      posScores[np++] = score;
      if (predicted === 1) tp++;
      else fn++;
    } else {
      negScores[nn++] = score;
      if (predicted === 1) fp++;
      else tn++;
    }
  }
  const pos = posScores.subarray(0, np).sort(),
    neg = negScores.subarray(0, nn).sort();
  const cap = pos.length + neg.length;
  const scores = new Float64Array(cap),
    positives = new Float64Array(cap),
    negatives = new Float64Array(cap);
  let i = pos.length - 1,
    j = neg.length - 1,
    out = -1;
  while (i >= 0 || j >= 0) {
    const s = j < 0 || (i >= 0 && pos[i] >= neg[j]) ? pos[i] : neg[j];
    out++;
    scores[out] = s;
    let a = 0;
    while (i >= 0 && pos[i] === s) {
      a++;
      i--;
    }
    let b = 0;
    while (j >= 0 && neg[j] === s) {
      b++;
      j--;
    }
    positives[out] = a;
    negatives[out] = b;
  }
  const len = out + 1;
  return {
    count: n,
    scores: scores.slice(0, len),
    positives: positives.slice(0, len),
    negatives: negatives.slice(0, len),
    tp,
    fp,
    tn,
    fn,
    logLossSum,
  };
}

const opts = { score: 'margin', threshold: 0.5, predictions: false };
const after = () => evaluateBlock(block, numericIndex, beta, intercept, opts);
const before = () => evaluateBefore(block, numericIndex, beta, intercept);
// Counts are compared as values: the built kernel stores integer counts in the narrowest unsigned array.
const bits = (a) => {
  const f = a instanceof Float64Array ? a : Float64Array.from(a);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
};
const A = after();
const B = before();
const identical =
  ['scores', 'positives', 'negatives'].every((f) => bits(A[f]).equals(bits(B[f]))) &&
  ['tp', 'fp', 'tn', 'fn', 'logLossSum', 'count'].every((f) => Object.is(A[f], B[f]));
for (let i = 0; i < 2; i++) {
  before();
  after();
}
const times = { before: [], after: [] };
for (let i = 0; i < RUNS; i++) {
  for (const [name, fn] of i % 2 === 0
    ? [
        ['before', before],
        ['after', after],
      ]
    : [
        ['after', after],
        ['before', before],
      ]) {
    const t0 = process.hrtime.bigint();
    fn();
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpus = os.cpus();
console.log(
  `evaluateBlock: ${rows.toLocaleString('en-US')} rows, ${numNum} numeric + ${numCat} one-hot inputs, ${A.scores.length} distinct scores`,
);
console.log('| kernel | median ms | M rows/s (one thread) |');
console.log('| --- | --- | --- |');
for (const k of ['before', 'after'])
  console.log(`| ${k} | ${median(times[k]).toFixed(1)} | ${(rows / median(times[k]) / 1e3).toFixed(1)} |`);
console.log(
  `ratio before / after: ${(median(times.before) / median(times.after)).toFixed(2)}×; bit-identical: ${identical ? 'yes' : 'NO'}`,
);
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical cores), node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (!identical) process.exit(1);
