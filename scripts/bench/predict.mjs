#!/usr/bin/env node
/**
 * `kindling predict` against the training job on the same file: bank.csv's data rows repeated
 * to 1M and 10M rows (written under /tmp, never into the repository), the bank job trained once
 * on the 1M file, then per size the training job and `kindling predict` (Parquet output) each
 * run as a whole `kindling` process on local[2]. Prints the median wall time, rows/s (whole
 * process, and inside the command from its --json durationMs) and peak RSS (GNU time's %M) of
 * ≥ 3 runs at 1M and of `--runs10m` runs (default 1) at 10M, plus the machine. `--csv` adds
 * predict with CSV output. Runs alternate between the commands (a shared machine's load then
 * hits them alike).
 *
 *   npm run build && node scripts/bench/predict.mjs [--runs 3] [--runs10m 1] [--sizes 1000000,10000000] [--master local[2]] [--csv]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'cli/dist/src/main.js');
const BANK = join(ROOT, 'examples/data/bank.csv');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const WORK = join(os.tmpdir(), 'kindling-bench-predict');
const GNU_TIME = '/usr/bin/time';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(flag('--runs', '3'));
const runs10m = Number(flag('--runs10m', '1'));
const sizes = flag('--sizes', '1000000,10000000').split(',').map(Number);
const master = flag('--master', 'local[2]');
const withCsv = args.includes('--csv');

/** bank.csv's data rows repeated to `rows` rows (row ids and content cycle through the file). */
async function generate(rows) {
  const file = join(WORK, `bank-${rows}.csv`);
  if (existsSync(file)) return file;
  const [header, ...data] = readFileSync(BANK, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  const block = `${data.join('\n')}\n`;
  let written = 0;
  while (written + data.length <= rows) {
    if (!out.write(block)) await new Promise((r) => out.once('drain', r));
    written += data.length;
  }
  out.write(data.slice(0, rows - written).join('\n') + (rows > written ? '\n' : ''));
  await new Promise((r) => out.end(r));
  return file;
}

/** One whole process: wall seconds, peak RSS (bytes, via GNU time) and stdout. */
function timed(argv) {
  return new Promise((done, fail) => {
    const rssFile = join(WORK, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const useTime = existsSync(GNU_TIME);
    const [cmd, a] = useTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...argv]] : [process.execPath, argv];
    const started = process.hrtime.bigint();
    const child = spawn(cmd, a, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let rss;
      if (useTime && existsSync(rssFile)) {
        rss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) * 1024;
        rmSync(rssFile, { force: true });
      }
      if (code !== 0) fail(new Error(`${argv.slice(1, 3).join(' ')} exited ${code}\n${stderr.slice(-2000)}`));
      else done({ seconds, rss, stdout });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quiet = ['--log-level', 'warn', '--no-progress'];
const train = (csv, out) => [
  CLI,
  'submit',
  '--master',
  master,
  ...quiet,
  '--no-ui',
  '--no-event-log',
  '--json',
  '--overwrite',
  '--output',
  out,
  '--conf',
  `input.path=${csv}`,
  JOB,
];
const score = (csv, model, out) => [
  CLI,
  'predict',
  '--master',
  master,
  ...quiet,
  '--json',
  '--mode',
  'overwrite',
  '--model',
  model,
  '--output',
  out,
  csv,
];

mkdirSync(WORK, { recursive: true });
const machine = {
  cpu: os.cpus()[0]?.model.trim(),
  cores: os.cpus().length,
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
};
console.error(`machine: ${JSON.stringify(machine)}`);

const csv1m = await generate(sizes[0]);
const modelJob = join(WORK, 'model-job');
console.error(`training the model once on ${csv1m}`);
await timed(train(csv1m, modelJob));
const model = join(modelJob, 'pipeline-model');

const results = [];
for (const rows of sizes) {
  const csv = await generate(rows);
  const n = rows === sizes[0] ? runs : runs10m;
  const commands = [
    ['train (submit)', () => train(csv, join(WORK, 'train-out'))],
    ['predict (parquet)', () => score(csv, model, join(WORK, 'predict-out'))],
    ...(withCsv ? [['predict (csv)', () => [...score(csv, model, join(WORK, 'predict-out')), '--format', 'csv']]] : []),
  ];
  // Runs alternate between the commands, so a load change on a shared machine hits them alike.
  const samples = commands.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [c, [what, argv]] of commands.entries()) {
      const r = await timed(argv());
      samples[c].push({ ...r, innerMs: JSON.parse(r.stdout).durationMs });
      console.error(`  ${rows} rows, ${what}, run ${i + 1}: ${r.seconds.toFixed(2)} s, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB`);
    }
  }
  for (const [c, [what]] of commands.entries()) {
    const wall = median(samples[c].map((s) => s.seconds));
    const innerS = median(samples[c].map((s) => s.innerMs)) / 1000;
    results.push({
      rows,
      what,
      runs: n,
      wallSeconds: Number(wall.toFixed(2)),
      rowsPerSecond: Math.round(rows / wall),
      innerSeconds: Number(innerS.toFixed(2)),
      innerRowsPerSecond: Math.round(rows / innerS),
      peakRssMiB: Math.round(median(samples[c].map((s) => s.rss)) / 2 ** 20),
    });
  }
}
rmSync(join(WORK, 'train-out'), { recursive: true, force: true });
rmSync(join(WORK, 'predict-out'), { recursive: true, force: true });

console.log(
  `kindling predict vs the training job, ${master}, medians (machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node})`,
);
console.log('rows        command              runs  wall s   rows/s (process)  in-command s  rows/s (in command)  peak RSS MiB');
for (const r of results) {
  console.log(
    [
      String(r.rows).padEnd(10),
      r.what.padEnd(19),
      String(r.runs).padStart(4),
      r.wallSeconds.toFixed(2).padStart(7),
      String(r.rowsPerSecond).padStart(17),
      r.innerSeconds.toFixed(2).padStart(13),
      String(r.innerRowsPerSecond).padStart(20),
      String(r.peakRssMiB).padStart(13),
    ].join('  '),
  );
}
machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
console.log(`load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${machine.loadAverageAtEnd.join(' ')}`);
console.log(JSON.stringify({ machine, master, results }));
