#!/usr/bin/env node
/**
 * Chaos run: the bank job on N bank-like rows, on a local cluster of executor processes over
 * a real nats-server, round after round with seeded random faults — kill -9 or SIGTERM of a
 * random executor at random moments, then a restart under the same id after a short delay, as
 * a StatefulSet controller would. Each round's result must be bit-identical to a fault-free
 * reference run on the same cluster. Run by hand (scripts/bench/README.md) after `npx tsc -b`;
 * it imports the built packages and the test harness (test/dist/src/harness).
 *
 *   node scripts/chaos/chaos.mjs [--rows 1000000] [--rounds 5] [--executors 3] [--seed 1]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JOB = join(ROOT, 'examples/bank-lr.yaml');
const GENERATOR = join(ROOT, 'scripts/gen-bank-like.mjs');
const DATA_DIR = join(ROOT, 'scripts/bench/data');
const HARNESS = join(ROOT, 'test/dist/src/harness/local-cluster.js');

function usage(code) {
  process.stdout.write(`usage: node scripts/chaos/chaos.mjs [options]
  --rows N                 bank-like rows (default 1000000; scripts/bench/data/bank-<N>.csv, generated once, seed 7)
  --csv FILE               use this CSV instead
  --rounds N               rounds with faults (default 5)
  --executors N            executor processes, 1 worker thread each (default 3)
  --seed S                 seed of the fault plans (default 1); round r uses seed S and r only
  --only-round R           run just round R of seed S (to reproduce one round)
  --timeout S              per-round timeout in seconds (default 3 × reference time + 60)
  --max-iter N             model.maxIter (default the job's, 10)
  --executor-timeout-ms N  driver: an executor silent this long is lost (default 2000, as the test harness)
  --fault SPEC             a fixed fault instead of the random plan, in every round (repeatable):
                           signal=SIGKILL|SIGTERM,executor=executor-0,stage=REGEX[,after=MS][,restart=MS]
                           fires AFTER ms (default 0) once a stage whose name matches REGEX is submitted,
                           then restarts the executor RESTART ms (default 300) after it exited
  --logs DIR               where logs of failed rounds go (default a new folder under the temp dir)
  --hidden                 executors cannot open the input: each runs under \`unshare -m\` with the CSV's
                           folder covered by an empty tmpfs (as a pod without the volume), fetching ranges
                           from the driver (needs root)
  --nats-restart           also restart the nats-server once per round (same port and JetStream store), at a
                           moment drawn in 3–75 % of the reference time; the executor faults stay as planned
  --json                   also print the report as one JSON object
`);
  process.exit(code);
}

/** `cmd` in a private mount namespace where `dir` is covered by an empty tmpfs. */
function hiddenFrom(dir, cmd) {
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs "$0" && exec "$@"', dir, ...cmd]];
}

function fail(message) {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

function parseCount(text, name, min = 1) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(String(text).trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < min) fail(`${name} must be an integer ≥ ${min}, got '${text}'`);
  return n;
}

function parseArgs(argv) {
  const o = {
    rows: 1_000_000,
    csv: undefined,
    rounds: 5,
    executors: 3,
    seed: 1,
    onlyRound: undefined,
    timeout: undefined,
    maxIter: undefined,
    executorTimeoutMs: 2000,
    logs: undefined,
    json: false,
    faults: [],
    hidden: false,
    natsRestart: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--rows':
        o.rows = parseCount(value(), '--rows');
        break;
      case '--csv':
        o.csv = resolve(value());
        break;
      case '--rounds':
        o.rounds = parseCount(value(), '--rounds');
        break;
      case '--executors':
        o.executors = parseCount(value(), '--executors', 2);
        break;
      case '--seed':
        o.seed = parseCount(value(), '--seed', 0);
        break;
      case '--only-round':
        o.onlyRound = parseCount(value(), '--only-round');
        break;
      case '--timeout':
        o.timeout = parseCount(value(), '--timeout');
        break;
      case '--max-iter':
        o.maxIter = parseCount(value(), '--max-iter');
        break;
      case '--executor-timeout-ms':
        o.executorTimeoutMs = parseCount(value(), '--executor-timeout-ms', 500);
        break;
      case '--logs':
        o.logs = resolve(value());
        break;
      case '--fault':
        o.faults.push(parseFault(value()));
        break;
      case '--nats-restart':
        o.natsRestart = true;
        break;
      case '--hidden':
        o.hidden = true;
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

/** `signal=SIGKILL,executor=executor-0,stage=^load ,after=200,restart=300` → a stage-triggered fault. */
function parseFault(text) {
  const kv = Object.fromEntries(text.split(',').map((p) => p.split(/=(.*)/s).slice(0, 2)));
  const signal = { SIGKILL: 'SIGKILL', KILL: 'SIGKILL', 9: 'SIGKILL', SIGTERM: 'SIGTERM', TERM: 'SIGTERM' }[
    String(kv.signal).toUpperCase()
  ];
  if (!signal) fail(`--fault ${text}: signal must be SIGKILL or SIGTERM`);
  if (!/^[A-Za-z0-9_-]+$/.test(kv.executor ?? '')) fail(`--fault ${text}: executor= is missing or not an executor id`);
  if (kv.stage === undefined) fail(`--fault ${text}: stage=REGEX is missing`);
  let stage;
  try {
    stage = new RegExp(kv.stage);
  } catch (err) {
    fail(`--fault ${text}: stage: ${err.message}`);
  }
  const ms = (name, dflt) => (kv[name] === undefined ? dflt : parseCount(kv[name], `--fault ${name}=`, 0));
  return { signal, victim: kv.executor, stage, afterMs: ms('after', 0), restartDelayMs: ms('restart', 300) };
}

// ── small pieces ─────────────────────────────────────────────────────────────────

/** mulberry32: the generator's PRNG, so plans are the same on every machine. */
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
const alive = (p) => p.child.exitCode === null && p.child.signalCode === null;
const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const stamp = () => new Date().toISOString().slice(11, 23);

function ensureCsv(file, rows) {
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  process.stdout.write(`generating ${relative(ROOT, file)} (${rows} rows, seed 7) … `);
  const out = execFileSync(process.execPath, [GENERATOR, '--rows', String(rows), '--out', file, '--seed', '7'], { encoding: 'utf8' });
  process.stdout.write(`${/seconds=\S+/.exec(out)?.[0] ?? 'done'}\n`);
  return file;
}

/** What differs between a round's result and the reference (empty when bit-identical). */
function differences(r, ref) {
  const out = [];
  if (!bits(r.coefficients).equals(bits(ref.coefficients))) out.push('coefficients');
  if (!Object.is(r.intercept, ref.intercept)) out.push('intercept');
  if (!isDeepStrictEqual(r.metrics, ref.metrics)) out.push('metrics');
  if (!bits(Float64Array.from(r.objectiveHistory)).equals(bits(Float64Array.from(ref.objectiveHistory)))) out.push('objectiveHistory');
  if (r.trainRows !== ref.trainRows || r.testRows !== ref.testRows) out.push('split sizes');
  return out;
}

/** A driver logger that keeps JSON lines in memory, written out when a round fails. */
function memoryLogger() {
  const lines = [];
  const at = (level) => (obj, msg) => {
    const base = typeof obj === 'string' ? { msg: obj } : { ...obj, msg };
    lines.push(JSON.stringify({ t: stamp(), level, ...base }));
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** The fault plan of round `round` under `seed`: 1–2 moments into the job, victim, signal, restart delay. */
function planRound(seed, round, executors, referenceMs) {
  const rng = mulberry32(Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(round, 0x85ebca6b));
  const count = rng() < 0.5 ? 1 : 2;
  const faults = [];
  for (let i = 0; i < count; i++) {
    faults.push({
      atMs: Math.round(referenceMs * (0.03 + 0.72 * rng())),
      victim: `executor-${Math.floor(rng() * executors)}`,
      signal: rng() < 0.5 ? 'SIGKILL' : 'SIGTERM',
      restartDelayMs: Math.round(200 + 2300 * rng()),
    });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The moment of round `round`'s NATS restart (--nats-restart), from its own generator: the executor plan is unchanged. */
function planNatsRestart(seed, round, referenceMs) {
  const rng = mulberry32(Math.imul(seed + 7, 0x27d4eb2f) ^ Math.imul(round, 0x165667b1));
  return { kind: 'nats', atMs: Math.round(referenceMs * (0.03 + 0.72 * rng())) };
}

/** How a fault reads in the log. */
const describe = (f) => (f.kind === 'nats' ? 'NATS restart' : f.signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM');

// ── the run ──────────────────────────────────────────────────────────────────────

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(HARNESS)) fail(`${relative(ROOT, HARNESS)} is missing: run \`npx tsc -b\` first`);
  const k = {
    ...(await import('@kindling/coordinator')),
    ...(await import('@kindling/coordinator/cluster')),
    ...(await import('@kindling/shared')),
    ...(await import(pathToFileURL(HARNESS).href)),
  };
  const csv = o.csv ?? ensureCsv(join(DATA_DIR, `bank-${rowsLabel(o.rows)}.csv`), o.rows);
  const scratch = mkdtempSync(join(os.tmpdir(), 'kindling-chaos-'));
  const logsDir = o.logs ?? join(os.tmpdir(), `kindling-chaos-logs-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const ids = Array.from({ length: o.executors }, (_, i) => `executor-${i}`);
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model.trim()}, ${cpus.length} cores, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `chaos: ${relative(ROOT, csv)}, ${o.executors} executors × 1 thread${o.hidden ? ' that cannot open it (unshare -m)' : ''}, seed ${o.seed}, driver executor timeout ${o.executorTimeoutMs} ms`,
  );

  // Every executor process ever started, so none outlives this script however it ends.
  const started = [];
  let cluster;
  const startExecutor = (id, round) => {
    const p = cluster.startExecutor(id, 1);
    const entry = { round, proc: p, startedAt: Date.now(), exitedAt: undefined };
    void p.exited.then(() => (entry.exitedAt = Date.now()));
    started.push(entry);
    return p;
  };
  const killEverything = async () => {
    for (const { proc } of started) if (alive(proc)) proc.child.kill('SIGKILL');
    if (cluster) for (const p of cluster.executors.values()) if (alive(p)) p.child.kill('SIGKILL');
    await cluster?.server.stop().catch(() => undefined);
  };
  process.on('exit', () => {
    for (const { proc } of started) if (alive(proc)) proc.child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      process.stderr.write(`\nchaos: ${sig}: stopping every process\n`);
      void killEverything().finally(() => process.exit(130));
    });
  }

  const hideDir = dirname(csv);
  const newCluster = async () => {
    cluster = await k.LocalCluster.start(0);
    if (o.hidden) cluster.wrapCommand = (bin, args) => hiddenFrom(hideDir, [bin, ...args]);
    for (const id of ids) startExecutor(id, 0);
    await cluster.waitForExecutors(o.executors, 30_000);
  };

  let outputs = 0;
  const conf = { 'input.path': csv, ...(o.maxIter !== undefined && { 'model.maxIter': String(o.maxIter) }) };
  const spec = () => k.parseJobSpecFile(JOB, { output: join(scratch, `out-${outputs++}`), conf });

  /** One job on the cluster, as runOnCluster runs it, but abortable: resolves with an outcome, never rejects. */
  const runJob = async (events, timeoutMs, logger, onBackend = () => {}) => {
    const transport = await k.NatsTransport.connect(cluster.connectionOptions('chaos-driver'), {
      warn: (obj, msg) => logger.warn(obj, `transport: ${msg}`),
    });
    const driver = await k.DriverContext.onCluster(transport, {
      events,
      logger,
      executorWaitMs: 10_000,
      cluster: { prefix: cluster.prefix, heartbeatMs: 250, executorTimeoutMs: o.executorTimeoutMs },
    });
    const backend = driver.backend;
    onBackend(backend);
    const s = await spec();
    const t0 = performance.now();
    let timer;
    const job = driver.runJob(s).then(
      (result) => ({ status: 'finished', result }),
      (err) => ({ status: 'failed', error: `${err.code ?? err.name}: ${err.message}` }),
    );
    const timeout = new Promise((res) => (timer = setTimeout(() => res({ status: 'timeout' }), timeoutMs)));
    const outcome = await Promise.race([job, timeout]);
    clearTimeout(timer);
    outcome.ms = performance.now() - t0;
    if (outcome.status === 'timeout') outcome.diagnosis = diagnose(backend);
    await driver.close();
    await transport.close().catch(() => undefined);
    rmSync(s.output.path, { recursive: true, force: true });
    return outcome;
  };

  /** What the driver was waiting for when a round timed out (ClusterBackend.diagnostics). */
  const diagnose = (backend) => {
    const d = backend.diagnostics();
    return {
      pending: d.inFlight,
      registry: d.executors.map((h) => ({
        id: h.executorId,
        startedAt: new Date(h.startedAt).toISOString(),
        draining: h.draining,
        runningTasks: h.runningTasks,
        cachedBlocks: h.cachedBlocks,
        silentMs: h.silentMs,
      })),
    };
  };

  const report = { csv: relative(ROOT, csv), executors: o.executors, seed: o.seed, rounds: [] };
  const cleanup = async (graceful) => {
    if (graceful && cluster) await cluster.stop().catch(() => killEverything());
    else await killEverything();
    rmSync(scratch, { recursive: true, force: true });
  };

  try {
    await newCluster();
    // Reference: the same job on the same cluster without faults, twice: the first run warms
    // the executors up (a cold run takes several times longer), the second times the job for
    // the fault moments. Both must agree, or faults are not what makes a round differ.
    const warm = await runJob(new k.EventBus(), 30 * 60_000, k.silentLogger);
    const ref = warm.status === 'finished' ? await runJob(new k.EventBus(), 30 * 60_000, k.silentLogger) : warm;
    if (ref.status !== 'finished')
      throw new Error(`the fault-free reference run did not finish: ${ref.status} ${ref.error ?? JSON.stringify(ref.diagnosis)}`);
    const reference = ref.result;
    const warmDiffs = differences(warm.result, reference);
    if (warmDiffs.length > 0)
      throw new Error(`two fault-free runs differ (${warmDiffs.join(', ')}): the job is not deterministic on this cluster`);
    const timeoutMs = (o.timeout ?? Math.ceil((3 * ref.ms + 60_000) / 1000)) * 1000;
    console.log(
      `reference: ${(warm.ms / 1000).toFixed(1)} s cold, ${(ref.ms / 1000).toFixed(1)} s warm (fault moments are drawn in 3–75 % of it), identical; test AUC ${reference.metrics.test.areaUnderROC}, tasks ${JSON.stringify(reference.tasksByExecutor)}; round timeout ${timeoutMs / 1000} s\n`,
    );
    report.referenceMs = ref.ms;
    report.testAuc = reference.metrics.test.areaUnderROC;

    const rounds = o.onlyRound !== undefined ? [o.onlyRound] : Array.from({ length: o.rounds }, (_, i) => i + 1);
    for (const round of rounds) {
      // Every id must have a live, registered process before the round starts.
      for (const id of ids) if (!alive(cluster.executors.get(id))) startExecutor(id, round);
      await cluster.waitForExecutors(o.executors, 30_000);

      const plan = [
        ...(o.faults.length > 0 ? o.faults : planRound(o.seed, round, o.executors, ref.ms)),
        ...(o.natsRestart ? [planNatsRestart(o.seed, round, ref.ms)] : []),
      ];
      const when = (f) => (f.stage ? `${f.afterMs} ms after stage /${f.stage.source}/ starts` : `at ${(f.atMs / 1000).toFixed(1)} s`);
      console.log(
        `round ${round}: plan ${plan.map((f) => (f.kind === 'nats' ? `NATS restart ${when(f)}` : `${describe(f)} ${f.victim} ${when(f)}, restart after ${f.restartDelayMs} ms`)).join('; ')}`,
      );
      const { logger, lines } = memoryLogger();
      const events = new k.EventBus();
      const seen = { recoveries: [], removed: [], failedTasks: [], moved: 0, stages: [] };
      events.on('partition-recovered', (e) => seen.recoveries.push(e));
      events.on('executor-removed', (e) => seen.removed.push(e));
      events.on('task-failed', (e) => seen.failedTasks.push(e));
      events.on('partitions-moved', (e) => (seen.moved += e.moves.length));
      events.on('stage-submitted', (e) => seen.stages.push({ ...e, at: Date.now() }));
      for (const type of [
        'executor-added',
        'executor-removed',
        'partitions-moved',
        'partition-recovered',
        'task-failed',
        'stage-submitted',
        'stage-completed',
      ]) {
        events.on(type, (e) => logger.info({ event: type, ...e }, type));
      }

      const injected = [];
      const controllers = [];
      const roundStart = Date.now();
      let backend;
      const restartNats = (f) => {
        const stage = seen.stages.at(-1)?.name ?? '(before the first stage)';
        const at = Date.now() - roundStart;
        const entry = { ...f, id: 'nats-server', at, during: stage, inFlight: [] };
        injected.push(entry);
        console.log(`  ${stamp()} +${(at / 1000).toFixed(1)} s NATS restart during '${stage}'`);
        logger.warn({ chaos: true, kind: 'nats', during: stage }, 'chaos: restarting the NATS server');
        controllers.push(
          cluster.server.restart().then(() => {
            entry.restartedAt = Date.now() - roundStart;
            entry.exitAfterMs = entry.restartedAt - at;
            console.log(`  ${stamp()} +${(entry.restartedAt / 1000).toFixed(1)} s NATS server back after ${entry.exitAfterMs} ms`);
          }),
        );
      };
      const fire = (f) => {
        if (f.kind === 'nats') return restartNats(f);
        // The planned victim, or the next live one if it is already down (or going down).
        const order = [...ids.slice(ids.indexOf(f.victim)), ...ids.slice(0, ids.indexOf(f.victim))];
        const id = order.find((x) => alive(cluster.executors.get(x)) && !injected.some((i) => i.proc === cluster.executors.get(x)));
        if (id === undefined) {
          injected.push({ ...f, skipped: 'no live executor left to fault' });
          return;
        }
        const proc = cluster.executors.get(id);
        const stage = seen.stages.at(-1)?.name ?? '(before the first stage)';
        // The driver's own view of what the victim is running (its private bookkeeping).
        const inFlight = [...(backend?.pending?.entries() ?? [])]
          .filter(([, p]) => p.executorId === id)
          .map(([taskId, p]) => `${p.op} ${taskId}`);
        proc.child.kill(f.signal);
        const at = Date.now() - roundStart;
        const entry = { ...f, id, proc, at, during: stage, pid: proc.child.pid, inFlight };
        injected.push(entry);
        console.log(
          `  ${stamp()} +${(at / 1000).toFixed(1)} s ${f.signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${id} (pid ${proc.child.pid}) during '${stage}', ${inFlight.length} task(s) of it in flight`,
        );
        logger.warn(
          { chaos: true, ...f, stage: f.stage?.source, id, pid: proc.child.pid, during: stage, inFlight },
          `chaos: ${f.signal} ${id}`,
        );
        // The controller: once the process is gone, a new one with the same id after a delay.
        controllers.push(
          (async () => {
            entry.exit = await proc.exited;
            entry.exitAfterMs = Date.now() - roundStart - at;
            await sleep(f.restartDelayMs);
            const fresh = startExecutor(id, round);
            entry.restartedAt = Date.now() - roundStart;
            logger.warn({ chaos: true, id, pid: fresh.child.pid, exit: entry.exit }, `chaos: restarted ${id}`);
            console.log(
              `  ${stamp()} +${(entry.restartedAt / 1000).toFixed(1)} s ${id} exited (${entry.exit}) after ${entry.exitAfterMs} ms; restarted as pid ${fresh.child.pid}`,
            );
          })(),
        );
      };
      const timers = [];
      for (const f of plan) {
        if (!f.stage) {
          timers.push(setTimeout(() => fire(f), f.atMs));
          continue;
        }
        let armed = true;
        events.on('stage-submitted', (e) => {
          if (!armed || !f.stage.test(e.name)) return;
          armed = false;
          timers.push(setTimeout(() => fire(f), f.afterMs));
        });
      }

      const outcome = await runJob(events, timeoutMs, logger, (b) => (backend = b));
      for (const t of timers) clearTimeout(t);
      await Promise.all(controllers);
      const faults = injected.filter((i) => !i.skipped);
      const late = plan.length - injected.length;
      const diffs = outcome.status === 'finished' ? differences(outcome.result, reference) : undefined;
      const maxRecoveryMs = seen.recoveries.length ? Math.max(...seen.recoveries.map((r) => r.recoveryMs)) : undefined;
      const r = {
        round,
        faults: faults.map((f) => ({
          ...(f.kind === 'nats' ? { kind: 'nats-restart' } : {}),
          signal: f.signal,
          executor: f.id,
          atMs: f.at,
          stage: f.during,
          inFlight: f.inFlight,
          exit: f.exit,
          exitAfterMs: f.exitAfterMs,
          restartedAtMs: f.restartedAt,
        })),
        skipped: injected.filter((i) => i.skipped).length,
        notReached: late,
        status: outcome.status,
        finished: outcome.status === 'finished',
        identical: diffs !== undefined && diffs.length === 0,
        differences: diffs,
        error: outcome.error,
        durationMs: Math.round(outcome.ms),
        recoveries: seen.recoveries.map((x) => x.recoveryMs),
        maxRecoveryMs,
        executorsRemoved: seen.removed.map((x) => `${x.executorId}${x.lost ? ' (lost)' : ' (drained)'}`),
        partitionsMoved: seen.moved,
        failedTasks: seen.failedTasks.length,
        failedTaskCodes: [...new Set(seen.failedTasks.map((x) => x.code))],
        tasksByExecutor: outcome.result?.tasksByExecutor,
        diagnosis: outcome.diagnosis,
      };
      report.rounds.push(r);
      console.log(
        `round ${round}: faults ${faults.map((f) => `${f.kind === 'nats' ? 'nats-restart' : f.signal === 'SIGKILL' ? 'kill-9' : 'TERM'}:${f.id}@${f.during}`).join(', ') || 'none'}` +
          (late > 0 ? ` (+${late} planned after the job ended)` : '') +
          ` | finished ${r.finished ? 'yes' : `NO (${r.status})`} | identical ${r.identical ? 'yes' : r.finished ? `NO (${diffs.join(', ')})` : '-'}` +
          ` | max recovery ${maxRecoveryMs !== undefined ? `${maxRecoveryMs} ms` : '-'} (${seen.recoveries.length} partition(s))` +
          ` | ${(outcome.ms / 1000).toFixed(1)} s, removed [${r.executorsRemoved.join(', ')}], ${r.failedTasks} failed task(s) ${r.failedTaskCodes.join(' ')}`,
      );

      if (!r.finished || !r.identical) {
        // Keep the evidence: driver log, every executor process of the round, the diagnosis.
        const dir = join(logsDir, `round-${round}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'driver.log'), lines.join('\n') + '\n');
        writeFileSync(
          join(dir, 'round.json'),
          JSON.stringify({ ...r, plan: plan.map((f) => ({ ...f, stage: f.stage?.source })) }, null, 2),
        );
        for (const [i, s] of started.entries()) {
          if (s.exitedAt !== undefined && s.exitedAt < roundStart) continue;
          writeFileSync(join(dir, `${s.proc.id}-pid${s.proc.child.pid}-${i}.log`), s.proc.output());
        }
        if (r.error) console.log(`  error: ${r.error}`);
        if (r.diagnosis) {
          console.log(
            `  driver was waiting for ${r.diagnosis.pending.length} task(s): ${r.diagnosis.pending.map((p) => `${p.op} on ${p.executorId}`).join(', ')}`,
          );
          console.log(
            `  registry: ${r.diagnosis.registry.map((x) => `${x.id} started ${x.startedAt.slice(11, 23)} silent ${x.silentMs} ms running ${x.runningTasks}`).join('; ')}`,
          );
        }
        console.log(`  logs: ${dir}`);
        if (outcome.status === 'timeout') {
          // The stuck job still holds the cluster: start a clean one for the next round.
          await killEverything();
          await newCluster();
        }
      }
    }

    const n = report.rounds.length;
    const finished = report.rounds.filter((r) => r.finished).length;
    const identical = report.rounds.filter((r) => r.identical).length;
    const recoveries = report.rounds.flatMap((r) => r.recoveries);
    const faults = report.rounds.reduce((a, r) => a + r.faults.length, 0);
    const mean = recoveries.length ? recoveries.reduce((a, b) => a + b, 0) / recoveries.length : undefined;
    const max = recoveries.length ? Math.max(...recoveries) : undefined;
    report.summary = {
      rounds: n,
      faults,
      finished,
      identical,
      meanRecoveryMs: mean,
      maxRecoveryMs: max,
      recoveredPartitions: recoveries.length,
    };
    console.log(
      `\nsummary: ${faults} fault(s) in ${n} round(s); jobs finished ${finished}/${n}; bit-identical ${identical}/${n}; ` +
        `recovery ${recoveries.length ? `mean ${Math.round(mean)} ms, max ${max} ms over ${recoveries.length} partition(s)` : 'none recorded'}`,
    );
    const faultArgs = process.argv
      .slice(2)
      .flatMap((a, i, all) => (a === '--fault' ? [`--fault '${all[i + 1]}'`] : a.startsWith('--fault=') ? [`'${a}'`] : []));
    console.log(
      `reproduce: node scripts/chaos/chaos.mjs ${o.csv ? `--csv ${relative(ROOT, o.csv)}` : `--rows ${o.rows}`} --executors ${o.executors} --seed ${o.seed} --rounds ${o.rounds}` +
        `${o.hidden ? ' --hidden' : ''}${o.natsRestart ? ' --nats-restart' : ''}${o.maxIter ? ` --max-iter ${o.maxIter}` : ''}${o.executorTimeoutMs !== 2000 ? ` --executor-timeout-ms ${o.executorTimeoutMs}` : ''} ${faultArgs.join(' ')}${o.faults.length ? '' : ' [--only-round R]'}`,
    );
    if (o.json) console.log(JSON.stringify(report));
    await cleanup(true);
    return finished === n && identical === n ? 0 : 1;
  } catch (err) {
    await cleanup(false);
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chaos failed: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
