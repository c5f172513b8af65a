#!/usr/bin/env node
/**
 * End-to-end benchmark: the whole bank-lr job in Kindling local mode against the same pipeline in
 * pandas + scikit-learn (scripts/bench/baseline_sklearn.py), on the same CSV and machine.
 * Run by hand (see scripts/bench/README.md) after `npm run build`. Each repetition runs both
 * whole processes back to back, alternating which goes first, and the report uses medians and
 * the sklearn / kindling ratio, because the 2 shared cores make single timings noisy.
 *
 *   node scripts/bench/end-to-end.mjs [--csv FILE | --rows N] [--reps 5] [--master local[2]] [--anchors] [--json]
 *
 * --cluster also runs the job on 2 executor processes (1 thread each) over a real nats-server,
 * twice: executors that read the file themselves, and executors that cannot open it (each in
 * its own mount namespace with the file's folder under an empty tmpfs, as pods without a
 * shared volume: every byte comes from the driver). Executors start before the driver, as
 * long-running pods would; the time is the driver process's wall time, and the peak RSS of
 * every process (driver and each executor) is reported.
 *
 * --anchors also times nodejs-polars `readCSV` on the same file (scripts/bench/anchors, its own
 * package: `npm ci --prefix scripts/bench/anchors` once) and sets it against Kindling's read of
 * the CSV into cached columns (the scan + load stage totals of run.json).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_CLI = join(ROOT, 'cli/dist/src/main.js');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const GENERATOR = join(ROOT, 'scripts/gen-bank-like.mjs');
const BASELINE = join(ROOT, 'scripts/bench/baseline_sklearn.py');
const POLARS_READ = join(ROOT, 'scripts/bench/anchors/polars-read.mjs');
const EXECUTOR_MAIN = join(ROOT, 'executor/dist/src/main.js');
const DATA_DIR = join(ROOT, 'scripts/bench/data');
const DEFAULT_CSV = join(ROOT, 'examples/data/bank.csv');
/** Debian's interpreter: the python3 first on PATH may be a pyenv one without pandas/sklearn. */
const PYTHON = '/usr/bin/python3';

function usage(code) {
  process.stdout.write(
    `usage: node scripts/bench/end-to-end.mjs [options]
  --csv FILE           input CSV (default examples/data/bank.csv)
  --rows N             use scripts/bench/data/bank-<N>.csv, generating it first if missing (1m, 500k, 2000000…)
  --seed S             generator seed for --rows (default 7)
  --reps N             timed repetitions (default 5)
  --warmup N           untimed repetitions first, to warm the page cache (default 1)
  --master M           Kindling master (default local[2])
  --max-iter N         sklearn LogisticRegression max_iter (default 10, as bank-lr's maxIter)
  --kindling-conf K=V  extra --conf for Kindling (repeatable), e.g. output.predictions=false
  --cli FILE           Kindling CLI entry point run with node (default cli/dist/src/main.js)
  --compare-cli FILE   also time this CLI (e.g. an older build), interleaved with the others
  --no-sklearn         time Kindling only (pandas needs ~12× the CSV in memory at 10M rows)
  --anchors            also time nodejs-polars readCSV on the file (npm ci --prefix scripts/bench/anchors)
  --cluster            also run on 2 executor processes over nats-server, with and without access to the file
  --executor-memory S  with --cluster: each executor's block-store budget (kindling executor --memory S), e.g. 512m;
                       prints each executor's evictions, rebuilds and peak cached bytes
  --timeout S          kill a run after S seconds (default 1800)
  --json               print the summary as one JSON object
`,
  );
  process.exit(code);
}

function fail(message) {
  process.stderr.write(`end-to-end: ${message}\n`);
  process.exit(2);
}

function parseCount(text, name) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(String(text).trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) fail(`${name} must be a non-negative integer, got '${text}'`);
  return n;
}

function parseArgs(argv) {
  const o = {
    csv: undefined,
    rows: undefined,
    seed: 7,
    reps: 5,
    warmup: 1,
    master: 'local[2]',
    maxIter: 10,
    kindlingConf: [],
    timeout: 1800,
    json: false,
    cli: DEFAULT_CLI,
    compareCli: undefined,
    sklearn: true,
    anchors: false,
    cluster: false,
    executorMemory: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [key, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--csv':
        o.csv = resolve(value());
        break;
      case '--rows':
        o.rows = parseCount(value(), '--rows');
        break;
      case '--seed':
        o.seed = parseCount(value(), '--seed');
        break;
      case '--reps':
        o.reps = parseCount(value(), '--reps');
        break;
      case '--warmup':
        o.warmup = parseCount(value(), '--warmup');
        break;
      case '--master':
        o.master = value();
        break;
      case '--max-iter':
        o.maxIter = parseCount(value(), '--max-iter');
        break;
      case '--kindling-conf':
        o.kindlingConf.push(value());
        break;
      case '--cli':
        o.cli = resolve(value());
        break;
      case '--compare-cli':
        o.compareCli = resolve(value());
        break;
      case '--no-sklearn':
        o.sklearn = false;
        break;
      case '--anchors':
        o.anchors = true;
        break;
      case '--cluster':
        o.cluster = true;
        break;
      case '--executor-memory':
        o.executorMemory = value();
        if (!/^\d+(\.\d+)?[kmgt]?$/i.test(o.executorMemory))
          fail(`--executor-memory: expected a size such as 512m or 4g, got '${o.executorMemory}'`);
        break;
      case '--timeout':
        o.timeout = parseCount(value(), '--timeout');
        break;
      case '--json':
        o.json = true;
        break;
      case '--help':
      case '-h':
        usage(0);
        break;
      default:
        fail(`unknown argument '${arg}' (see --help)`);
    }
  }
  if (o.csv !== undefined && o.rows !== undefined) fail('give --csv or --rows, not both');
  if (o.reps < 1) fail('--reps must be at least 1');
  return o;
}

/** 1000000 → "1m", 250000 → "250k", others verbatim: the data file's name for --rows. */
function rowsLabel(n) {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}m`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

function ensureGenerated(rows, seed, log) {
  const name = seed === 7 ? `bank-${rowsLabel(rows)}.csv` : `bank-${rowsLabel(rows)}-s${seed}.csv`;
  const csv = join(DATA_DIR, name);
  if (existsSync(csv) && existsSync(`${csv}.truth.json`)) return csv;
  log(`generating ${relative(ROOT, csv)} (${rows} rows, seed ${seed}) …`);
  const r = spawnSync(process.execPath, [GENERATOR, '--rows', String(rows), '--seed', String(seed), '--out', csv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) fail(`the generator failed (exit ${r.status})`);
  log(r.stdout.trim());
  return csv;
}

/** GNU time, which reports a finished process's peak RSS (%M, KiB); absent → no RSS column. */
const GNU_TIME = '/usr/bin/time';
let rssSeq = 0;

/**
 * Runs one whole process; wall time from spawn to exit, stdout/stderr captured, and its peak
 * RSS in bytes (`maxRssBytes`) when GNU time is installed. In local mode the driver, its
 * worker threads and executors are that one process, so this is the job's whole footprint.
 */
function timedRun(command, args, timeoutSeconds) {
  return new Promise((resolveRun) => {
    const rssFile = existsSync(GNU_TIME) ? join(os.tmpdir(), `kindling-bench-rss-${process.pid}-${rssSeq++}`) : undefined;
    const [cmd, argv] = rssFile ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
    const started = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    const finish = (code, signal, spawnError) => {
      clearTimeout(timer);
      let maxRssBytes;
      if (rssFile && existsSync(rssFile)) {
        const kib = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(kib)) maxRssBytes = kib * 1024;
        rmSync(rssFile, { force: true });
      }
      resolveRun({
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        maxRssBytes,
        code,
        signal,
        timedOut,
        spawnError,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal, undefined));
  });
}

/** The JSON object a process printed on stdout (whole output, else the outermost {...} span). */
function parseJsonOutput(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start < 0 || end <= start) return undefined;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      return undefined;
    }
  }
}

/** Why a run failed, with the head and tail of its output (the error line is usually at the top). */
function describeFailure(name, run) {
  const why = run.spawnError
    ? `could not start: ${run.spawnError.message}`
    : run.timedOut
      ? 'timed out'
      : run.code !== 0
        ? `exited with ${run.code ?? run.signal}`
        : 'printed no parsable JSON result';
  const lines = (run.stderr.trim() || run.stdout.trim()).split('\n');
  const shown = lines.length <= 16 ? lines : [...lines.slice(0, 8), `… (${lines.length - 14} lines)`, ...lines.slice(-6)];
  const text = shown.join('\n').trim();
  return `${name} ${why}${text ? `; output:\n${text.replace(/^/gm, '    ')}` : ''}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function machine(pythonVersions) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: pythonVersions?.python ?? pythonVersionFallback(),
    pandas: pythonVersions?.pandas,
    sklearn: pythonVersions?.sklearn,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

function pythonVersionFallback() {
  const r = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().replace(/^Python /, '') : 'unavailable';
}

/** Peak RSS (VmHWM) of a live process, in bytes; undefined once it is gone. */
function peakRssOf(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** `cmd` in a private mount namespace where `dir` is covered by an empty tmpfs (as a pod without the volume). */
function hiddenFrom(dir, cmd) {
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs "$0" && exec "$@"', dir, ...cmd]];
}

/** Whether executors can be started with `dir` hidden (needs root for unshare -m). */
function canHide(dir, file) {
  const [cmd, args] = hiddenFrom(dir, ['sh', '-c', `test ! -e '${file}'`]);
  const r = spawnSync(cmd, args);
  return r.status === 0 ? undefined : (r.error?.message ?? r.stderr.toString().trim()) || 'unshare -m failed';
}

/**
 * One cluster run: start `n` executor processes (hidden from `hideDir` when given), wait until
 * each serves, time the driver CLI as a whole process, then read every executor's peak RSS and
 * stop them.
 */
async function clusterRun(natsUrl, n, hideDir, driverArgs, timeoutSeconds, memory) {
  const executors = [];
  for (let i = 0; i < n; i++) {
    const cmd = [process.execPath, EXECUTOR_MAIN, '--master', natsUrl, '--id', `bench-${i}`, '--cores', '1', '--health-port', '0'];
    if (memory !== undefined) cmd.push('--memory', memory);
    const [bin, args] = hideDir ? hiddenFrom(hideDir, cmd) : [cmd[0], cmd.slice(1)];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const e = { child, serving: undefined, log: '' };
    e.serving = new Promise((ok, ko) => {
      let text = '';
      child.stdout.on('data', (b) => {
        text += b;
        e.log += b;
        if (text.includes('executor serving')) ok();
      });
      child.once('exit', (code) => ko(new Error(`executor bench-${i} exited with ${code} before serving: ${text.slice(-400)}`)));
    });
    child.stderr.resume();
    executors.push(e);
  }
  let run;
  try {
    await Promise.all(executors.map((e) => e.serving));
    run = await timedRun(process.execPath, driverArgs, timeoutSeconds);
    run.executorPeakRssBytes = executors.map((e) => peakRssOf(e.child.pid));
  } finally {
    await Promise.all(
      executors.map((e) =>
        e.child.exitCode !== null ? undefined : new Promise((r) => (e.child.once('exit', r), e.child.kill('SIGTERM'))),
      ),
    );
  }
  // Logged by each executor as it stops: evictions and rebuilds under --memory.
  run.executorStore = executors.map((e) => storeFigures(e.log));
  return run;
}

/** The block-store figures an executor logs when it stops ('executor stopped'), or undefined. */
function storeFigures(log) {
  for (const line of log.split('\n').reverse()) {
    if (!line.includes('"executor stopped"')) continue;
    try {
      const { evictions, rebuilds, peakCachedBytes, budgetBytes } = JSON.parse(line);
      return { evictions, rebuilds, peakCachedBytes, budgetBytes };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (line) => process.stderr.write(`${line}\n`);
  let csv = o.csv;
  if (o.rows !== undefined) csv = ensureGenerated(o.rows, o.seed, log);
  if (csv === undefined) csv = DEFAULT_CSV;
  if (!existsSync(csv)) fail(`input CSV not found: ${csv}`);

  const CLI = o.cli;
  const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const outDir = mkdtempSync(join(os.tmpdir(), 'kindling-bench-'));
  const kindlingArgsFor = (cli, out) => [
    cli,
    'submit',
    '--master',
    o.master,
    '--no-progress',
    '--json',
    '--output',
    join(outDir, out),
    '--overwrite',
    '--conf',
    `input.path=${csv}`,
    ...o.kindlingConf.flatMap((kv) => ['--conf', kv]),
    JOB,
  ];
  const kindlingArgs = kindlingArgsFor(CLI, 'out');
  const sklearnArgs = [BASELINE, csv, '--max-iter', String(o.maxIter), '--json'];

  const engines = {
    kindling: { label: 'kindling', command: process.execPath, args: kindlingArgs, available: true, runs: [], failures: 0 },
    sklearn: { label: 'sklearn', command: PYTHON, args: sklearnArgs, available: true, runs: [], failures: 0 },
  };
  if (o.compareCli !== undefined) {
    if (!existsSync(o.compareCli)) fail(`--compare-cli: ${o.compareCli} not found`);
    engines.before = {
      label: 'kindling-before',
      command: process.execPath,
      args: kindlingArgsFor(o.compareCli, 'out-before'),
      available: true,
      runs: [],
      failures: 0,
      out: 'out-before',
    };
  }
  engines.kindling.out = 'out';
  const notes = [];
  let nats;
  if (o.cluster) {
    const { NatsServerProcess } = await import(pathToFileURL(join(ROOT, 'cli/dist/src/index.js')).href);
    nats = await NatsServerProcess.start({});
    const clusterArgs = (out) => {
      const args = kindlingArgsFor(CLI, out);
      args[args.indexOf('--master') + 1] = nats.url;
      return args;
    };
    engines.cluster = {
      label: 'cluster',
      run: () => clusterRun(nats.url, 2, undefined, clusterArgs('out-cluster'), o.timeout, o.executorMemory),
      available: true,
      runs: [],
      failures: 0,
      out: 'out-cluster',
    };
    const hideDir = dirname(realpathSync(csv));
    const whyNot = canHide(hideDir, realpathSync(csv));
    if (whyNot === undefined) {
      engines.hidden = {
        label: 'cluster-hidden',
        run: () => clusterRun(nats.url, 2, hideDir, clusterArgs('out-hidden'), o.timeout, o.executorMemory),
        available: true,
        runs: [],
        failures: 0,
        out: 'out-hidden',
      };
    } else {
      notes.push(`cluster with hidden input skipped: ${whyNot}`);
    }
  }
  if (o.anchors) {
    if (!existsSync(join(ROOT, 'scripts/bench/anchors/node_modules/nodejs-polars'))) {
      fail('--anchors needs nodejs-polars: run `npm ci --prefix scripts/bench/anchors` once');
    }
    engines.polars = { label: 'polars', command: process.execPath, args: [POLARS_READ, csv], available: true, runs: [], failures: 0 };
  }
  const keys = Object.keys(engines);
  if (!existsSync(CLI) || !existsSync(JOB)) {
    engines.kindling.available = false;
    notes.push(
      `Kindling is not runnable yet: ${existsSync(CLI) ? '' : `${relative(ROOT, CLI)} is missing (run \`npm run build\` first)`}` +
        `${!existsSync(CLI) && !existsSync(JOB) ? '; ' : ''}${existsSync(JOB) ? '' : `${relative(ROOT, JOB)} is missing`}. ` +
        'Timing the sklearn baseline only.',
    );
    log(notes[notes.length - 1]);
  }
  if (!o.sklearn) {
    engines.sklearn.available = false;
  } else if (!existsSync(PYTHON)) {
    engines.sklearn.available = false;
    notes.push(`${PYTHON} not found: install Debian's python3-pandas and python3-sklearn.`);
    log(notes[notes.length - 1]);
  }

  log(`input ${relative(ROOT, csv) || csv}: ${o.warmup} warm-up + ${o.reps} timed repetitions, alternating order`);
  const total = o.warmup + o.reps;
  for (let rep = 0; rep < total; rep++) {
    const warm = rep < o.warmup;
    // Rotate the order so no engine always runs first (or right after the heaviest one).
    const order = keys.map((_, i) => keys[(i + rep) % keys.length]);
    for (const key of order) {
      const e = engines[key];
      if (!e.available) continue;
      const run = e.run ? await e.run() : await timedRun(e.command, e.args, o.timeout);
      const result = run.code === 0 && !run.timedOut ? parseJsonOutput(run.stdout) : undefined;
      // The polars anchor reads the file and trains nothing: its figure is the read itself.
      const auc =
        key === 'polars'
          ? typeof result?.rows === 'number'
            ? NaN
            : undefined
          : key !== 'sklearn'
            ? result?.metrics?.test?.areaUnderROC
            : result?.test?.areaUnderROC;
      const tag = warm ? `warm-up ${rep + 1}` : `rep ${rep - o.warmup + 1}/${o.reps}`;
      if (result === undefined || typeof auc !== 'number') {
        e.failures++;
        const name = key === 'sklearn' ? 'The sklearn baseline' : e.label;
        notes.push(`${tag}: ${describeFailure(name, run)}`);
        log(notes[notes.length - 1]);
        // An engine that has never succeeded is not runnable: stop trying it. A later,
        // intermittent failure is recorded and that repetition is left out of its figures.
        if (e.runs.length === 0 && !e.succeededInWarmup) e.available = false;
        continue;
      }
      if (warm) e.succeededInWarmup = true;
      if (key === 'sklearn') e.versions = result.versions;
      if (key === 'sklearn') e.rows = result.rows;
      const executorRss = run.executorPeakRssBytes?.filter((x) => x !== undefined) ?? [];
      const rss =
        run.maxRssBytes === undefined
          ? ''
          : `   peak RSS ${(run.maxRssBytes / 1e9).toFixed(2)} GB` +
            (executorRss.length ? ` (driver) + ${executorRss.map((x) => (x / 1e9).toFixed(2)).join(' + ')} GB (executors)` : '');
      const what = key === 'polars' ? `readCSV ${(result.readMs / 1000).toFixed(3)} s, ${result.rows} rows` : `test AUC ${auc.toFixed(6)}`;
      const store = (run.executorStore ?? []).filter((x) => x?.budgetBytes !== undefined);
      const budget = store.length
        ? `; executors' cache (budget ${(store[0].budgetBytes / 1e6).toFixed(0)} MB): ` +
          store.map((x) => `peak ${(x.peakCachedBytes / 1e6).toFixed(0)} MB, ${x.evictions} evictions, ${x.rebuilds} rebuilds`).join(' | ')
        : '';
      log(`${tag.padEnd(12)} ${e.label.padEnd(9)} ${run.seconds.toFixed(3).padStart(9)} s   ${what}${rss}${budget}`);
      // Kindling's run record: the job's own duration and its stage totals (driver work = the rest).
      let stages;
      if (e.out !== undefined && existsSync(join(outDir, e.out, 'run.json'))) {
        const rec = JSON.parse(readFileSync(join(outDir, e.out, 'run.json'), 'utf8'));
        const inStages = Object.values(rec.stageTotalsMs ?? {}).reduce((a, b) => a + b, 0);
        stages = { jobMs: rec.durationMs, totalsMs: rec.stageTotalsMs, outsideStagesMs: rec.durationMs - inStages };
      }
      // A process's footprint: the driver's, plus every executor's in cluster mode.
      const maxRssBytes = run.maxRssBytes === undefined ? undefined : run.maxRssBytes + executorRss.reduce((a, b) => a + b, 0);
      if (!warm) e.runs.push({ rep, seconds: run.seconds, auc, result, maxRssBytes, stages, executorStore: run.executorStore });
    }
  }
  rmSync(outDir, { recursive: true, force: true });
  if (nats) await nats.stop();

  const summarise = (e) =>
    e.runs.length === 0
      ? undefined
      : {
          medianSeconds: median(e.runs.map((r) => r.seconds)),
          minSeconds: Math.min(...e.runs.map((r) => r.seconds)),
          maxSeconds: Math.max(...e.runs.map((r) => r.seconds)),
          seconds: e.runs.map((r) => r.seconds),
          failedRuns: e.failures,
          testAUC: median(e.runs.map((r) => r.auc)),
          testAUCs: [...new Set(e.runs.map((r) => r.auc))],
          peakRssBytes: e.runs.every((r) => r.maxRssBytes !== undefined) ? median(e.runs.map((r) => r.maxRssBytes)) : undefined,
        };
  const k = summarise(engines.kindling);
  const s = summarise(engines.sklearn);
  const kb = engines.before ? summarise(engines.before) : undefined;
  /** Kindling's read of the CSV into cached columns: every stage that reads the input (scan, infer, load). */
  const readMs = (e) => {
    const runs = e.runs.filter((r) => r.stages);
    if (runs.length === 0) return undefined;
    return median(
      runs.map((r) =>
        Object.entries(r.stages.totalsMs)
          .filter(([n]) => /^(scan|infer schema|load) /.test(n))
          .reduce((a, [, ms]) => a + ms, 0),
      ),
    );
  };
  const anchors = engines.polars
    ? {
        polarsReadMs: engines.polars.runs.length ? median(engines.polars.runs.map((r) => r.result.readMs)) : undefined,
        polarsProcessSeconds: engines.polars.runs.length ? median(engines.polars.runs.map((r) => r.seconds)) : undefined,
        polarsPeakRssBytes: engines.polars.runs.every((r) => r.maxRssBytes !== undefined)
          ? median(engines.polars.runs.map((r) => r.maxRssBytes))
          : undefined,
        kindlingReadMs: readMs(engines.kindling),
        ...(engines.before && { kindlingBeforeReadMs: readMs(engines.before) }),
      }
    : undefined;
  /** Median of each stage total over the runs, plus the job and its time outside stages. */
  const stageMedians = (e) => {
    const runs = e.runs.filter((r) => r.stages);
    if (runs.length === 0) return undefined;
    const names = [...new Set(runs.flatMap((r) => Object.keys(r.stages.totalsMs)))];
    const out = Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r.stages.totalsMs[n] ?? 0))]));
    return {
      ...out,
      'job (run.json durationMs)': median(runs.map((r) => r.stages.jobMs)),
      'outside stages (driver)': median(runs.map((r) => r.stages.outsideStagesMs)),
    };
  };
  // Paired ratios use runs taken next to each other, so a noisy neighbour hits both sides.
  const sklearnByRep = new Map(engines.sklearn.runs.map((r) => [r.rep, r.seconds]));
  const paired = engines.kindling.runs.filter((r) => sklearnByRep.has(r.rep)).map((r) => sklearnByRep.get(r.rep) / r.seconds);
  const summary = {
    csv: relative(ROOT, csv) || csv,
    csvBytes: statSync(csv).size,
    rows: engines.sklearn.rows,
    reps: o.reps,
    master: o.master,
    kindling: k ?? null,
    kindlingBefore: kb ?? null,
    sklearn: s ?? null,
    stageMediansMs: {
      kindling: stageMedians(engines.kindling),
      ...(engines.before && { kindlingBefore: stageMedians(engines.before) }),
      ...(engines.cluster && { cluster: stageMedians(engines.cluster) }),
      ...(engines.hidden && { clusterHidden: stageMedians(engines.hidden) }),
    },
    ...(engines.cluster && { cluster: summarise(engines.cluster) ?? null }),
    ...(engines.hidden && { clusterHidden: summarise(engines.hidden) ?? null }),
    ratioSklearnOverKindling: k && s ? s.medianSeconds / k.medianSeconds : null,
    ...(anchors && { anchors }),
    medianPairedRatio: paired.length ? median(paired) : null,
    machine: { ...machine(engines.sklearn.versions), loadAverageAtStart: loadAtStart },
    notes,
  };

  if (o.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const fmt = (x) =>
      x === undefined
        ? 'n/a'
        : `${x.medianSeconds.toFixed(3)} s median of ${x.seconds.length} (min ${x.minSeconds.toFixed(3)}, max ${x.maxSeconds.toFixed(3)}), ` +
          `test AUC ${x.testAUC.toFixed(6)}` +
          (x.peakRssBytes === undefined
            ? ''
            : `, peak RSS ${(x.peakRssBytes / 1e9).toFixed(2)} GB median (${(x.peakRssBytes / summary.csvBytes).toFixed(2)}× the CSV)`) +
          `${x.failedRuns ? `, ${x.failedRuns} failed run(s) left out` : ''}`;
    const m = summary.machine;
    const lines = [
      '',
      `end-to-end bank-lr, ${summary.csv}${summary.rows ? ` (${summary.rows} rows)` : ''}, ${o.reps} reps, whole-process wall time`,
      `  kindling (${o.master}): ${fmt(k)}`,
      ...(engines.before ? [`  kindling-before (${relative(ROOT, o.compareCli) || o.compareCli}): ${fmt(kb)}`] : []),
      ...(engines.cluster
        ? [`  cluster, 2 executor processes reading the file: ${fmt(summarise(engines.cluster))} (RSS: driver + executors)`]
        : []),
      ...(engines.hidden
        ? [`  cluster, 2 executors that cannot open the file: ${fmt(summarise(engines.hidden))} (RSS: driver + executors)`]
        : []),
      ...(engines.cluster && k && summarise(engines.cluster)
        ? [
            `  cluster / local: ${(summarise(engines.cluster).medianSeconds / k.medianSeconds).toFixed(2)}` +
              (engines.hidden && summarise(engines.hidden)
                ? `; hidden input / local: ${(summarise(engines.hidden).medianSeconds / k.medianSeconds).toFixed(2)}`
                : ''),
          ]
        : []),
      `  sklearn (max_iter ${o.maxIter}):  ${fmt(s)}`,
      summary.ratioSklearnOverKindling === null
        ? '  ratio sklearn / kindling: n/a (needs both engines)'
        : `  ratio sklearn / kindling: ${summary.ratioSklearnOverKindling.toFixed(2)} of medians, ${summary.medianPairedRatio?.toFixed(2) ?? 'n/a'} median of paired runs (> 1: Kindling is faster)`,
      `  machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; node ${m.node}, python ${m.python}` +
        `${m.pandas ? `, pandas ${m.pandas}, scikit-learn ${m.sklearn}` : ''}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverage.join(' ')} at end`,
      ...notes.map((n) => `  note: ${n}`),
    ];
    const st = summary.stageMediansMs;
    if (st.kindling) {
      const cols = Object.keys(st).filter((c) => st[c]);
      const names = [...new Set(cols.flatMap((c) => Object.keys(st[c])))];
      lines.push('', `  | stage (median ms) | ${cols.join(' | ')} |`, `  | --- |${cols.map(() => ' --- |').join('')}`);
      for (const n of names) lines.push(`  | ${n} | ${cols.map((c) => st[c][n] ?? '—').join(' | ')} |`);
    }
    if (anchors) {
      const a = anchors;
      const ms = (x) => (x === undefined ? 'n/a' : `${(x / 1000).toFixed(3)} s`);
      lines.push(
        '',
        `  read the CSV into columns: nodejs-polars readCSV ${ms(a.polarsReadMs)} median (types from its first 100 rows; whole process ${a.polarsProcessSeconds?.toFixed(3) ?? 'n/a'} s` +
          `${a.polarsPeakRssBytes ? `, peak RSS ${(a.polarsPeakRssBytes / 1e9).toFixed(2)} GB` : ''})`,
        `  kindling scan + load stages ${ms(a.kindlingReadMs)}${a.kindlingReadMs && a.polarsReadMs ? ` = ${(a.kindlingReadMs / a.polarsReadMs).toFixed(2)}× polars' time` : ''}` +
          `${a.kindlingBeforeReadMs !== undefined ? `; kindling-before ${ms(a.kindlingBeforeReadMs)}${a.polarsReadMs ? ` = ${(a.kindlingBeforeReadMs / a.polarsReadMs).toFixed(2)}×` : ''}` : ''}`,
      );
    }
    if (kb && k)
      lines.push(
        `  ratio kindling-before / kindling: ${(kb.medianSeconds / k.medianSeconds).toFixed(2)} of medians (> 1: this build is faster)`,
      );
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (!k && !s) process.exitCode = 1;
}

await main();
