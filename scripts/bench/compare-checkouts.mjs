#!/usr/bin/env node
/**
 * Runs part a of scripts/bench/cluster.mjs (coordination overhead per gradient evaluation)
 * in two built checkouts, interleaved round by round, so a before/after comparison sees the
 * same machine load. Prints each configuration's median gradient-stage time per checkout,
 * the medians over rounds and the ratio. Run by hand after `npx tsc -b` in both checkouts:
 *
 *   node scripts/bench/compare-checkouts.mjs --before /path/to/old/checkout [--after .] [--rounds 3] [-- extra cluster.mjs flags]
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const dash = args.indexOf('--');
const own = dash < 0 ? args : args.slice(0, dash);
const extra = dash < 0 ? [] : args.slice(dash + 1);
const opt = (name, fallback) => {
  const i = own.indexOf(name);
  return i < 0 ? fallback : own[i + 1];
};
const before = opt('--before');
const after = resolve(opt('--after', '.'));
const rounds = Number(opt('--rounds', '3'));
if (!before || !Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write('usage: node scripts/bench/compare-checkouts.mjs --before DIR [--after DIR] [--rounds N] [-- cluster.mjs flags]\n');
  process.exit(2);
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One run of cluster.mjs part a in `dir`; returns { config: medianMs }. */
function runPartA(dir) {
  const out = execFileSync(
    process.execPath,
    [resolve(dir, 'scripts/bench/cluster.mjs'), '--parts', 'a', '--runs', '1', '--json', ...extra],
    {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const json = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1));
  const a = json.coordination;
  return Object.fromEntries(
    Object.entries(a)
      .filter(([, v]) => typeof v === 'object' && v !== null && 'medianMs' in v)
      .map(([k, v]) => [k, v.medianMs]),
  );
}

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown';
console.log(
  `machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `before: ${resolve(before)}\nafter:  ${after}\nrounds: ${rounds} (before and after alternate; each round is one cluster.mjs --parts a --runs 1 ${extra.join(' ')})`,
);
const samples = { before: {}, after: {} };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const side of order) {
    const got = runPartA(side === 'before' ? resolve(before) : after);
    for (const [k, v] of Object.entries(got)) (samples[side][k] ??= []).push(v);
    console.log(
      `round ${r + 1} ${side.padEnd(6)} ${Object.entries(got)
        .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
        .join(' · ')}`,
    );
  }
}
console.log("\nmedian gradient-stage time per configuration (median over rounds of each round's median)");
console.log(`  ${'configuration'.padEnd(14)} ${'before ms'.padStart(10)} ${'after ms'.padStart(10)} ${'before/after'.padStart(13)}`);
for (const k of Object.keys(samples.after)) {
  const b = samples.before[k] ? median(samples.before[k]) : NaN;
  const a = median(samples.after[k]);
  console.log(`  ${k.padEnd(14)} ${b.toFixed(2).padStart(10)} ${a.toFixed(2).padStart(10)} ${(b / a).toFixed(2).padStart(12)}×`);
}
console.log(
  `load at end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
