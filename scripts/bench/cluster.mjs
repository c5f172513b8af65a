#!/usr/bin/env node
/**
 * Cluster-mode benchmark: what running on executor processes over a real nats-server costs,
 * measured side by side in one run (the 2 shared cores make figures from different runs
 * incomparable). Three parts, each reported as medians over repetitions:
 *   a. coordination overhead per L-BFGS evaluation (broadcast coefficients + gather gradient
 *      partials) with 1, 2 and 4 executor processes, and local[2] in-process as the floor;
 *   b. input shipping throughput: the executor's SourceReader fetching a file range from the
 *      driver's InputServer (its own process) over NATS, optionally against another build
 *      (--before, e.g. a build of main) interleaved in the same run;
 *   c. the whole bank job on 1M bank-like rows: local[2] versus 2 executor processes.
 * Run by hand (scripts/bench/README.md) after `npx tsc -b`; it imports the built packages and
 * the test harness (test/dist/src/harness). Tests never time anything.
 *
 *   node scripts/bench/cluster.mjs [--parts a,b,c] [--rows 1m] [--json] [--help]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const GENERATOR = join(ROOT, 'scripts/gen-bank-like.mjs');
const DATA_DIR = join(ROOT, 'scripts/bench/data');
const HARNESS = join(ROOT, 'test/dist/src/harness/local-cluster.js');
const MiB = 1024 * 1024;
/** The driver id the fetch responder answers for (a subject token). */
const BENCH_DRIVER = 'bench-driver';

function usage(code) {
  process.stdout.write(`usage: node scripts/bench/cluster.mjs [options]
  --parts LIST        which parts to run, any of a,b,c (default a,b,c)
  a. coordination overhead per gradient evaluation
  --executors LIST    executor process counts (default 1,2,4)
  --cores N           worker threads per executor (default 1)
  --tiny-rows N       rows of the tiny input (default 2000)
  --partitions N      partitions of the tiny input (default 8)
  --iters N           model.maxIter of each run, with tol 0 (default 50)
  --runs N            job runs per configuration, interleaved (default 3)
  b. input shipping: SourceReader.fetch from an InputServer process
  --sizes LIST        MiB per transfer (default 4,16,64)
  --fetch-reps N      timed transfers per size, side and server (default 5)
  --max-payload LIST  nats-server max_payload in MiB, one server each (default 1,8)
  --before DIR        also measure the build in DIR (its own SourceReader, InputServer, transport), interleaved
  --tune              also measure this build's SourceReader with other chunk sizes and requests in flight
  c. end to end
  --rows N            bank-like rows (default 1m; scripts/bench/data/bank-<N>.csv, generated if missing)
  --csv FILE          use this CSV instead
  --e2e-reps N        repetitions of each side, interleaved (default 3)
  --json              also print every figure as one JSON object at the end
`);
  process.exit(code);
}

function fail(message) {
  process.stderr.write(`cluster bench: ${message}\n`);
  process.exit(2);
}

function parseCount(text, name) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(String(text).trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) fail(`${name} must be a positive integer, got '${text}'`);
  return n;
}

const parseList = (text, name) =>
  String(text)
    .split(',')
    .map((s) => parseCount(s, name));

function parseArgs(argv) {
  const o = {
    parts: new Set(['a', 'b', 'c']),
    executors: [1, 2, 4],
    cores: 1,
    tinyRows: 2000,
    partitions: 8,
    iters: 50,
    runs: 3,
    sizes: [4, 16, 64],
    fetchReps: 5,
    maxPayloads: [1, 8],
    before: undefined,
    tune: false,
    rows: 1_000_000,
    csv: undefined,
    e2eReps: 3,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--parts': {
        o.parts = new Set(
          value()
            .split(',')
            .map((s) => s.trim()),
        );
        for (const p of o.parts) if (!['a', 'b', 'c'].includes(p)) fail(`--parts takes a, b and c, got '${p}'`);
        break;
      }
      case '--executors':
        o.executors = parseList(value(), '--executors');
        break;
      case '--cores':
        o.cores = parseCount(value(), '--cores');
        break;
      case '--tiny-rows':
        o.tinyRows = parseCount(value(), '--tiny-rows');
        break;
      case '--partitions':
        o.partitions = parseCount(value(), '--partitions');
        break;
      case '--iters':
        o.iters = parseCount(value(), '--iters');
        break;
      case '--runs':
        o.runs = parseCount(value(), '--runs');
        break;
      case '--sizes':
        o.sizes = parseList(value(), '--sizes');
        break;
      case '--fetch-reps':
        o.fetchReps = parseCount(value(), '--fetch-reps');
        break;
      case '--max-payload':
        o.maxPayloads = parseList(value(), '--max-payload');
        break;
      case '--before':
        o.before = resolve(value());
        break;
      case '--tune':
        o.tune = true;
        break;
      case '--rows':
        o.rows = parseCount(value(), '--rows');
        break;
      case '--csv':
        o.csv = resolve(value());
        break;
      case '--e2e-reps':
        o.e2eReps = parseCount(value(), '--e2e-reps');
        break;
      case '--json':
        o.json = true;
        break;
      case '--help':
      case '-h':
        usage(0);
        break;
      default:
        process.stderr.write(`unknown option ${key}\n`);
        usage(2);
    }
  }
  return o;
}

// ── statistics and printing ──────────────────────────────────────────────────────

function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}
const median = (v) => quantile(v, 0.5);
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const rowsLabel = (n) => (n % 1e6 === 0 ? `${n / 1e6}m` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '  ' + cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadStart: os.loadavg(),
  };
}

// ── shared building blocks ───────────────────────────────────────────────────────

async function importBuilt() {
  if (!existsSync(HARNESS)) fail(`${relative(ROOT, HARNESS)} is missing: run \`npx tsc -b\` first`);
  const [coordinator, cluster, executor, shared, cli, harness] = await Promise.all([
    import('@kindling/coordinator'),
    import('@kindling/coordinator/cluster'),
    import('@kindling/executor'),
    import('@kindling/shared'),
    import('@kindling/cli'),
    import(pathToFileURL(HARNESS).href),
  ]);
  return {
    ...coordinator,
    ...cluster,
    LocalExecutor: executor.LocalExecutor,
    ...shared,
    NatsServerProcess: cli.NatsServerProcess,
    LocalCluster: harness.LocalCluster,
  };
}

/** Generates a bank-like CSV with the repository's generator unless it already exists. */
function ensureCsv(file, rows, seed) {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  process.stdout.write(`generating ${file.startsWith(ROOT) ? relative(ROOT, file) : file} (${rows} rows, seed ${seed}) … `);
  const out = execFileSync(process.execPath, [GENERATOR, '--rows', String(rows), '--out', file, '--seed', String(seed)], {
    encoding: 'utf8',
  });
  process.stdout.write(`${/seconds=\S+/.exec(out)?.[0] ?? 'done'}\n`);
  return file;
}

/** Quiet logger for the transports: warnings still reach stderr. */
const transportLog = { warn: (obj, msg) => process.stderr.write(`transport: ${msg} ${JSON.stringify(obj)}\n`) };

/**
 * Runs one job on the cluster like runOnCluster (same backend settings), but waits until
 * `waitFor` executors are registered, so a run never starts on fewer than asked for, and
 * times runJob alone (not the driver's NATS connect and discovery).
 */
async function runOnCluster(k, spec, cluster, waitFor, events) {
  const transport = await k.NatsTransport.connect(cluster.connectionOptions('bench-driver'), transportLog);
  try {
    const driver = await k.DriverContext.onCluster(transport, {
      events,
      executorWaitMs: 10_000,
      cluster: { prefix: cluster.prefix, heartbeatMs: 250, executorTimeoutMs: 2000 },
    });
    try {
      await driver.backend.waitForExecutors(waitFor, 15_000);
      const t0 = performance.now();
      const result = await driver.runJob(spec);
      return { result, ms: performance.now() - t0 };
    } finally {
      await driver.close();
    }
  } finally {
    await transport.close();
  }
}

async function runLocal(k, spec, threads, events) {
  const executor = new k.LocalExecutor({ threads });
  const driver = k.DriverContext.withExecutors([executor], { events, release: () => executor.close() });
  try {
    const t0 = performance.now();
    const result = await driver.runJob(spec);
    return { result, ms: performance.now() - t0 };
  } finally {
    await driver.close();
  }
}

const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function sameResult(a, b) {
  return (
    bits(a.coefficients).equals(bits(b.coefficients)) &&
    Object.is(a.intercept, b.intercept) &&
    Object.is(a.metrics.test.areaUnderROC, b.metrics.test.areaUnderROC) &&
    JSON.stringify(a.metrics) === JSON.stringify(b.metrics)
  );
}

/** Starts clusters one after the other and stops them all when `body` ends, however it ends. */
async function withClusters(k, counts, cores, body) {
  const clusters = new Map();
  const stopAll = () => Promise.allSettled([...clusters.values()].map((c) => c.stop()));
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const n of counts) clusters.set(n, await k.LocalCluster.start(n, { cores }));
    return await body(clusters);
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// ── a. coordination overhead per gradient evaluation ────────────────────────────

async function partA(k, o, scratch) {
  const csv = ensureCsv(join(scratch, `bank-tiny-${o.tinyRows}.csv`), o.tinyRows, 3);
  let outputs = 0;
  const spec = () =>
    k.parseJobSpecFile(JOB, {
      output: join(scratch, `out-a-${outputs++}`),
      conf: {
        'input.path': csv,
        'input.partitions': String(o.partitions),
        'model.maxIter': String(o.iters),
        'model.tol': '0',
        'output.predictions': 'false',
      },
    });
  console.log(
    `\na. coordination overhead: ${o.tinyRows} rows in ${o.partitions} partitions, maxIter ${o.iters}, tol 0, ${o.runs} runs per configuration (interleaved)`,
  );
  console.log(
    `   executors: ${o.cores} worker thread(s) each; figure = median 'gradient k' stage time, stage-submitted → stage-completed (performance.now)`,
  );

  const configs = [
    { name: 'local[2]', slots: 2 },
    ...o.executors.map((n) => ({ name: `${n} executor${n > 1 ? 's' : ''}`, n, slots: n * o.cores })),
  ];
  const samples = new Map(configs.map((c) => [c.name, { stages: [], perRun: [], evaluations: [] }]));
  let reference;
  const identical = new Map(configs.map((c) => [c.name, true]));

  return withClusters(k, o.executors, o.cores, async (clusters) => {
    for (let run = 0; run < o.runs; run++) {
      // Rotate the order so no configuration always runs first (or right after another).
      const order = configs.map((_, i) => configs[(i + run) % configs.length]);
      for (const c of order) {
        const events = new k.EventBus();
        const stages = [];
        // Timed here, from submission to completion (both events are emitted synchronously by
        // the scheduler in this process): stage-completed's durationMs has 1 ms resolution.
        const submitted = new Map();
        events.on('stage-submitted', (e) => {
          if (/^gradient \d+$/.test(e.name)) submitted.set(e.stageId, performance.now());
        });
        events.on('stage-completed', (e) => {
          const t0 = submitted.get(e.stageId);
          if (t0 !== undefined) stages.push(performance.now() - t0);
        });
        const s = await spec();
        const { result } = c.n === undefined ? await runLocal(k, s, 2, events) : await runOnCluster(k, s, clusters.get(c.n), c.n, events);
        reference ??= result;
        if (!sameResult(result, reference)) identical.set(c.name, false);
        const bucket = samples.get(c.name);
        bucket.stages.push(...stages);
        bucket.perRun.push(median(stages));
        bucket.evaluations.push(stages.length);
        rmSync(s.output.path, { recursive: true, force: true });
      }
    }
    const rows = [];
    const out = {};
    for (const c of configs) {
      const b = samples.get(c.name);
      const waves = Math.ceil(o.partitions / c.slots);
      const med = median(b.stages);
      out[c.name] = {
        medianMs: med,
        p10Ms: quantile(b.stages, 0.1),
        p90Ms: quantile(b.stages, 0.9),
        medianOfRunMediansMs: median(b.perRun),
        evaluations: b.stages.length,
        waves,
        sameBitsAsFirstRun: identical.get(c.name),
      };
      rows.push([
        c.name,
        b.stages.length,
        fmt(med),
        fmt(quantile(b.stages, 0.1)),
        fmt(quantile(b.stages, 0.9)),
        b.perRun.map((x) => fmt(x)).join(' / '),
        waves,
        fmt(med / waves),
        identical.get(c.name) ? 'yes' : 'NO',
      ]);
    }
    console.log(table(['configuration', 'stages', 'median ms', 'p10', 'p90', 'per-run medians', 'waves', 'ms/wave', 'same bits'], rows));
    console.log(
      `   waves = ceil(partitions / total slots): task round trips one after another in each stage. Target (design.md): < 2 ms per iteration.`,
    );
    return out;
  });
}

// ── b. input shipping: SourceReader ← InputServer ────────────────────────────────

/** The modules of one build that part b exercises, imported from its dist folders. */
async function shippingModules(root) {
  const file = (p) => {
    const f = join(root, p);
    if (!existsSync(f)) fail(`${f} is missing: build ${root} with \`npx tsc -b\` first`);
    return pathToFileURL(f).href;
  };
  const [shared, executor, server] = await Promise.all([
    import(file('shared/dist/src/index.js')),
    import(file('executor/dist/src/source-reader.js')),
    import(file('coordinator/dist/src/cluster/input-server.js')),
  ]);
  return {
    NatsTransport: shared.NatsTransport,
    subjects: shared.subjects,
    SourceReader: executor.SourceReader,
    InputServer: server.InputServer,
  };
}

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The driver side of part b, in its own process as the driver is: the build's real
 * InputServer serving `file` for the job 'bench' (it reads the file for every request).
 */
async function fetchResponder(root, url, prefix, file) {
  const m = await shippingModules(root);
  const transport = await m.NatsTransport.connect({ servers: url, prefix, name: `bench-input-server-${prefix}` }, transportLog);
  const server = new m.InputServer(transport, m.subjects(prefix), BENCH_DRIVER, quietLog);
  server.serveJob('bench', [file]);
  await transport.flush();
  process.stdout.write('ready\n');
  const stop = () => void transport.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop).resume();
}

/** CPU time (user + system) a process has used, in ms (Linux /proc; 10 ms ticks). */
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Writes `bytes` of a fixed pseudo-random sequence (page-cached by the time it is timed). */
function writeInput(file, bytes) {
  const data = new Uint8Array(bytes);
  let x = 12345;
  for (let i = 0; i < bytes; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    data[i] = x;
    data[i + 1] = x >>> 8;
    data[i + 2] = x >>> 16;
    data[i + 3] = x >>> 24;
  }
  writeFileSync(file, data);
  return data;
}

async function partB(k, o, scratch) {
  const maxMiB = Math.max(...o.sizes);
  const file = join(scratch, 'input.bin');
  const expected = Buffer.from(writeInput(file, maxMiB * MiB).buffer);
  const builds = [{ name: 'this build', root: ROOT }];
  if (o.before !== undefined) builds.push({ name: `before (${relative(process.cwd(), o.before) || '.'})`, root: o.before });
  for (const b of builds) b.m = await shippingModules(b.root);
  const sides = [];
  for (const b of builds) {
    sides.push({ build: b, label: `${b.name}, SourceReader defaults`, readerOpts: {} });
    if (o.tune && b.root === ROOT) {
      for (const [chunk, inFlight] of [
        [1, 8],
        [2, 4],
        [2, 8],
        [4, 4],
        [8, 4],
        [16, 2],
      ])
        sides.push({
          build: b,
          label: `${b.name}, ${chunk} MiB requests × ${inFlight} in flight`,
          readerOpts: { chunkBytes: chunk * MiB, inFlight },
        });
    }
  }
  console.log(
    `\nb. input shipping: SourceReader.fetch of a file range from an InputServer in its own process, over a loopback nats-server`,
  );
  console.log(
    `   ${o.fetchReps} timed transfers per size, side and server after one warm-up, sides interleaved (alternating first); MB = 10^6 bytes`,
  );
  const out = {};
  const rows = [];
  for (const mp of o.maxPayloads) {
    const server = await k.NatsServerProcess.start({ port: 0, jetstream: false, maxPayload: mp * MiB });
    const responders = [];
    const requesters = [];
    try {
      for (const [i, b] of builds.entries()) {
        const prefix = `bench${i}`;
        const responder = spawn(process.execPath, [fileURLToPath(import.meta.url), '--fetch-responder', b.root, server.url, prefix, file], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        responders.push(responder);
        await new Promise((res, rej) => {
          responder.stdout.on('data', (d) => d.toString().includes('ready') && res());
          responder.once('exit', (code) => rej(new Error(`fetch responder exited with ${code}`)));
        });
        const transport = await b.m.NatsTransport.connect(
          { servers: server.url, prefix, name: `bench-source-reader-${prefix}` },
          transportLog,
        );
        requesters.push(transport);
        b.transport = transport;
        b.prefix = prefix;
        b.responderPid = responder.pid;
      }
      for (const side of sides) {
        side.reader = new side.build.m.SourceReader({
          transport: side.build.transport,
          prefix: side.build.prefix,
          log: quietLog,
          ...side.readerOpts,
        });
      }
      for (const size of o.sizes) {
        const bytes = size * MiB;
        const ms = new Map(sides.map((sd) => [sd, []]));
        // CPU of the three processes a transfer runs on, summed over the timed transfers: unlike
        // wall time it barely depends on what else the shared machine is doing.
        const cpu = new Map(sides.map((sd) => [sd, { requester: 0, responder: 0, server: 0 }]));
        const same = new Map();
        for (const sd of sides) {
          const got = await sd.reader.fetch('bench', BENCH_DRIVER, file, 0, bytes);
          same.set(sd, Buffer.from(got.buffer, got.byteOffset, got.length).equals(expected.subarray(0, bytes)));
        }
        for (let r = 0; r < o.fetchReps; r++) {
          const order = r % 2 === 0 ? sides : [...sides].reverse();
          for (const sd of order) {
            const c0 = process.cpuUsage();
            const r0 = cpuMsOf(sd.build.responderPid);
            const s0 = cpuMsOf(server.pid);
            const t0 = performance.now();
            await sd.reader.fetch('bench', BENCH_DRIVER, file, 0, bytes);
            ms.get(sd).push(performance.now() - t0);
            const c = process.cpuUsage(c0);
            const acc = cpu.get(sd);
            acc.requester += (c.user + c.system) / 1000;
            acc.responder += cpuMsOf(sd.build.responderPid) - r0;
            acc.server += cpuMsOf(server.pid) - s0;
          }
        }
        for (const sd of sides) {
          const mbps = ms.get(sd).map((t) => bytes / 1e6 / (t / 1000));
          const mb = (bytes / 1e6) * o.fetchReps;
          const c = cpu.get(sd);
          const perGB = (x) => (x / mb) * 1000;
          out[`${mp}MiB ${size}MiB ${sd.label}`] = {
            maxPayloadMiB: mp,
            sizeMiB: size,
            side: sd.label,
            medianMBps: median(mbps),
            minMBps: Math.min(...mbps),
            maxMBps: Math.max(...mbps),
            medianMs: median(ms.get(sd)),
            identical: same.get(sd),
            cpuMsPerGB: { requester: perGB(c.requester), responder: perGB(c.responder), server: perGB(c.server) },
          };
          rows.push([
            `${mp} MiB`,
            `${size} MiB`,
            sd.label,
            fmt(median(ms.get(sd)), 1),
            fmt(median(mbps), 0),
            `${fmt(Math.min(...mbps), 0)}–${fmt(Math.max(...mbps), 0)}`,
            `${fmt(perGB(c.requester), 0)} / ${fmt(perGB(c.responder), 0)} / ${fmt(perGB(c.server), 0)}`,
            fmt(perGB(c.requester + c.responder + c.server), 0),
            same.get(sd) ? 'yes' : 'NO',
          ]);
        }
      }
    } finally {
      for (const t of requesters) await t.close();
      for (const responder of responders) {
        if (responder.exitCode === null) {
          responder.kill('SIGTERM');
          await new Promise((r) => responder.once('exit', r));
        }
      }
      await server.stop();
    }
  }
  console.log(
    table(
      [
        'max_payload',
        'size',
        'side',
        'median ms',
        'median MB/s',
        'range MB/s',
        'CPU ms/GB exec / driver / nats',
        'CPU ms/GB all',
        'bytes identical',
      ],
      rows,
    ),
  );
  console.log('   CPU ms/GB: CPU time of the executor (SourceReader), the driver (InputServer) and nats-server per 10^9 bytes shipped');
  if (o.before !== undefined) {
    for (const mp of o.maxPayloads)
      for (const size of o.sizes) {
        const after = out[`${mp}MiB ${size}MiB ${sides[0].label}`];
        const before = out[`${mp}MiB ${size}MiB ${sides.find((sd) => sd.build !== builds[0]).label}`];
        const all = (x) => x.cpuMsPerGB.requester + x.cpuMsPerGB.responder + x.cpuMsPerGB.server;
        console.log(
          `   max_payload ${mp} MiB, ${size} MiB: this build / before = ${fmt(after.medianMBps / before.medianMBps)}× in median MB/s, ${fmt(all(before) / all(after))}× less CPU per byte`,
        );
      }
  }
  return out;
}

// ── c. end to end on 1M rows ─────────────────────────────────────────────────────

async function partC(k, o, scratch) {
  const csv = o.csv ?? ensureCsv(join(DATA_DIR, `bank-${rowsLabel(o.rows)}.csv`), o.rows, 7);
  let outputs = 0;
  const spec = () => k.parseJobSpecFile(JOB, { output: join(scratch, `out-c-${outputs++}`), conf: { 'input.path': csv } });
  console.log(
    `\nc. end to end: examples/bank-lr.yaml on ${relative(ROOT, csv)}, ${o.e2eReps} repetitions each, interleaved (alternating first)`,
  );
  console.log(
    `   local[2] = runJob on one in-process LocalExecutor with 2 threads; cluster = runJob over NATS on 2 executor processes × 1 thread (driver connect not timed)`,
  );
  return withClusters(k, [2], 1, async (clusters) => {
    const cluster = clusters.get(2);
    const times = { local: [], cluster: [] };
    const results = { local: [], cluster: [] };
    for (let r = 0; r < o.e2eReps; r++) {
      const order = r % 2 === 0 ? ['local', 'cluster'] : ['cluster', 'local'];
      for (const side of order) {
        const s = await spec();
        const { result, ms } =
          side === 'local' ? await runLocal(k, s, 2, new k.EventBus()) : await runOnCluster(k, s, cluster, 2, new k.EventBus());
        times[side].push(ms);
        results[side].push(result);
        console.log(
          `   rep ${r + 1} ${side.padEnd(7)} ${(ms / 1000).toFixed(2)} s  test AUC ${result.metrics.test.areaUnderROC}  tasks ${JSON.stringify(result.tasksByExecutor)}`,
        );
        rmSync(s.output.path, { recursive: true, force: true });
      }
    }
    const all = [...results.local, ...results.cluster];
    const identical = all.every((x) => sameResult(x, all[0]));
    const aucIdentical = all.every((x) => Object.is(x.metrics.test.areaUnderROC, all[0].metrics.test.areaUnderROC));
    const ml = median(times.local);
    const mc = median(times.cluster);
    console.log(
      table(
        ['side', 'median s', 'min s', 'max s'],
        [
          ['local[2]', fmt(ml / 1000), fmt(Math.min(...times.local) / 1000), fmt(Math.max(...times.local) / 1000)],
          ['2 executors', fmt(mc / 1000), fmt(Math.min(...times.cluster) / 1000), fmt(Math.max(...times.cluster) / 1000)],
        ],
      ),
    );
    console.log(`   cluster / local = ${fmt(mc / ml)} (ratio of medians; > 1 means the cluster is slower)`);
    console.log(
      `   test AUC ${all[0].metrics.test.areaUnderROC}: ${aucIdentical ? 'bit-identical' : 'DIFFERS'} across all ${all.length} runs; coefficients and metrics ${identical ? 'bit-identical' : 'DIFFER'}`,
    );
    return {
      csv: relative(ROOT, csv),
      localMs: times.local,
      clusterMs: times.cluster,
      medianLocalMs: ml,
      medianClusterMs: mc,
      ratio: mc / ml,
      testAuc: all[0].metrics.test.areaUnderROC,
      aucIdentical,
      identical,
    };
  });
}

// ── main ─────────────────────────────────────────────────────────────────────────

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const k = await importBuilt();
  const m = machine();
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}`);
  console.log(`load average at start: ${load()}`);
  const scratch = mkdtempSync(join(os.tmpdir(), 'kindling-bench-cluster-'));
  const report = { machine: m };
  try {
    if (o.parts.has('a')) report.coordination = await partA(k, o, scratch);
    if (o.parts.has('b')) report.fetch = await partB(k, o, scratch);
    if (o.parts.has('c')) report.endToEnd = await partC(k, o, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  report.machine.loadEnd = os.loadavg();
  console.log(`\nload average at end: ${load()}`);
  if (o.json) console.log(JSON.stringify(report));
}

if (process.argv[2] === '--fetch-responder') {
  fetchResponder(process.argv[3], process.argv[4], process.argv[5], process.argv[6]).catch((err) => {
    process.stderr.write(`fetch responder: ${err.stack ?? err}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`cluster bench failed: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
