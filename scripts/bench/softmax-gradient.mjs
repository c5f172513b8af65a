// Benchmark of the multinomial gradient pass (softmaxGradient, the per-partition work of every
// multinomial L-BFGS iteration) for K = 3 and K = 10 classes, side by side with the binomial
// pass (logisticGradient) and its weighted variant, in one run on the same 1M bank-like rows:
// 6 numeric inputs and 8 one-hot inputs (24 slots, 30 features), categorical codes, never a
// dense one-hot. One core, median of 7 runs after 2 warm-ups each, interleaved so machine noise
// hits every kernel alike. Needs the built dist: `npx tsc -b shared`.
//
//   node scripts/bench/softmax-gradient.mjs [rows]
import os from 'node:os';
import { logisticGradient, sharedFloat64, softmaxGradient, weightedLogisticGradient } from '@kindling/shared';
import { bankDesignBlock, plausibleCoefficients } from './lib/bank-design-block.mjs';

const rows = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;
const { block: base, u, numericIndex, numFeatures: d, numNumeric: numNum, numCategorical: numCat, rand } = bankDesignBlock(rows);
/** The same rows with labels 0..K−1. */
const withClasses = (K) => {
  const label = sharedFloat64(rows);
  for (let r = 0; r < rows; r++) label[r] = Math.floor(u[r] * K);
  return { ...base, label };
};
const binary = withClasses(2);
const weighted = { ...binary, weight: Float64Array.from({ length: rows }, (_, r) => 0.5 + (r % 4)) };
const coefficients = (K) => {
  const beta = new Float64Array(K * d);
  for (let k = 0; k < K; k++) beta.set(plausibleCoefficients(d, numericIndex, rand, k), k * d);
  return beta;
};

const beta1 = coefficients(1);
const kernels = [
  ['binomial logisticGradient', () => logisticGradient(binary, numericIndex, beta1, -1.2).lossSum],
  ['binomial weightedLogisticGradient', () => weightedLogisticGradient(weighted, numericIndex, beta1, -1.2).lossSum],
  ...[3, 10].map((K) => {
    const block = withClasses(K);
    const beta = coefficients(K);
    const intercepts = Float64Array.from({ length: K }, (_, k) => 0.1 * k);
    return [`multinomial softmaxGradient K=${K}`, () => softmaxGradient(block, numericIndex, beta, intercepts).lossSum];
  }),
];

let sink = 0;
for (const [, run] of kernels) for (let i = 0; i < 2; i++) sink += run();
const times = kernels.map(() => []);
for (let i = 0; i < RUNS; i++) {
  kernels.forEach(([, run], k) => {
    const t0 = process.hrtime.bigint();
    sink += run();
    times[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpus = os.cpus();
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical cores), node ${process.version}, ${os.platform()} ${os.arch()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `${rows.toLocaleString('en-US')} rows, ${numNum} numeric + ${numCat} one-hot inputs, ${d} features; median of ${RUNS} runs, one core`,
);
const baseline = median(times[0]);
console.log('| kernel | median ms | M rows/s | time vs binomial |');
console.log('| --- | ---: | ---: | ---: |');
kernels.forEach(([name], k) => {
  const m = median(times[k]);
  console.log(`| ${name} | ${m.toFixed(1)} | ${(rows / m / 1e3).toFixed(2)} | ${(m / baseline).toFixed(2)}× |`);
});
if (!Number.isFinite(sink)) console.log('warning: non-finite loss');
