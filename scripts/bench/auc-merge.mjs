#!/usr/bin/env node
// Benchmark of the driver's exact-AUC merge (mergeScoreCounts in shared/src/ml/score-merge.ts):
// builds per-partition distinct-score lists shaped as the evaluate kernel returns them (margins
// of a bank-like model: mostly distinct, some ties), then times, side by side in one run, the
// former k-way heap merge (kept here as the reference) and the built bucket merge, wall and CPU
// time (the CPU time is the steadier figure on a shared machine), and checks both give the
// same bits. Needs the built dist: `npx tsc -b shared`.
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

/**
 * The merge as it was before the bucket merge (commit 828fa62): a k-way merge over a binary
 * max-heap of the parts' heads, O(n log k), the reference. (Before it, commit 36a30eb sorted
 * everything and folded each part in, O(n·k): 4.7 s here against the heap's 1.5 s.)
 */
function mergeBefore(parts) {
  let total = 0;
  for (const p of parts) total += p.scores.length;
  const live = parts.filter((p) => p.scores.length > 0);
  const k = live.length;
  const scores = new Float64Array(total);
  const positives = new Float64Array(total);
  const negatives = new Float64Array(total);
  const heap = new Int32Array(k);
  const head = new Float64Array(k);
  const at = new Int32Array(k);
  const sc = live.map((p) => p.scores);
  const po = live.map((p) => p.positives);
  const ne = live.map((p) => p.negatives);
  for (let t = 0; t < k; t++) {
    heap[t] = t;
    head[t] = sc[t][0];
  }
  let size = k;
  const siftDown = (from) => {
    let i = from;
    const top = heap[i];
    const key = head[top];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && head[heap[c + 1]] > head[heap[c]]) c++;
      if (!(head[heap[c]] > key)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = top;
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  let n = 0;
  while (size > 0) {
    const t = heap[0];
    const s = head[t];
    const j = at[t];
    if (n > 0 && scores[n - 1] === s) {
      positives[n - 1] = positives[n - 1] + po[t][j];
      negatives[n - 1] = negatives[n - 1] + ne[t][j];
    } else {
      scores[n] = s;
      positives[n] = po[t][j];
      negatives[n] = ne[t][j];
      n++;
    }
    const ts = sc[t];
    if (j + 1 < ts.length) {
      at[t] = j + 1;
      head[t] = ts[j + 1];
    } else {
      heap[0] = heap[--size];
    }
    if (size > 0) siftDown(0);
  }
  return { scores: scores.subarray(0, n), positives: positives.subarray(0, n), negatives: negatives.subarray(0, n) };
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
const cpuTimes = { before: [], after: [] };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let identical = true;
let merged;
for (let rep = 0; rep < REPS; rep++) {
  // Alternate which runs first, so neither always gets the warmer heap.
  for (const which of rep % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    const t0 = process.hrtime.bigint();
    const c0 = cpuMs();
    const out = which === 'before' ? mergeBefore(parts) : mergeScoreCounts(parts);
    cpuTimes[which].push(cpuMs() - c0);
    times[which].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (which === 'after') merged = out;
    else if (merged !== undefined)
      identical &&= same(out.scores, merged.scores) && same(out.positives, merged.positives) && same(out.negatives, merged.negatives);
  }
}
const ref = mergeBefore(parts);
identical &&= same(ref.scores, merged.scores) && same(ref.positives, merged.positives) && same(ref.negatives, merged.negatives);
// The split's metrics both ways, side by side: the merge streamed into the curve sums (the
// default: the merged list is never held) and the merged list built first. Same bits expected.
const evalParts = parts.map((p) => ({ ...p, count: 0, tp: 0, fp: 0, tn: 0, fn: 0, logLossSum: 0 }));
const metricTimes = { streamed: [], built: [] };
const results = {};
for (let rep = 0; rep < REPS; rep++) {
  for (const which of rep % 2 === 0 ? ['streamed', 'built'] : ['built', 'streamed']) {
    const t0 = process.hrtime.bigint();
    results[which] = binaryClassificationMetrics(evalParts, { numBins: 0, stream: which === 'streamed' });
    metricTimes[which].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const metrics = results.streamed;
const metricsSame = JSON.stringify(results.streamed) === JSON.stringify(results.built);
identical &&= metricsSame;

process.stdout.write(
  `rows ${ROWS}, partitions ${PARTS}, distinct scores per partition summed ${distinctIn}, merged ${merged.scores.length}\n`,
);
process.stdout.write(`| merge | median wall ms | min–max wall ms | median CPU ms |\n| --- | --- | --- | --- |\n`);
for (const k of ['before', 'after'])
  process.stdout.write(
    `| ${k === 'before' ? 'k-way heap (before)' : 'bucket merge (after)'} | ${median(times[k]).toFixed(1)} | ${Math.min(...times[k]).toFixed(1)}–${Math.max(...times[k]).toFixed(1)} | ${median(cpuTimes[k]).toFixed(1)} |\n`,
  );
process.stdout.write(
  `ratio before / after (medians): wall ${(median(times.before) / median(times.after)).toFixed(2)}×, CPU ${(median(cpuTimes.before) / median(cpuTimes.after)).toFixed(2)}×; bit-identical: ${identical ? 'yes' : 'NO'}\n`,
);
process.stdout.write(
  `binaryClassificationMetrics (merge + areas + plotted points), median wall ms: streamed ${median(metricTimes.streamed).toFixed(1)}, ` +
    `built ${median(metricTimes.built).toFixed(1)} (the built list alone: ${((merged.scores.length * 24) / 2 ** 20).toFixed(0)} MiB); ` +
    `AUC ${metrics.areaUnderROC}; same metrics and curves: ${metricsSame ? 'yes' : 'NO'}\n`,
);
process.stdout.write(
  `load at end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
if (!identical) process.exit(1);
