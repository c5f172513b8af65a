#!/usr/bin/env node
/**
 * Input formats benchmark: the load part of the bank job (plan + schema inference + load into
 * cached columns) for the same rows as plain CSV, gzip CSV and Parquet (snappy, written by
 * DuckDB), in local mode. Each run is a fresh process (so its peak RSS is its own) running the
 * bank job with maxIter 1 and no predictions; the figures come from the driver's stage events.
 * Prints medians of --runs runs side by side, peak RSS, and the machine.
 * Run by hand after `npm run build`:
 *
 *   node scripts/bench/input-formats.mjs [--rows 1000000] [--runs 3] [--threads 2]
 *
 * Rows come from scripts/gen-bank-like.mjs (bank.csv's distribution, seeded), generated into
 * scripts/bench/data/ if missing. Partitioning is each format's default: CSV cut by
 * maxPartitionBytes (4 MiB), gzip one partition (not splittable), Parquet by row groups.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, createReadStream, createWriteStream } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};

if (args[0] === '--child') {
  await child(args[1], Number(args[2]));
} else {
  await parent();
}

/** One timed run: the bank job over `file`, printing one JSON line. */
async function child(file, threads) {
  const { DriverContext, EventBus, parseJobSpecFile } = await import('@kindling/coordinator');
  const { LocalExecutor } = await import('@kindling/executor');
  const out = mkdtempSync(join(os.tmpdir(), 'kindling-input-bench-'));
  try {
    const spec = await parseJobSpecFile(join(ROOT, 'examples/bank-lr.yaml'), {
      output: join(out, 'o'),
      conf: { 'input.path': file, 'model.maxIter': '1', 'output.predictions': 'false' },
    });
    const events = new EventBus();
    const t0 = performance.now();
    let firstStage;
    const stages = {};
    let partitions = 0;
    events.on('stage-submitted', (e) => {
      firstStage ??= performance.now();
      if (/^(scan|infer|load)/.test(e.name)) partitions = e.tasks;
    });
    events.on('stage-completed', (e) => {
      const kind = /^(scan|infer)/.test(e.name) ? 'infer' : /^load/.test(e.name) ? 'load' : undefined;
      if (kind) stages[kind] = (stages[kind] ?? 0) + e.durationMs;
    });
    let loadedAt;
    events.on('stage-submitted', (e) => {
      if (/^encode/.test(e.name)) loadedAt ??= performance.now();
    });
    const executor = new LocalExecutor({ threads });
    const driver = DriverContext.withExecutors([executor], { events, release: () => executor.close() });
    try {
      await driver.runJob(spec);
    } finally {
      await driver.close();
    }
    const planMs = firstStage - t0;
    process.stdout.write(
      JSON.stringify({
        planMs,
        inferMs: stages.infer ?? 0,
        loadMs: stages.load ?? 0,
        toLoadedMs: loadedAt - t0,
        partitions,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
      }) + '\n',
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function parent() {
  const rows = Number(opt('rows', '1000000'));
  const runs = Number(opt('runs', '3'));
  const threads = Number(opt('threads', '2'));
  const dataDir = join(ROOT, 'scripts/bench/data');
  mkdirSync(dataDir, { recursive: true });
  const csv = join(dataDir, `bank-${rows}.csv`);
  if (!existsSync(csv)) {
    console.error(`generating ${csv}…`);
    const g = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-bank-like.mjs'), '--rows', String(rows), '--out', csv], {
      stdio: 'inherit',
    });
    if (g.status !== 0) process.exit(1);
  }
  const gz = `${csv}.gz`;
  if (!existsSync(gz)) {
    console.error(`writing ${gz}…`);
    await pipeline(createReadStream(csv), createGzip(), createWriteStream(gz));
  }
  const parquet = csv.replace(/\.csv$/, '.snappy.parquet');
  if (!existsSync(parquet)) {
    console.error(`writing ${parquet} with DuckDB…`);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_csv('${csv}', header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) ` +
        `TO '${parquet}' (FORMAT parquet, COMPRESSION snappy)`,
    );
    c.closeSync();
    db.closeSync();
  }
  const formats = [
    ['csv', csv],
    ['csv.gz', gz],
    ['parquet', parquet],
  ];
  const results = Object.fromEntries(formats.map(([f]) => [f, []]));
  // Interleaved, so a noisy minute on the shared machine does not land on one format.
  for (let r = 0; r < runs + 1; r++) {
    for (const [name, file] of formats) {
      const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file, String(threads)], { encoding: 'utf8' });
      if (p.status !== 0) {
        console.error(p.stderr);
        process.exit(1);
      }
      const line = p.stdout.trim().split('\n').pop();
      if (r > 0) results[name].push(JSON.parse(line)); // the first round warms the page cache
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'cpu'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ` +
      `local[${threads}], ${rows.toLocaleString('en')} rows, medians of ${runs} runs (after 1 warm-up round)`,
  );
  const cols = ['format', 'file MB', 'partitions', 'plan ms', 'scan|infer ms', 'load ms', 'plan→loaded ms', 'peak RSS MiB'];
  const table = formats.map(([name, file]) => {
    const rs = results[name];
    return [
      name,
      (statSync(file).size / 1e6).toFixed(1),
      String(rs[0].partitions),
      median(rs.map((x) => x.planMs)).toFixed(0),
      median(rs.map((x) => x.inferMs)).toFixed(0),
      median(rs.map((x) => x.loadMs)).toFixed(0),
      median(rs.map((x) => x.toLoadedMs)).toFixed(0),
      median(rs.map((x) => x.maxRssMiB)).toFixed(0),
    ];
  });
  const widths = cols.map((c, i) => Math.max(c.length, ...table.map((r) => r[i].length)));
  console.log(cols.map((c, i) => c.padStart(widths[i])).join('  '));
  for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
  console.log(
    `runs (plan→loaded ms): ${formats.map(([n]) => `${n} ${results[n].map((x) => x.toLoadedMs.toFixed(0)).join('/')}`).join('; ')}`,
  );
}
