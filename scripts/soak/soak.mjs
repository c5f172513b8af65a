#!/usr/bin/env node
/**
 * Soak: one long-lived cluster (a nats-server with its monitoring port and N executor
 * processes, started as scripts/chaos/chaos.mjs starts them) runs many jobs from several
 * `kindling submit --master nats://…` driver processes at once; seeded at random, some drivers
 * are killed with kill -9 mid-job, some interrupted with SIGINT (Ctrl-C), the rest finish and
 * must give the bits of the first fault-free run. Jobs go in batches of K; after each batch
 * (and a settle) every executor is sampled — RSS and open fds from /proc, heap after a full GC
 * (the main thread's and each pool thread's),
 * active handles and timers, jobs and blocks held from its /metrics, NATS subscriptions from
 * the server's /connz — and the end must be back at the baseline taken after a warm-up job.
 * Run by hand (scripts/bench/README.md, "Soak") after `npx tsc -b`.
 *
 *   node scripts/soak/soak.mjs [--jobs 120] [--drivers 3] [--rows 50000] [--executors 2] [--kill-rate 0.15] [--seed 1]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const GENERATOR = join(ROOT, 'scripts/gen-bank-like.mjs');
const DATA_DIR = join(ROOT, 'scripts/bench/data');
const EXECUTOR_MAIN = join(ROOT, 'executor/dist/src/main.js');
const KINDLING = join(ROOT, 'cli/bin/kindling.js');

function usage(code) {
  process.stdout.write(`usage: node scripts/soak/soak.mjs [options]
  --jobs N                 jobs after the warm-up (default 120)
  --drivers N              driver processes running at once (default 3)
  --rows N                 bank-like rows (default 50000; scripts/bench/data/bank-<N>.csv, generated once, seed 7)
  --csv FILE               use this CSV instead
  --executors N            executor processes, 1 worker thread each (default 2)
  --kill-rate R            share of jobs whose driver gets kill -9 mid-job (default 0.15)
  --interrupt-rate R       share of jobs whose driver gets SIGINT mid-job (default 0.15)
  --seed S                 seed of which jobs are faulted and when (default 1)
  --sample-every K         jobs per batch; executors are sampled after each batch (default 20)
  --settle-ms MS           wait after a batch before sampling, once executors hold no job (default 2000)
  --driver-timeout-ms MS   executors drop a silent driver's job after this long (default 3000; the executor's own default is 15000)
  --rss-tolerance R        allowed RSS growth, baseline → end (default 0.15)
  --heap-tolerance R       allowed growth of heap used after a full GC (default 0.10)
  --json                   also print the report as one JSON object
  --logs DIR               where logs go when the soak fails (default a new folder under the temp dir)
  --executor-env KEY=VALUE environment of the executor processes (repeatable), e.g. MALLOC_ARENA_MAX=2
  --heap-snapshots DIR     write a V8 heap snapshot of each executor's main thread at the baseline and at the end
                           (node --heapsnapshot-signal), to diff what a growing heap holds
`);
  process.exit(code);
}

function fail(message) {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

function parseCount(text, name, min = 1) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(String(text).trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < min) fail(`${name} must be an integer ≥ ${min}, got '${text}'`);
  return n;
}

function parseRate(text, name) {
  const n = Number(text);
  if (!/^[0-9.]+$/.test(String(text)) || !Number.isFinite(n) || n < 0 || n > 1) fail(`${name} must be a number in [0, 1], got '${text}'`);
  return n;
}

function parseArgs(argv) {
  const o = {
    jobs: 120,
    drivers: 3,
    rows: 50_000,
    csv: undefined,
    executors: 2,
    killRate: 0.15,
    interruptRate: 0.15,
    seed: 1,
    sampleEvery: 20,
    settleMs: 2000,
    driverTimeoutMs: 3000,
    rssTolerance: 0.15,
    heapTolerance: 0.1,
    json: false,
    logs: undefined,
    executorEnv: {},
    heapSnapshots: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--jobs':
        o.jobs = parseCount(value(), '--jobs');
        break;
      case '--drivers':
        o.drivers = parseCount(value(), '--drivers');
        break;
      case '--rows':
        o.rows = parseCount(value(), '--rows', 100);
        break;
      case '--csv':
        o.csv = resolve(value());
        break;
      case '--executors':
        o.executors = parseCount(value(), '--executors');
        break;
      case '--kill-rate':
        o.killRate = parseRate(value(), '--kill-rate');
        break;
      case '--interrupt-rate':
        o.interruptRate = parseRate(value(), '--interrupt-rate');
        break;
      case '--seed':
        o.seed = parseCount(value(), '--seed', 0);
        break;
      case '--sample-every':
        o.sampleEvery = parseCount(value(), '--sample-every');
        break;
      case '--settle-ms':
        o.settleMs = parseCount(value(), '--settle-ms', 0);
        break;
      case '--driver-timeout-ms':
        o.driverTimeoutMs = parseCount(value(), '--driver-timeout-ms', 100);
        break;
      case '--rss-tolerance':
        o.rssTolerance = parseRate(value(), '--rss-tolerance');
        break;
      case '--heap-tolerance':
        o.heapTolerance = parseRate(value(), '--heap-tolerance');
        break;
      case '--json':
        o.json = true;
        break;
      case '--logs':
        o.logs = resolve(value());
        break;
      case '--heap-snapshots':
        o.heapSnapshots = resolve(value());
        break;
      case '--executor-env': {
        const [k, v] = value().split(/=(.*)/s);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k ?? '') || v === undefined) fail(`--executor-env expects KEY=VALUE, got '${k}'`);
        o.executorEnv[k] = v;
        break;
      }
      case '--help':
      case '-h':
        usage(0);
        break;
      default:
        process.stderr.write(`unknown option ${key}\n`);
        usage(2);
    }
  }
  if (o.killRate + o.interruptRate > 1) fail('--kill-rate + --interrupt-rate must be ≤ 1');
  return o;
}

// ── small pieces ─────────────────────────────────────────────────────────────────

/** mulberry32, as chaos.mjs: the same fault plan on every machine. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rowsLabel = (n) => (n % 1e6 === 0 ? `${n / 1e6}m` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const alive = (child) => child.exitCode === null && child.signalCode === null;
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

function ensureCsv(file, rows) {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  process.stdout.write(`generating ${relative(ROOT, file)} (${rows} rows, seed 7) … `);
  const out = execFileSync(process.execPath, [GENERATOR, '--rows', String(rows), '--out', file, '--seed', '7'], { encoding: 'utf8' });
  process.stdout.write(`${/seconds=\S+/.exec(out)?.[0] ?? 'done'}\n`);
  return file;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** GET over a connection of its own, closed after the answer: the sample must not hold an fd of the executor open. */
function get(port, path, timeoutMs = 5000) {
  return new Promise((res, rej) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => (r.statusCode === 200 ? res(body) : rej(new Error(`GET ${path}: HTTP ${r.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', rej);
  });
}

/** One sample of a Prometheus text exposition: `name{labels} value` → value, labels matched by substring. */
/** Every series of `name` (one per pool thread, say): their count and the sum of their values. */
function metricSeries(text, name) {
  let count = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) {
      count++;
      sum += Number(m[3]);
    }
  }
  return { count, sum };
}

function metric(text, name, labelPart = '') {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labelPart)) return Number(m[3]);
  }
  return name === 'nodejs_active_resources' ? 0 : NaN;
}

/**
 * A finished job's fingerprint: every number a user gets back — coefficients and intercept,
 * train/test metrics, the objective history, and the predictions' bytes. Two runs are
 * bit-identical when the digests agree (JSON prints a double's shortest round-trip form).
 */
function fingerprint(result, outDir) {
  const h = createHash('sha256');
  const model = JSON.parse(readFileSync(join(outDir, 'model/model.json'), 'utf8'));
  h.update(JSON.stringify({ intercept: model.intercept, coefficients: model.coefficients }));
  h.update(JSON.stringify({ metrics: result.metrics, history: result.objectiveHistory, rows: [result.trainRows, result.testRows] }));
  const preds = join(outDir, 'predictions');
  for (const f of readdirSync(preds).sort()) if (f.endsWith('.parquet')) h.update(readFileSync(join(preds, f)));
  return h.digest('hex').slice(0, 16);
}

// ── the cluster ──────────────────────────────────────────────────────────────────

async function startNats(dir) {
  const [port, monitor] = [await freePort(), await freePort()];
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', join(dir, 'js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.once('error', (err) => (out += `\n${err.message}`));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!alive(child) || Date.now() > deadline)
      throw new Error(`nats-server did not start (apt-get install -y nats-server):\n${out.slice(-2000)}`);
    try {
      await get(monitor, '/varz', 1000);
      break;
    } catch {
      await sleep(100);
    }
  }
  return { child, url: `nats://127.0.0.1:${port}`, monitor, output: () => out };
}

/**
 * An executor process as chaos.mjs starts one (LocalCluster.startExecutor's arguments), plus
 * `--expose-gc` so `/metrics?gc=1` can measure live heap, and a short driver timeout so a
 * killed driver's job is freed within the soak's settle. The flag goes in NODE_OPTIONS, not on
 * the command line: the thread pool hands process.execArgv to its workers, and a Worker refuses
 * --expose-gc there (ERR_WORKER_INVALID_EXEC_ARGV).
 */
function startExecutor(natsUrl, id, driverTimeoutMs, extraEnv, snapshotDir) {
  const args = [
    EXECUTOR_MAIN,
    '--master',
    natsUrl,
    '--id',
    id,
    '--cores',
    '1',
    '--prefix',
    'kindling',
    '--health-port',
    '0',
    '--heartbeat-ms',
    '250',
    '--driver-timeout-ms',
    String(driverTimeoutMs),
  ];
  const nodeOptions = [process.env.NODE_OPTIONS, '--expose-gc', snapshotDir && '--heapsnapshot-signal=SIGUSR2'].filter(Boolean).join(' ');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...extraEnv, NODE_OPTIONS: nodeOptions },
    // Snapshots are written to the process's working directory.
    ...(snapshotDir && { cwd: snapshotDir }),
  });
  let out = '';
  let healthPort;
  let serving = false;
  const onData = (d) => {
    out += d;
    healthPort ??= Number(/"healthPort":(\d+)/.exec(out)?.[1]) || undefined;
    serving ||= out.includes('"msg":"executor serving"');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  return { id, child, exited, output: () => out, port: () => healthPort, serving: () => serving };
}

/** Subscriptions per connection name, and totals, from the server's monitoring port. */
async function natsSubs(monitor) {
  const connz = JSON.parse(await get(monitor, '/connz?subs=1&limit=1024'));
  const byName = new Map();
  for (const c of connz.connections ?? []) byName.set(c.name ?? `cid-${c.cid}`, (byName.get(c.name) ?? 0) + (c.subscriptions ?? 0));
  const subsz = JSON.parse(await get(monitor, '/subsz'));
  return { connections: connz.num_connections, byName, total: subsz.num_subscriptions };
}

async function sampleExecutor(e) {
  const pid = e.child.pid;
  // From /proc before the HTTP scrape, so the scrape's own socket is not counted.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssBytes = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  // ?gc=1: the main thread and every pool thread collect first (health-server.ts).
  const text = await get(e.port(), '/metrics?gc=1');
  const threadHeap = metricSeries(text, 'kindling_executor_thread_heap_used_bytes');
  return {
    rssBytes,
    fds,
    heapUsedBytes: metric(text, 'nodejs_heap_size_used_bytes'),
    // ArrayBuffers and SharedArrayBuffers (cached blocks live there), outside the JS heap.
    externalBytes: metric(text, 'nodejs_external_memory_bytes'),
    // The pool's worker threads: each an isolate of its own, not in the main thread's heap.
    threads: threadHeap.count,
    threadHeapBytes: threadHeap.sum,
    threadExternalBytes: metricSeries(text, 'kindling_executor_thread_external_bytes').sum,
    handles: metric(text, 'nodejs_active_handles_total'),
    timers: metric(text, 'nodejs_active_resources', 'type="Timeout"'),
    jobs: metric(text, 'kindling_executor_jobs'),
    blocks: metric(text, 'kindling_executor_cached_blocks'),
    cachedBytes: metric(text, 'kindling_executor_cached_bytes'),
    running: metric(text, 'kindling_executor_running_tasks'),
  };
}

// ── one driver job ───────────────────────────────────────────────────────────────

/**
 * One `kindling submit` process. `fate` is 'finish', 'kill' (kill -9) or 'interrupt' (SIGINT);
 * a fault fires `delayMs` after the driver logs that the job started. Resolves with what happened.
 */
function runDriver({ natsUrl, csv, outDir, fate, delayMs, timeoutMs }) {
  const args = [
    KINDLING,
    'submit',
    '--master',
    natsUrl,
    '--conf',
    `input.path=${csv}`,
    '--output',
    outDir,
    '--no-ui',
    '--no-event-log',
    '--no-progress',
    '--json',
    '--executor-wait',
    '10000',
    JOB,
  ];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let signalled;
  let faultTimer;
  let startedAt;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (startedAt === undefined && /"msg":"job \S+ started"/.test(stderr)) startedAt = performance.now();
    if (fate !== 'finish' && faultTimer === undefined && startedAt !== undefined) {
      faultTimer = setTimeout(() => {
        if (!alive(child)) return;
        signalled = fate === 'kill' ? 'SIGKILL' : 'SIGINT';
        child.kill(signalled);
      }, delayMs);
    }
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(faultTimer);
      const ms = performance.now() - t0;
      let result;
      if (code === 0) {
        try {
          result = JSON.parse(stdout);
        } catch {
          /* reported below as an unreadable result */
        }
      }
      const runMs = startedAt === undefined ? undefined : performance.now() - startedAt;
      res({ fate, signalled, code, signal, ms, runMs, result, stderr, timedOut: ms >= timeoutMs });
    });
  });
}

// ── the run ──────────────────────────────────────────────────────────────────────

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of [EXECUTOR_MAIN, KINDLING, join(ROOT, 'cli/dist/src/main.js')])
    if (!existsSync(f)) fail(`${relative(ROOT, f)} is missing: run \`npx tsc -b\` first`);
  const csv = o.csv ?? ensureCsv(join(DATA_DIR, `bank-${rowsLabel(o.rows)}.csv`), o.rows);
  const scratch = mkdtempSync(join(os.tmpdir(), 'kindling-soak-'));
  const logsDir = o.logs ?? join(os.tmpdir(), `kindling-soak-logs-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const cpus = os.cpus();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `machine: ${cpus[0]?.model.trim()}, ${cpus.length} cores, ${mib(os.totalmem())} RAM, node ${process.version}, ${os.type()} ${os.release()}, load ${load()}`,
  );
  console.log(
    `soak: ${relative(ROOT, csv)} (${mib(statSync(csv).size)}), ${o.executors} executors × 1 thread, ${o.drivers} drivers at once, ` +
      `${o.jobs} jobs (kill -9 ${o.killRate}, SIGINT ${o.interruptRate}), seed ${o.seed}, sampled every ${o.sampleEvery} jobs, ` +
      `executor driver timeout ${o.driverTimeoutMs} ms${
        Object.keys(o.executorEnv).length
          ? `, executor env ${Object.entries(o.executorEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }`,
  );

  const procs = [];
  const killAll = () => {
    for (const c of procs) if (alive(c)) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.once(sig, () => {
      process.stderr.write(`\nsoak: ${sig}: stopping every process\n`);
      killAll();
      rmSync(scratch, { recursive: true, force: true });
      process.exit(130);
    });

  if (o.heapSnapshots) mkdirSync(o.heapSnapshots, { recursive: true });
  const nats = await startNats(scratch);
  procs.push(nats.child);
  const executors = Array.from({ length: o.executors }, (_, i) =>
    startExecutor(nats.url, `executor-${i}`, o.driverTimeoutMs, o.executorEnv, o.heapSnapshots),
  );
  for (const e of executors) procs.push(e.child);
  const deadline = Date.now() + 30_000;
  while (!executors.every((e) => e.serving() && e.port())) {
    const dead = executors.find((e) => !alive(e.child));
    if (dead || Date.now() > deadline) throw new Error(`executor did not start:\n${(dead ?? executors[0]).output().slice(-2000)}`);
    await sleep(100);
  }

  let outputs = 0;
  const timeoutMs = 10 * 60_000;
  const runOne = async (fate, delayMs) => {
    const outDir = join(scratch, `out-${outputs++}`);
    const r = await runDriver({ natsUrl: nats.url, csv, outDir, fate, delayMs, timeoutMs });
    if (r.result) {
      try {
        r.digest = fingerprint(r.result, outDir);
      } catch (err) {
        r.digestError = err.message;
      }
    }
    r.outputLooksComplete = existsSync(join(outDir, '_SUCCESS'));
    rmSync(outDir, { recursive: true, force: true });
    return r;
  };

  /** Waits until no executor holds a job, block or running task (or maxMs), then settleMs more. */
  const settle = async (maxMs) => {
    const until = Date.now() + maxMs;
    for (;;) {
      const s = await Promise.all(executors.map(sampleExecutor));
      if (s.every((x) => x.jobs === 0 && x.blocks === 0 && x.running === 0) || Date.now() > until) break;
      await sleep(250);
    }
    await sleep(o.settleMs);
  };

  const samples = []; // { label, jobsDone, perExecutor: [...], nats }
  /** Asks each executor for a heap snapshot (after the sample's GC) and waits until it is written. */
  const heapSnapshots = async () => {
    for (const e of executors) {
      const before = new Set(readdirSync(o.heapSnapshots));
      e.child.kill('SIGUSR2');
      const until = Date.now() + 60_000;
      let file;
      while (!file && Date.now() < until) {
        await sleep(250);
        file = readdirSync(o.heapSnapshots).find((f) => !before.has(f) && f.endsWith('.heapsnapshot') && f.includes(`.${e.child.pid}.`));
      }
      // Written once its size stops changing.
      for (let size = -1; file && size !== statSync(join(o.heapSnapshots, file)).size; await sleep(500))
        size = statSync(join(o.heapSnapshots, file)).size;
      console.log(`  heap snapshot of ${e.id}: ${file ? join(o.heapSnapshots, file) : 'not written within 60 s'}`);
    }
  };
  const takeSample = async (label, jobsDone) => {
    const subs = await natsSubs(nats.monitor);
    const per = [];
    for (const e of executors) per.push({ ...(await sampleExecutor(e)), subs: subs.byName.get(e.id) ?? 0 });
    samples.push({ label, jobsDone, perExecutor: per, nats: { connections: subs.connections, subscriptions: subs.total } });
    if (o.heapSnapshots && (label === 'baseline' || jobsDone === o.jobs)) await heapSnapshots();
    console.log(
      `  sample ${label.padEnd(9)} ` +
        per
          .map(
            (s, i) =>
              `${executors[i].id}: rss ${mib(s.rssBytes)} heap ${mib(s.heapUsedBytes)} ext ${mib(s.externalBytes)} threads' heap ${mib(s.threadHeapBytes)} fds ${s.fds} handles ${s.handles} timers ${s.timers} subs ${s.subs} jobs ${s.jobs} blocks ${s.blocks}`,
          )
          .join(' | ') +
        ` | server: ${subs.connections} conns, ${subs.total} subs | load ${load()}`,
    );
  };

  // Warm-up: the first fault-free run is the reference every finished job must match.
  const warm = await runOne('finish', 0);
  if (!warm.digest) throw new Error(`the warm-up job did not finish: exit ${warm.code ?? warm.signal}\n${warm.stderr.slice(-3000)}`);
  const reference = warm.digest;
  // Then as many fault-free jobs at once as the soak runs: the baseline must be the footprint
  // of a warm executor at full concurrency (allocator arenas, JIT code, pool threads), or
  // the first batch's one-off growth reads as a leak.
  const warmBatch = await Promise.all(Array.from({ length: o.drivers }, () => runOne('finish', 0)));
  const warmBad = warmBatch.filter((r) => r.digest !== reference);
  if (warmBad.length > 0)
    throw new Error(
      `fault-free warm-up jobs differ from the first (${warmBad.map((r) => r.digest ?? `exit ${r.code ?? r.signal}`).join(', ')})`,
    );
  console.log(
    `warm-up: ${(warm.ms / 1000).toFixed(1)} s (submit process, start-up included), result ${reference}; then ${o.drivers} at once, identical`,
  );
  await settle(30_000);
  await takeSample('baseline', 0);

  // The plan: each job's fate and fault moment from the seed alone.
  const rng = mulberry32(Math.imul(o.seed + 1, 0x9e3779b1));
  // Fault moments are drawn within the job's own run time (from "job started" to exit) as the
  // warm-up batch measured it at full concurrency, so they land mid-job on a fast or a loaded machine.
  const runs = warmBatch.map((r) => r.runMs ?? r.ms).sort((a, b) => a - b);
  const jobMs = Math.max(200, runs[Math.floor(runs.length / 2)]);
  const plan = Array.from({ length: o.jobs }, () => {
    const u = rng();
    const fate = u < o.killRate ? 'kill' : u < o.killRate + o.interruptRate ? 'interrupt' : 'finish';
    return { fate, delayMs: Math.round(jobMs * (0.05 + 0.8 * rng())) };
  });
  console.log(
    `plan: ${plan.filter((j) => j.fate === 'kill').length} kill -9, ${plan.filter((j) => j.fate === 'interrupt').length} SIGINT, ` +
      `each 5–85 % into the job's ${(jobMs / 1000).toFixed(1)} s run (median of the warm-up batch)`,
  );

  const outcomes = [];
  const t0 = performance.now();
  for (let start = 0; start < o.jobs; start += o.sampleEvery) {
    const batch = plan.slice(start, start + o.sampleEvery);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(o.drivers, batch.length) }, async () => {
        while (next < batch.length) {
          const j = batch[next++];
          outcomes.push(await runOne(j.fate, j.delayMs));
        }
      }),
    );
    await settle(o.driverTimeoutMs * 4 + 10_000);
    await takeSample(`${start + batch.length} jobs`, start + batch.length);
  }
  const soakMs = performance.now() - t0;

  // ── the verdict ──
  const finished = outcomes.filter((r) => r.code === 0);
  const killed = outcomes.filter((r) => r.signalled === 'SIGKILL');
  const interrupted = outcomes.filter((r) => r.signalled === 'SIGINT');
  const identical = finished.filter((r) => r.digest === reference);
  const problems = [];
  for (const r of finished) if (r.digest !== reference) problems.push(`a finished job's result differs (${r.digest ?? r.digestError})`);
  for (const r of outcomes) {
    if (r.timedOut) problems.push(`a driver ran past ${timeoutMs / 1000} s and was killed`);
    else if (r.code !== 0 && r.signalled === undefined) problems.push(`a driver that was not faulted exited ${r.code ?? r.signal}`);
    if (r.code !== 0 && r.outputLooksComplete) problems.push('a job that did not finish left an output folder with _SUCCESS');
  }
  const exitedExecutors = executors.filter((e) => !alive(e.child));
  for (const e of exitedExecutors) problems.push(`${e.id} exited (${e.child.exitCode ?? e.child.signalCode})`);

  const base = samples[0];
  const end = samples.at(-1);
  // RSS is judged against the highest level it reached in the first half of the soak, not the
  // warm-up: RSS rises in steps — the first time a killed driver's blocks (held until the
  // driver timeout) overlap new jobs' blocks, the executor peaks higher than in the warm-up,
  // and the allocator and V8 keep most of the freed pages — and then stays. A leak keeps
  // growing through the second half; a high-water mark does not. Heap (after a full GC) and
  // external memory, where the blocks live, are judged against the baseline itself; counts
  // must be back at the baseline exactly.
  const firstHalf = samples.slice(1, Math.max(2, Math.ceil(samples.length / 2)));
  const peak = (i, key) => Math.max(...firstHalf.map((x) => x.perExecutor[i][key]));
  const halfLabel = `peak to ${firstHalf.at(-1).jobsDone} jobs`;
  const rows = [];
  const pct = (tol) => `≤ +${Math.round(tol * 100)}%`;
  // Memory judged against the baseline itself, within --heap-tolerance.
  const memoryRow = (key, name) => ({
    key,
    name,
    fmt: mib,
    tolerance: (b) => b * o.heapTolerance,
    rule: `${pct(o.heapTolerance)} of baseline`,
  });
  const resources = [
    {
      key: 'rssBytes',
      name: 'RSS',
      fmt: mib,
      fromPeak: true,
      tolerance: (b) => b * o.rssTolerance,
      rule: `${pct(o.rssTolerance)} of peak`,
    },
    memoryRow('heapUsedBytes', 'heap used (after GC)'),
    memoryRow('externalBytes', 'external (ArrayBuffers)'),
    memoryRow('threadHeapBytes', 'pool threads: heap used (after GC)'),
    memoryRow('threadExternalBytes', 'pool threads: external'),
    { key: 'threads', name: 'pool threads', fmt: String, tolerance: () => 0, rule: 'exact' },
    { key: 'fds', name: 'open fds', fmt: String, tolerance: () => 0, rule: 'exact' },
    { key: 'handles', name: 'active handles', fmt: String, tolerance: () => 0, rule: 'exact' },
    { key: 'timers', name: 'timers', fmt: String, tolerance: () => 0, rule: 'exact' },
    { key: 'subs', name: 'NATS subscriptions', fmt: String, tolerance: () => 0, rule: 'exact' },
    { key: 'jobs', name: 'jobs held', fmt: String, tolerance: () => 0, rule: 'exact (0)' },
    { key: 'blocks', name: 'blocks held', fmt: String, tolerance: () => 0, rule: 'exact (0)' },
  ];
  const growth = (x, from, fmt) =>
    `${x - from >= 0 ? '+' : ''}${fmt(x - from)}${from > 0 ? ` (${x >= from ? '+' : ''}${(((x - from) / from) * 100).toFixed(1)}%)` : ''}`;
  for (const [i, e] of executors.entries()) {
    for (const r of resources) {
      const b = base.perExecutor[i][r.key];
      const x = end.perExecutor[i][r.key];
      const from = r.fromPeak ? peak(i, r.key) : b;
      const ok = x - from <= r.tolerance(from) && (!r.rule.includes('(0)') || x === 0);
      if (!ok) problems.push(`${e.id}: ${r.name} ${r.fmt(from)} → ${r.fmt(x)} (allowed ${r.rule})`);
      rows.push([
        e.id,
        r.name,
        r.fmt(b),
        r.fmt(peak(i, r.key)),
        r.fmt(x),
        growth(x, b, r.fmt),
        growth(x, from, r.fmt),
        r.rule,
        ok ? 'ok' : 'GROWS',
      ]);
    }
  }
  const serverGrowth = end.nats.subscriptions - base.nats.subscriptions;
  const serverOk = serverGrowth === 0 && end.nats.connections === base.nats.connections;
  if (!serverOk)
    problems.push(
      `nats-server: ${base.nats.connections} conns / ${base.nats.subscriptions} subs → ${end.nats.connections} / ${end.nats.subscriptions}`,
    );
  rows.push([
    'nats-server',
    'connections / subscriptions',
    `${base.nats.connections} / ${base.nats.subscriptions}`,
    `${Math.max(...firstHalf.map((x) => x.nats.connections))} / ${Math.max(...firstHalf.map((x) => x.nats.subscriptions))}`,
    `${end.nats.connections} / ${end.nats.subscriptions}`,
    `${end.nats.connections - base.nats.connections} / ${serverGrowth}`,
    `${end.nats.connections - base.nats.connections} / ${serverGrowth}`,
    'exact',
    serverOk ? 'ok' : 'GROWS',
  ]);

  const header = ['executor', 'resource', 'baseline', halfLabel, 'end', 'end − baseline', 'end − allowed base', 'allowed', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  console.log(
    `\njobs: ${outcomes.length} run in ${(soakMs / 1000).toFixed(0)} s | killed (kill -9) ${killed.length} | interrupted (SIGINT) ${interrupted.length} | ` +
      `finished ${finished.length} | finished bit-identical to the first fault-free run ${identical.length}/${finished.length}`,
  );
  const exits = new Map();
  for (const r of interrupted) exits.set(String(r.code ?? r.signal), (exits.get(String(r.code ?? r.signal)) ?? 0) + 1);
  if (interrupted.length > 0)
    console.log(
      `interrupted drivers ended with: ${[...exits].map(([k, n]) => `${k} ×${n}`).join(', ')}` +
        (exits.has('SIGINT') ? ' (a cluster-mode submit has no SIGINT handler: Ctrl-C kills it, like kill -9, instead of exit 130)' : ''),
    );
  const medianMs = finished.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(finished.length / 2)];
  if (medianMs !== undefined) console.log(`median finished submit: ${(medianMs / 1000).toFixed(2)} s (process start-up included)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    `reproduce: node scripts/soak/soak.mjs ${o.csv ? `--csv ${relative(ROOT, o.csv)}` : `--rows ${o.rows}`} --jobs ${o.jobs} --drivers ${o.drivers} ` +
      `--executors ${o.executors} --kill-rate ${o.killRate} --interrupt-rate ${o.interruptRate} --seed ${o.seed} --sample-every ${o.sampleEvery}` +
      Object.entries(o.executorEnv)
        .map(([k, v]) => ` --executor-env ${k}=${v}`)
        .join(''),
  );

  if (problems.length > 0) {
    mkdirSync(logsDir, { recursive: true });
    for (const e of executors) writeFileSync(join(logsDir, `${e.id}.log`), e.output());
    writeFileSync(join(logsDir, 'nats-server.log'), nats.output());
    outcomes.forEach((r, i) => {
      if (r.code !== 0 || r.digest !== reference) writeFileSync(join(logsDir, `driver-${i}-${r.fate}.log`), r.stderr);
    });
    console.log(`\nFAILED:\n${[...new Set(problems)].map((p) => `  - ${p}`).join('\n')}\nlogs: ${logsDir}`);
  } else console.log('\nOK: every finished job bit-identical; every resource back within its tolerance');
  if (o.json)
    console.log(
      JSON.stringify({
        options: o,
        reference,
        jobs: outcomes.map(({ fate, signalled, code, signal, ms, digest }) => ({
          fate,
          signalled,
          code,
          signal,
          ms: Math.round(ms),
          digest,
        })),
        samples: samples.map((s) => ({ ...s, perExecutor: s.perExecutor })),
        problems,
      }),
    );

  // Stop: executors drain on SIGTERM; the server last.
  for (const e of executors) e.child.kill('SIGTERM');
  await Promise.race([Promise.all(executors.map((e) => e.exited)), sleep(15_000)]);
  killAll();
  rmSync(scratch, { recursive: true, force: true });
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`soak failed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
