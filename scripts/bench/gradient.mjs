// Benchmark of the logistic gradient kernel (the per-partition work of every L-BFGS
// iteration): builds a DesignBlock of 1M bank-like rows — 6 numeric inputs and 8 one-hot
// inputs with the bank layout (24 slots, 30 features) — and times logisticGradient on one
// core, median of 7 runs after a warm-up, in two storages side by side: the wide one
// (Float64 numeric values and labels, Int32 categorical indices) and the narrow one the
// encode op stores this data in (Int32 / Int16 / Uint8, columnar/design-block.ts). Both must
// give the same bits. Needs the built dist: `npx tsc -b shared`.
//
//   node scripts/bench/gradient.mjs [rows]
import os from 'node:os';
import { logisticGradient, narrowDesignBlock, storageKey } from '@kindling/shared';
import { bankDesignBlock, plausibleCoefficients } from './lib/bank-design-block.mjs';

const rows = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;

const { block, numericIndex, numFeatures, numNumeric: numNum, numCategorical: numCat, rand } = bankDesignBlock(rows);
const beta = plausibleCoefficients(numFeatures, numericIndex, rand);
const intercept = -1.2;

const narrow = narrowDesignBlock(block);
const storages = [
  { name: storageKey(block), block, wall: [], cpu: [] },
  { name: storageKey(narrow), block: narrow, wall: [], cpu: [] },
];
let sink = 0;
for (const s of storages) for (let i = 0; i < 3; i++) sink += logisticGradient(s.block, numericIndex, beta, intercept).lossSum;
const bits = (g) => Buffer.from(Float64Array.of(g.lossSum, g.interceptGradSum, ...g.gradSum).buffer).toString('hex');
const results = storages.map((s) => bits(logisticGradient(s.block, numericIndex, beta, intercept)));
if (results[0] !== results[1]) throw new Error('the two storages gave different bits');
for (let i = 0; i < RUNS; i++) {
  for (const s of i % 2 === 0 ? storages : [...storages].reverse()) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const g = logisticGradient(s.block, numericIndex, beta, intercept);
    s.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    s.cpu.push((c.user + c.system) / 1e3);
    sink += g.lossSum;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (ms) => ((rows / ms) * 1e3) / 1e6;
const bytes = (b) => b.rowIds.byteLength + b.label.byteLength + b.numeric.byteLength + b.categorical.byteLength;
const cpus = os.cpus();
const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(
  `logisticGradient: ${rows.toLocaleString('en-US')} rows, ${numNum} numeric + ${numCat} one-hot inputs, ${numFeatures} features`,
);
for (const s of storages) {
  console.log(
    `${s.name}: ${(bytes(s.block) / rows).toFixed(0)} bytes per row, wall ms per run: ${s.wall.map((t) => t.toFixed(1)).join(' ')}`,
  );
  console.log(`  median wall ${median(s.wall).toFixed(1)} ms → ${rate(median(s.wall)).toFixed(1)} M rows/s on one core`);
  console.log(`  median CPU  ${median(s.cpu).toFixed(1)} ms → ${rate(median(s.cpu)).toFixed(1)} M rows/s per CPU-second`);
}
console.log(`same bits in both storages; wide / narrow median wall ${(median(storages[0].wall) / median(storages[1].wall)).toFixed(2)}×`);
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical cores), node ${process.version}, ${os.platform()} ${os.arch()}, load average ${load}`,
);
if (!Number.isFinite(sink)) console.log('warning: non-finite loss');
