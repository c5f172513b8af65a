#!/usr/bin/env node
// Benchmark of the driver's exact-AUC merge (mergeScoreCounts in shared/src/ml/binary-metrics.ts):
// builds per-partition distinct-score lists shaped as the evaluate kernel returns them (margins
// of a bank-like model: mostly distinct, some ties), then times, side by side in one run, the
// former "sort all, fold each part in" merge (O(n·k), kept here as the reference) and the
// built one, and checks both give the same bits. Needs the built dist: `npx tsc -b shared`.
//
//   node scripts/bench/auc-merge.mjs [--rows 8000000] [--parts 196] [--reps 5]
import os from 'node:os';
import { binaryClassificationMetrics, mergeScoreCounts } from '@kindling/shared';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) {
    process.stderr.write(`auc-merge: --${name} must be a positive integer, got '${process.argv[i + 1]}'\n`);
    process.exit(2);
  }
  return v;
};
const ROWS = arg('rows', 8_000_000);
const PARTS = arg('parts', 196);
const REPS = arg('reps', 5);

/** The merge as it was before the k-way heap (commit 36a30eb), the reference. */
function mergeBefore(parts) {
  let total = 0;
  for (const p of parts) total += p.scores.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p.scores, at);
    at += p.scores.length;
  }
  all.sort();
  const distinct = new Float64Array(total);
  let n = 0;
  for (let i = total - 1; i >= 0; i--) {
    const s = all[i];
    if (n === 0 || distinct[n - 1] !== s) distinct[n++] = s;
  }
  const scores = distinct.slice(0, n);
  const positives = new Float64Array(n);
  const negatives = new Float64Array(n);
  for (const p of parts) {
    let q = 0;
    for (let j = 0; j < p.scores.length; j++) {
      const s = p.scores[j];
      while (scores[q] !== s) q++;
      positives[q] += p.positives[j];
      negatives[q] += p.negatives[j];
    }
  }
  return { scores, positives, negatives };
}

// Deterministic xorshift32.
let state = 0x2018;
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};

/** One partition as evaluateBlock returns it: distinct scores descending with label counts. */
function partition(rows) {
  const raw = new Float64Array(rows);
  const lab = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    // A margin: a few category weights (ties between rows) plus a continuous part.
    const cat = Math.floor(rand() * 12) * 0.25 + Math.floor(rand() * 3) * 0.5;
    const cont = rand() < 0.1 ? 0 : (rand() - 0.5) * 4;
    raw[r] = cat + cont - 2;
    lab[r] = rand() < 1 / (1 + Math.exp(-raw[r])) ? 1 : 0;
  }
  const order = Array.from(raw.keys()).sort((a, b) => raw[b] - raw[a]);
  const scores = [];
  const positives = [];
  const negatives = [];
  for (const r of order) {
    const s = raw[r];
    if (scores.length === 0 || scores[scores.length - 1] !== s) {
      scores.push(s);
      positives.push(0);
      negatives.push(0);
    }
    if (lab[r] === 1) positives[positives.length - 1]++;
    else negatives[negatives.length - 1]++;
  }
  return { scores: Float64Array.from(scores), positives: Float64Array.from(positives), negatives: Float64Array.from(negatives) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const same = (a, b) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  `machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
process.stdout.write(`building ${PARTS} partitions of ${ROWS} rows …\n`);
const per = Math.ceil(ROWS / PARTS);
const parts = [];
for (let p = 0, left = ROWS; p < PARTS; p++, left -= per) parts.push(partition(Math.min(per, left)));
const distinctIn = parts.reduce((a, p) => a + p.scores.length, 0);

const times = { before: [], after: [] };
let identical = true;
let merged;
for (let rep = 0; rep < REPS; rep++) {
  // Alternate which runs first, so neither always gets the warmer heap.
  for (const which of rep % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    const t0 = process.hrtime.bigint();
    const out = which === 'before' ? mergeBefore(parts) : mergeScoreCounts(parts);
    times[which].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (which === 'after') merged = out;
    else if (merged !== undefined)
      identical &&= same(out.scores, merged.scores) && same(out.positives, merged.positives) && same(out.negatives, merged.negatives);
  }
}
const ref = mergeBefore(parts);
identical &&= same(ref.scores, merged.scores) && same(ref.positives, merged.positives) && same(ref.negatives, merged.negatives);
const t0 = process.hrtime.bigint();
const metrics = binaryClassificationMetrics(
  parts.map((p) => ({ ...p, count: 0, tp: 0, fp: 0, tn: 0, fn: 0, logLossSum: 0 })),
  { numBins: 0 },
);
const metricsMs = Number(process.hrtime.bigint() - t0) / 1e6;

process.stdout.write(
  `rows ${ROWS}, partitions ${PARTS}, distinct scores per partition summed ${distinctIn}, merged ${merged.scores.length}\n`,
);
process.stdout.write(`| merge | median ms | min–max ms |\n| --- | --- | --- |\n`);
for (const k of ['before', 'after'])
  process.stdout.write(
    `| ${k === 'before' ? 'sort + fold per part (before)' : 'k-way heap (after)'} | ${median(times[k]).toFixed(1)} | ${Math.min(...times[k]).toFixed(1)}–${Math.max(...times[k]).toFixed(1)} |\n`,
  );
process.stdout.write(
  `ratio before / after (medians): ${(median(times.before) / median(times.after)).toFixed(1)}×; bit-identical: ${identical ? 'yes' : 'NO'}\n`,
);
process.stdout.write(`binaryClassificationMetrics (merge + areas) once: ${metricsMs.toFixed(1)} ms, AUC ${metrics.areaUnderROC}\n`);
process.stdout.write(
  `load at end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
if (!identical) process.exit(1);
