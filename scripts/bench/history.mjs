#!/usr/bin/env node
/**
 * The history server on a folder of many event logs, this build against another (`--before DIR`,
 * e.g. /work/main), side by side in interleaved rounds (before, after, after, before, …). Each
 * server runs in its own process (so its RSS is its own) on its own copy of the folder:
 *   1. start + first run list (nothing indexed yet: every log is read once);
 *   2. a second run list (median of 10);
 *   3. one running log grows to its end (job-result included): refresh + run list, which must
 *      show the run SUCCEEDED;
 *   4. one run's stages page, first view and later views (median of 10);
 *   5. restart: a new server process on the same folder + first run list;
 *   6. the server's RSS after 1–4 (and the restarted one's after 5).
 * RSS and JS heap are measured after a full GC (the child runs with --expose-gc), at shutdown.
 * The logs are copies of one real log of the bank-lr job (bank.csv cut into ~20 partitions, the
 * shape and size of the 1M-row job's log: 17 stages, ~340 tasks, ~200 KiB), each with its own run
 * id, job id and times. Run by hand after `npx tsc -b` here and in the other build:
 *   node scripts/bench/history.mjs --before /work/main [--runs 200] [--rounds 3] [--partitions 20]
 */
import { execFileSync, fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '../..');

// ---- child: one history server of one build, driven over IPC ----
if (process.argv[2] === '--child') {
  const build = process.argv[3];
  const { HistoryServer } = await import(pathToFileURL(join(build, 'coordinator/dist/src/index.js')).href);
  let hs;
  process.on('message', async (m) => {
    const t0 = performance.now();
    if (m.op === 'start') hs = await HistoryServer.start({ dir: m.dir, port: 0, refreshMs: 3_600_000 });
    else if (m.op === 'refresh') await hs.index.refresh();
    else if (m.op === 'close') await hs.close();
    const ms = performance.now() - t0;
    // What the server keeps, not what it has not collected yet.
    globalThis.gc();
    process.send({ ms, url: hs?.url, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    if (m.op === 'close') process.exit(0);
  });
  process.send({ ready: true });
} else {
  await main();
}

async function main() {
  const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
  );
  const before = args.before ? resolve(args.before) : undefined;
  const runs = Number(args.runs ?? 200);
  const rounds = Number(args.rounds ?? 3);
  const partitions = Number(args.partitions ?? 20);
  if (!(runs >= 2) || !(rounds >= 1) || !(partitions >= 1)) {
    process.stderr.write('usage: node scripts/bench/history.mjs [--before DIR] [--runs 200] [--rounds 3] [--partitions 20]\n');
    process.exit(2);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const cpu = os.cpus();
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(
    `machine: ${cpu[0]?.model ?? 'cpu'} × ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${load()}`,
  );

  const tmp = mkdtempSync(join(os.tmpdir(), 'kindling-history-bench-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

  // One real log: bank.csv in ~`partitions` partitions, as the 1M-row job splits its file.
  const bank = join(ROOT, 'examples/data/bank.csv');
  const seed = join(tmp, 'seed');
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'cli/dist/src/main.js'),
      'submit',
      '--master',
      'local[2]',
      join(ROOT, 'examples/bank-lr.yaml'),
      '--conf',
      `input.maxPartitionBytes=${Math.ceil(statSync(bank).size / partitions)}`,
      '--output',
      join(tmp, 'seed-out'),
      '--history-dir',
      seed,
      '--no-ui',
      '--no-progress',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const [seedName] = readdirSync(seed);
  const lines = readFileSync(join(seed, seedName), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  const tasks = lines.filter((r) => r.event === 'task-completed').length;

  // Copies with their own ids and times; the last one is still running (its writer is this process).
  const base = join(tmp, 'base');
  mkdirSync(base);
  const t0 = lines[0].ts;
  const now = Date.now();
  const copy = (i) => {
    const runId = `bench-${String(i).padStart(4, '0')}`;
    const shift = now - t0 - (runs - i) * 600_000;
    return lines.map((r) => {
      const o = { ...r, ts: r.ts + shift };
      if (o.event === 'log-header') Object.assign(o, { runId, pid: process.pid });
      if (o.event === 'job-started') o.jobId = `job-${runId}`;
      return JSON.stringify(o);
    });
  };
  for (let i = 0; i < runs - 1; i++) writeFileSync(join(base, `bench-${String(i).padStart(4, '0')}.jsonl`), `${copy(i).join('\n')}\n`);
  const growing = `bench-${String(runs - 1).padStart(4, '0')}`;
  const growLines = copy(runs - 1);
  const cut = Math.floor(growLines.length / 2);
  writeFileSync(join(base, `${growing}.jsonl`), `${growLines.slice(0, cut).join('\n')}\n`);
  const tail = `${growLines.slice(cut).join('\n')}\n`;
  const logBytes = statSync(join(base, 'bench-0000.jsonl')).size;
  console.log(
    `${runs} logs of ${(logBytes / 1024).toFixed(0)} KiB (${lines.length} records, ${tasks} tasks), ${((logBytes * runs) / 2 ** 20).toFixed(1)} MiB in all; the last one grows by ${(Buffer.byteLength(tail) / 1024).toFixed(0)} KiB to its end; ${rounds} rounds, interleaved`,
  );

  function server(build) {
    const child = fork(SELF, ['--child', build], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
    const replies = [];
    const waiting = [];
    child.on('message', (m) => (waiting.length ? waiting.shift()(m) : replies.push(m)));
    const next = () => new Promise((r) => (replies.length ? r(replies.shift()) : waiting.push(r)));
    const ready = next();
    return {
      ready,
      call: async (op, extra = {}) => {
        child.send({ op, ...extra });
        return next();
      },
    };
  }
  const get = async (url) => {
    const s = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    return { ms: performance.now() - s, body };
  };
  const rowsOf = (body) => (body.match(/<tr data-run=/g) ?? []).length;
  const statusOf = (body, id) => new RegExp(`data-run="${id}" class="run-([A-Z]+)"`).exec(body)?.[1];

  async function once(build, r) {
    const dir = join(tmp, `r${r}-${build === ROOT ? 'after' : 'before'}`);
    cpSync(base, dir, { recursive: true });
    const out = {};
    let s = server(build);
    await s.ready;
    const w0 = performance.now();
    const started = await s.call('start', { dir });
    const first = await get(started.url);
    out.first = performance.now() - w0;
    if (rowsOf(first.body) !== runs) throw new Error(`${build}: listed ${rowsOf(first.body)} of ${runs}`);
    if (statusOf(first.body, growing) !== 'RUNNING') throw new Error(`${build}: ${growing} is ${statusOf(first.body, growing)}`);
    const lists = [];
    for (let i = 0; i < 10; i++) lists.push((await get(started.url)).ms);
    out.second = median(lists);
    appendFileSync(join(dir, `${growing}.jsonl`), tail);
    const g0 = performance.now();
    await s.call('refresh');
    const grown = await get(started.url);
    out.grown = performance.now() - g0;
    if (statusOf(grown.body, growing) !== 'SUCCEEDED')
      throw new Error(`${build}: after growing, ${growing} is ${statusOf(grown.body, growing)}`);
    out.page1 = (await get(`${started.url}run/bench-0007/?page=stages`)).ms;
    const pages = [];
    for (let i = 0; i < 10; i++) pages.push((await get(`${started.url}run/bench-0007/?page=stages`)).ms);
    out.page2 = median(pages);
    ({ rss: out.rss, heap: out.heap } = await s.call('close'));
    s = server(build);
    await s.ready;
    const x0 = performance.now();
    const again = await s.call('start', { dir });
    const list = await get(again.url);
    out.restart = performance.now() - x0;
    if (statusOf(list.body, growing) !== 'SUCCEEDED')
      throw new Error(`${build}: after restart, ${growing} is ${statusOf(list.body, growing)}`);
    ({ rss: out.rssRestart, heap: out.heapRestart } = await s.call('close'));
    rmSync(dir, { recursive: true, force: true });
    return out;
  }

  const sides = before ? { before, after: ROOT } : { after: ROOT };
  const results = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(sides);
    if (r % 2) order.reverse();
    for (const side of order) {
      const o = await once(sides[side], r);
      results[side].push(o);
      console.log(
        `  round ${r} ${side.padEnd(6)} first ${o.first.toFixed(0)} ms, second ${o.second.toFixed(1)} ms, grown ${o.grown.toFixed(1)} ms, page ${o.page1.toFixed(1)}/${o.page2.toFixed(1)} ms, restart ${o.restart.toFixed(0)} ms, RSS ${(o.rss / 2 ** 20).toFixed(0)}/${(o.rssRestart / 2 ** 20).toFixed(0)} MiB (load ${load()})`,
      );
    }
  }
  const rowsOut = [
    ['start + first run list (ms)', 'first', 0],
    ['later run list, median of 10 (ms)', 'second', 1],
    ['one log grew: refresh + list (ms)', 'grown', 1],
    ['run page, first view (ms)', 'page1', 1],
    ['run page, later views, median of 10 (ms)', 'page2', 1],
    ['restart + first run list (ms)', 'restart', 0],
    ['RSS after 1–4 (MiB)', 'rss', 0, 2 ** 20],
    ['RSS after restart (MiB)', 'rssRestart', 0, 2 ** 20],
    ['JS heap after 1–4, after GC (MiB)', 'heap', 1, 2 ** 20],
    ['JS heap after restart, after GC (MiB)', 'heapRestart', 1, 2 ** 20],
  ];
  console.log(`\nmedians of ${rounds} rounds${before ? ` (before = ${before}, after = ${ROOT})` : ''}`);
  console.log(`  ${'figure'.padEnd(44)}${before ? 'before'.padStart(10) : ''}${'after'.padStart(10)}${before ? '  before/after' : ''}`);
  for (const [label, key, digits, div = 1] of rowsOut) {
    const a = median(results.after.map((o) => o[key])) / div;
    const b = before ? median(results.before.map((o) => o[key])) / div : undefined;
    console.log(
      `  ${label.padEnd(44)}${b !== undefined ? b.toFixed(digits).padStart(10) : ''}${a.toFixed(digits).padStart(10)}${b !== undefined ? `${(b / a).toFixed(2).padStart(10)}×` : ''}`,
    );
  }
}
