#!/usr/bin/env node
/**
 * Telemetry overhead: the bank-lr job on a generated CSV (1M rows by default) with and without
 * the driver's Prometheus endpoint (`--metrics-port`) scraped every second, as Prometheus
 * would. The two variants alternate (which goes first flips each repetition) and the report
 * gives medians and the with / without ratio, because the 2 shared cores make single timings
 * noisy. Per-iteration telemetry (kernel timing, the 'iteration' event) is always on: it is
 * part of both variants. Run by hand after `npm run build`:
 *
 *   node scripts/bench/telemetry-overhead.mjs [--rows 1m] [--reps 3] [--master local[2]] [--json]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'cli/dist/src/main.js');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const GENERATOR = join(ROOT, 'scripts/gen-bank-like.mjs');
const DATA_DIR = join(ROOT, 'scripts/bench/data');

function fail(message) {
  process.stderr.write(`telemetry-overhead: ${message}\n`);
  process.exit(2);
}

function parseCount(text, name) {
  const m = /^([0-9][0-9_]*)([kKmM]?)$/.exec(String(text).trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) fail(`${name} must be a positive integer, got '${text}'`);
  return n;
}

function parseArgs(argv) {
  const o = { rows: 1_000_000, reps: 3, warmup: 1, master: 'local[2]', scrapeMs: 1000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => argv[++i] ?? fail(`${key} needs a value`);
    switch (key) {
      case '--rows':
        o.rows = parseCount(value(), '--rows');
        break;
      case '--reps':
        o.reps = parseCount(value(), '--reps');
        break;
      case '--warmup':
        o.warmup = Number(value());
        break;
      case '--master':
        o.master = value();
        break;
      case '--scrape-ms':
        o.scrapeMs = parseCount(value(), '--scrape-ms');
        break;
      case '--json':
        o.json = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'usage: node scripts/bench/telemetry-overhead.mjs [--rows 1m] [--reps 3] [--warmup 1] [--master local[2]] [--scrape-ms 1000] [--json]\n',
        );
        process.exit(0);
        break;
      default:
        fail(`unknown option ${key} (see --help)`);
    }
  }
  if (!Number.isInteger(o.warmup) || o.warmup < 0) fail('--warmup must be an integer >= 0');
  return o;
}

function rowsLabel(n) {
  if (n % 1e6 === 0) return `${n / 1e6}m`;
  if (n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

function ensureCsv(rows, log) {
  const csv = join(DATA_DIR, `bank-${rowsLabel(rows)}.csv`);
  if (existsSync(csv)) return csv;
  log(`generating ${relative(ROOT, csv)} (${rows} rows, seed 7) …`);
  const r = spawnSync(process.execPath, [GENERATOR, '--rows', String(rows), '--seed', '7', '--out', csv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) fail(`the generator failed (exit ${r.status})`);
  return csv;
}

async function freePort() {
  const s = createServer();
  await new Promise((res) => s.listen(0, '127.0.0.1', res));
  const { port } = s.address();
  await new Promise((res) => s.close(res));
  return port;
}

/** One whole `kindling submit`; with `scrapePort`, GET /metrics every scrapeMs while it runs. */
async function run(csv, o, scrapePort) {
  const out = mkdtempSync(join(os.tmpdir(), 'kindling-telemetry-bench-'));
  const args = [
    CLI,
    'submit',
    '--master',
    o.master,
    '--no-progress',
    '--json',
    '--log-level',
    'warn',
    '--conf',
    `input.path=${csv}`,
    '--output',
    join(out, 'o'),
  ];
  if (scrapePort !== undefined) args.push('--metrics-port', String(scrapePort));
  args.push(JOB);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (b) => stdout.push(b));
  child.stderr.on('data', (b) => stderr.push(b));
  let scrapes = 0;
  let bytes = 0;
  let timer;
  if (scrapePort !== undefined) {
    timer = setInterval(() => {
      fetch(`http://127.0.0.1:${scrapePort}/metrics`).then(
        async (r) => {
          bytes += (await r.text()).length;
          scrapes++;
        },
        () => undefined, // not listening yet, or already gone
      );
    }, o.scrapeMs);
  }
  const code = await new Promise((res) => child.on('close', res));
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(out, { recursive: true, force: true });
  if (code !== 0) fail(`kindling submit exited ${code}:\n${Buffer.concat(stderr).toString('utf8')}`);
  const result = JSON.parse(Buffer.concat(stdout).toString('utf8'));
  return { seconds, jobSeconds: result.durationMs / 1000, scrapes, bytes };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (line) => process.stderr.write(`${line}\n`);
  if (!existsSync(CLI)) fail('cli/dist/src/main.js is missing: run npm run build first');
  const csv = ensureCsv(o.rows, log);
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  const plain = [];
  const scraped = [];
  for (let i = 0; i < o.warmup; i++) {
    log(`warm-up ${i + 1}/${o.warmup} …`);
    await run(csv, o, undefined);
  }
  for (let rep = 0; rep < o.reps; rep++) {
    const order = rep % 2 === 0 ? ['plain', 'scraped'] : ['scraped', 'plain'];
    for (const variant of order) {
      const r = variant === 'plain' ? await run(csv, o, undefined) : await run(csv, o, await freePort());
      (variant === 'plain' ? plain : scraped).push(r);
      log(
        `rep ${rep + 1}/${o.reps} ${variant.padEnd(7)} wall ${r.seconds.toFixed(2)} s, job ${r.jobSeconds.toFixed(2)} s${variant === 'scraped' ? `, ${r.scrapes} scrapes (${(r.bytes / 1024).toFixed(0)} KiB)` : ''}`,
      );
    }
  }
  machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  const summary = {
    machine,
    rows: o.rows,
    master: o.master,
    reps: o.reps,
    scrapeMs: o.scrapeMs,
    withoutMetrics: { wallSeconds: plain.map((r) => r.seconds), jobSeconds: plain.map((r) => r.jobSeconds) },
    withMetricsScraped: {
      wallSeconds: scraped.map((r) => r.seconds),
      jobSeconds: scraped.map((r) => r.jobSeconds),
      scrapes: scraped.map((r) => r.scrapes),
    },
    medians: {
      wallWithout: median(plain.map((r) => r.seconds)),
      wallWith: median(scraped.map((r) => r.seconds)),
      jobWithout: median(plain.map((r) => r.jobSeconds)),
      jobWith: median(scraped.map((r) => r.jobSeconds)),
    },
  };
  // Each rep's two runs ran back to back, so their ratio cancels most of the drift in load.
  const paired = plain.map((r, i) => scraped[i].seconds / r.seconds);
  summary.ratios = {
    wall: summary.medians.wallWith / summary.medians.wallWithout,
    job: summary.medians.jobWith / summary.medians.jobWithout,
    pairedWallMedian: median(paired),
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const f = (x) => x.toFixed(2).padStart(8);
  process.stdout.write(
    [
      `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.platform}, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')} → ${machine.loadAverageAtEnd.join(' ')}`,
      `job: bank-lr on ${rowsLabel(o.rows)} rows (${relative(ROOT, csv)}), ${o.master}, ${o.reps} interleaved reps after ${o.warmup} warm-up; metrics scraped every ${o.scrapeMs} ms`,
      '',
      '| variant                        | wall s (median) | job s (median) | runs (wall s)        |',
      '| ------------------------------ | --------------- | -------------- | -------------------- |',
      `| without --metrics-port         | ${f(summary.medians.wallWithout)}        | ${f(summary.medians.jobWithout)}       | ${plain.map((r) => r.seconds.toFixed(2)).join(', ')} |`,
      `| with --metrics-port, scraped   | ${f(summary.medians.wallWith)}        | ${f(summary.medians.jobWith)}       | ${scraped.map((r) => r.seconds.toFixed(2)).join(', ')} |`,
      `| ratio with / without           | ${summary.ratios.wall.toFixed(3).padStart(8)}        | ${summary.ratios.job.toFixed(3).padStart(8)}       |                      |`,
      '',
      `median of the per-rep wall ratios (with / without, same rep): ${summary.ratios.pairedWallMedian.toFixed(3)}`,
      '',
    ].join('\n'),
  );
}

await main();
