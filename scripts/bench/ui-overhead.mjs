#!/usr/bin/env node
/**
 * What observability costs, measured side by side in one run (issue 10's targets):
 *  1. the 1M-row bank-like job via `kindling submit --master local[2]`, with event logging + the
 *     live UI + one connected client (SSE, re-fetching the stages page on each update like a
 *     browser tab) versus with --no-ui --no-event-log; interleaved A/B/B/A…, medians and ratio;
 *  2. a history folder of 200 runs (copies of a real run's log): index + first run-list answer,
 *     then the run list's median answer time;
 *  3. a 10,000-task stage page (sorted by run time) from the live UI server: median answer time.
 * Run by hand after `npm run build`:
 *   node scripts/bench/ui-overhead.mjs [--rows 1m] [--reps 3] [--runs 200] [--tasks 10000]
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'cli/dist/src/main.js');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const { HistoryServer, StatusStore, WebUi } = await import(join(ROOT, 'coordinator/dist/src/index.js'));

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const rows = String(args.rows ?? '1m');
const reps = Number(args.reps ?? 3);
const runs = Number(args.runs ?? 200);
const tasks = Number(args.tasks ?? 10_000);
const rowCount = Number(rows.replace(/m$/i, '000000').replace(/k$/i, '000'));
if (!Number.isSafeInteger(rowCount) || !(reps >= 1) || !(runs >= 1) || !(tasks >= 1)) {
  process.stderr.write('usage: node scripts/bench/ui-overhead.mjs [--rows 1m] [--reps 3] [--runs 200] [--tasks 10000]\n');
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cpu = os.cpus();
console.log(
  `machine: ${cpu[0]?.model ?? 'cpu'} × ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

const tmp = mkdtempSync(join(os.tmpdir(), 'kindling-ui-bench-'));
const dataDir = join(ROOT, 'scripts/bench/data');
const csv = join(dataDir, `bank-${rows}.csv`);
if (!existsSync(csv)) {
  mkdirSync(dataDir, { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'scripts/gen-bank-like.mjs'), '--rows', String(rowCount), '--out', csv], { stdio: 'inherit' });
}

/** One submit; with `observed`, the event log + UI + one client that follows it. */
async function submitOnce(observed, i) {
  const base = [
    CLI,
    'submit',
    '--master',
    'local[2]',
    JOB,
    '--conf',
    `input.path=${csv}`,
    '--output',
    join(tmp, `out-${i}`),
    '--overwrite',
    '--no-progress',
    '--log-level',
    'info',
    '--json',
  ];
  const extra = observed ? ['--history-dir', join(tmp, 'history'), '--ui-port', '0'] : ['--no-ui', '--no-event-log'];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...base, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let fetches = 0;
  const ctrl = new AbortController();
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = /UI: (http:\S+)/.exec(stderr);
    if (m && !ctrl.started) {
      ctrl.started = true;
      void follow(m[1]);
    }
  });
  async function follow(url) {
    try {
      const res = await fetch(`${url}events`, { signal: ctrl.signal });
      const reader = res.body.getReader();
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        fetches++;
        await (await fetch(`${url}?page=stages&fragment=1`, { signal: ctrl.signal })).text();
      }
    } catch {
      /* the driver ended the stream */
    }
  }
  const code = await new Promise((r) => child.once('exit', r));
  ctrl.abort();
  if (code !== 0) throw new Error(`submit failed (${code}): ${stderr}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, fetches };
}

// 1. The job, interleaved so drift in the machine's load hits both sides alike.
await submitOnce(false, 'warm');
const off = [],
  on = [],
  fetched = [];
for (let r = 0; r < reps; r++) {
  for (const observed of r % 2 ? [true, false] : [false, true]) {
    const x = await submitOnce(observed, `${r}-${observed}`);
    (observed ? on : off).push(x.ms);
    if (observed) fetched.push(x.fetches);
  }
}
const mOff = median(off),
  mOn = median(on);
console.log(`\n1. ${rows}-row job, local[2], ${reps} reps each, interleaved`);
console.log(`   variant                               median s   runs (s)`);
console.log(
  `   no UI, no event log                   ${(mOff / 1000).toFixed(2).padStart(8)}   ${off.map((x) => (x / 1000).toFixed(2)).join(' ')}`,
);
console.log(
  `   event log + UI + 1 SSE client          ${(mOn / 1000).toFixed(2).padStart(8)}   ${on.map((x) => (x / 1000).toFixed(2)).join(' ')}   (client page fetches: ${fetched.join(' ')})`,
);
console.log(`   overhead: ${((mOn / mOff - 1) * 100).toFixed(1)} % (target < 3 %)`);

// 2. 200 runs in a history folder: copies of one real run's log under distinct ids.
const history = join(tmp, 'history');
const [log] = readdirSync(history).filter((n) => n.endsWith('.jsonl'));
const many = join(tmp, 'history-many');
mkdirSync(many);
for (let i = 0; i < runs; i++) copyFileSync(join(history, log), join(many, `run-${String(i).padStart(4, '0')}.jsonl`));
const t0 = process.hrtime.bigint();
const hs = await HistoryServer.start({ dir: many, port: 0, refreshMs: 3_600_000 });
const firstList = await (await fetch(hs.url)).text();
const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
const listTimes = [];
for (let i = 0; i < 20; i++) {
  const s = process.hrtime.bigint();
  await (await fetch(hs.url)).text();
  listTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
}
await hs.close();
const listed = (firstList.match(/<tr data-run=/g) ?? []).length;
console.log(
  `\n2. history folder of ${runs} runs (${listed} listed; each log ${(readdirSync(history).length && (await import('node:fs')).statSync(join(history, log)).size / 1024).toFixed(0)} KiB)`,
);
console.log(
  `   index all + first run list: ${openMs.toFixed(0)} ms (target < 1000 ms); run list median of 20: ${median(listTimes).toFixed(1)} ms`,
);

// 3. A 10,000-task stage page.
const store = new StatusStore();
store.apply({ event: 'stage-submitted', ts: 1, stageId: 0, name: 'gradient 1', tasks });
for (let i = 0; i < tasks; i++)
  store.apply({
    event: 'task-completed',
    ts: 2 + i,
    stageId: 0,
    partition: i,
    attempt: 0,
    executorId: `executor-${i % 4}`,
    queuedMs: i % 13,
    runMs: (i * 7919) % 1000,
  });
const ui = await WebUi.start({ store, runId: 'bench', port: 0 });
const pageTimes = [],
  apiTimes = [];
for (let i = 0; i < 20; i++) {
  let s = process.hrtime.bigint();
  await (await fetch(`${ui.url}?page=stage&id=0&sortBy=runMs&desc=1&offset=${i * 100}`)).text();
  pageTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
  s = process.hrtime.bigint();
  await (await fetch(`${ui.url}api/v1/applications/bench/stages/0/0/taskSummary`)).json();
  apiTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
}
await ui.close();
console.log(
  `\n3. stage with ${tasks} tasks: stage page (sorted, 100 rows) median ${median(pageTimes).toFixed(1)} ms, max ${Math.max(...pageTimes).toFixed(1)} ms (target < 200 ms); taskSummary median ${median(apiTimes).toFixed(1)} ms`,
);
rmSync(tmp, { recursive: true, force: true });
