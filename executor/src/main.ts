#!/usr/bin/env node
/**
 * The executor process: composition root and entry point. startExecutor wires the health
 * server, the NATS transport, the block store, the thread pool, the task runner, the backend
 * and the heartbeater, and owns the graceful shutdown (drain on SIGTERM, wait for running
 * tasks within the grace period, free blocks, close). Run directly
 * (`node executor/dist/src/main.js --master nats://…`) or through `kindling executor`
 * (runExecutorCli). One executor per process in production; tests may start several.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asJobId, KindlingError, NatsTransport, type JobId, type Transport } from '@kindling/shared';
import { natsOptionsOf, readExecutorCommandLine, type ExecutorConfig, type ExecutorLogLevel } from './config.js';
import { Executor } from './executor.js';
import { ExecutorBackend } from './executor-backend.js';
import type { ExecutorLogger } from './executor-logger.js';
import { ExecutorMetrics } from './executor-metrics.js';
import { startHealthServer, type Readiness } from './health-server.js';
import { Heartbeater } from './heartbeater.js';
import { SourceReader } from './source-reader.js';
import { ThreadPool } from './pool/thread-pool.js';
import { BlockStore } from './storage/block-store.js';
import { MemoryReclaimer } from './storage/memory-reclaimer.js';
import { TaskRunner } from './task-runner.js';

/**
 * Fetched input ranges that tasks may hold at once, per core (SourceReader): one being parsed
 * and three fetched ahead, 16 MiB a core with 4 MiB partitions. Their tasks go ahead of the
 * pool's queue (pool/task-queue.ts), so a place is free again as soon as a thread can parse.
 * Measured at 10M rows with hidden input and a 128 MB budget (docs/memory.md): the same time
 * as no bound, with executors at 0.45 GB instead of 0.72–0.76 and the driver at 0.33 instead of 1.0.
 */
const SOURCE_TASKS_PER_CORE = 4;

/** How an executor stopped. */
export interface ExecutorStopOutcome {
  readonly reason: string;
  /** True when no task was still running at the end of the grace period. */
  readonly drained: boolean;
  /** Tasks still running at the deadline, reported to their drivers as E_EXECUTOR_LOST. */
  readonly abandonedTasks: number;
  /** Set when the executor stopped because of a failure (e.g. the NATS connection closed). */
  readonly error?: string;
}

/** A running executor. */
export interface ExecutorHandle {
  readonly id: string;
  /** The bound health port (the chosen one when configured as 0). */
  readonly healthPort: number;
  /** Resolves once connected to NATS and serving; rejects if stopped before that. */
  readonly ready: Promise<void>;
  /** Resolves when the executor has stopped, whoever stopped it. */
  readonly stopped: Promise<ExecutorStopOutcome>;
  /**
   * Drains and stops: refuses new tasks (a draining heartbeat goes out at once), waits up to
   * graceMs for running tasks, frees every block, closes NATS and the pool. Idempotent.
   */
  stop(reason: string): Promise<ExecutorStopOutcome>;
}

interface Serving {
  readonly transport: Transport;
  readonly pool: ThreadPool;
  readonly backend: ExecutorBackend;
  readonly heartbeater: Heartbeater;
  readonly executor: Executor;
}

/**
 * Starts an executor. Resolves once the health server listens (so probes answer while NATS
 * is still unreachable); connecting to NATS goes on in the background with retries
 * (`ready` resolves when it serves). Rejects only if the health port cannot be bound.
 */
export async function startExecutor(config: ExecutorConfig, log: ExecutorLogger): Promise<ExecutorHandle> {
  // One reclaimer for this thread: dropped blocks, published task outcomes and fetched input
  // bytes a task is done with all count.
  const reclaimer = new MemoryReclaimer();
  const store = new BlockStore({ reclaimer, ...(config.memoryBytes !== undefined && { budgetBytes: config.memoryBytes }) });
  let serving: Serving | undefined;
  let connected = false;
  let stopping: Promise<ExecutorStopOutcome> | undefined;
  let wakeRetry: (() => void) | undefined;

  // Set once connected; the metrics and health endpoints answer before that.
  let core: Executor | undefined;
  const running = () => core?.runningTasks() ?? 0;
  const metrics = new ExecutorMetrics(
    {
      runningTasks: running,
      cache: () => store.stats(),
      jobs: () => serving?.backend.jobs().length ?? 0,
      threadHeaps: () => serving?.pool.threadHeaps() ?? [],
    },
    { executor: config.id },
  );
  const readiness = (): Readiness => {
    if (stopping) return { ready: false, reason: serving?.executor.isDraining ? 'draining (shutting down)' : 'stopping' };
    if (!serving) return { ready: false, reason: `connecting to NATS (${config.servers.join(',')})` };
    if (!connected) return { ready: false, reason: 'NATS connection lost, reconnecting' };
    return { ready: true };
  };
  const health = await startHealthServer(
    {
      readiness,
      metrics: async ({ collect }) => {
        // Live figures of every pool thread as well, not what their last collection left.
        // A pool that is closing answers with what its threads last recorded.
        if (collect) await serving?.pool.probeThreads({ collect: true }).catch(() => undefined);
        return metrics.render();
      },
    },
    { port: config.healthPort },
  );
  log.info(
    {
      executorId: config.id,
      healthPort: health.port,
      cores: config.cores,
      servers: config.servers,
      memoryBytes: config.memoryBytes ?? 'unbounded',
    },
    'executor starting',
  );

  let resolveStopped!: (o: ExecutorStopOutcome) => void;
  const stopped = new Promise<ExecutorStopOutcome>((r) => (resolveStopped = r));

  const stop = (reason: string, error?: string): Promise<ExecutorStopOutcome> => {
    stopping ??= (async () => {
      log.info({ reason }, 'executor stopping');
      wakeRetry?.();
      let drained = true;
      let abandonedTasks = 0;
      let freedBytes = 0;
      // Wait for a connect attempt in flight, so its transport is closed rather than leaked.
      await ready.catch(() => undefined);
      const s = serving;
      if (s) {
        s.executor.drain();
        await s.heartbeater.beat();
        const running = s.executor.runningTasks();
        if (running > 0) log.info({ runningTasks: running, graceMs: config.graceMs }, 'draining: waiting for running tasks');
        drained = await s.executor.waitIdle(config.graceMs);
        if (!drained) {
          abandonedTasks = await s.backend.abandonRunning(`shut down (${reason}) at the end of its ${config.graceMs} ms grace period`);
          log.warn({ abandonedTasks, graceMs: config.graceMs }, 'grace period over: tasks still running were reported lost');
        }
        freedBytes = s.backend.dropAllJobs();
        s.heartbeater.stop();
        s.backend.stop();
        await s.transport.flush().catch(() => undefined);
        await s.transport.close().catch((err: unknown) => log.warn({ err: errText(err) }, 'closing NATS failed'));
        await s.pool.close().catch((err: unknown) => log.warn({ err: errText(err) }, 'closing the thread pool failed'));
      }
      await health.close();
      const outcome: ExecutorStopOutcome = { reason, drained, abandonedTasks, ...(error !== undefined && { error }) };
      // What the block store did over the executor's life: the figures to size --memory by.
      const { evictions, rebuilds, peakBytes, budgetBytes } = store.stats();
      log.info(
        { ...outcome, freedBytes, peakCachedBytes: peakBytes, evictions, rebuilds, ...(budgetBytes !== undefined && { budgetBytes }) },
        'executor stopped',
      );
      resolveStopped(outcome);
      return outcome;
    })();
    return stopping;
  };

  const connect = async (): Promise<Transport> => {
    let delay = 250;
    for (;;) {
      if (stopping) throw new KindlingError('E_EXECUTOR_LOST', `executor ${config.id} stopped before it connected to NATS`);
      try {
        // Bounded attempts, so a SIGTERM during start-up is not held up by a hanging connect.
        return await NatsTransport.connect({ ...natsOptionsOf(config), connectTimeoutMs: 5000 }, log);
      } catch (err) {
        if (stopping) throw err;
        log.warn({ servers: config.servers, err: errText(err), retryInMs: delay }, 'cannot connect to NATS, retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, 5000);
      }
    }
  };

  const ready = (async () => {
    const transport = await connect();
    if (stopping) {
      await transport.close();
      throw new KindlingError('E_EXECUTOR_LOST', `executor ${config.id} stopped before it served`);
    }
    connected = true;
    // Built in dependency order, each part handed what it needs: no part refers back to one
    // built after it. The backend is the only writer of `owners`; the source reader reads it.
    let pool: ThreadPool;
    try {
      pool = new ThreadPool(config.cores);
    } catch (err) {
      await transport.close().catch(() => undefined);
      throw err;
    }
    const owners = new Map<JobId, string>();
    const sources = new SourceReader({
      transport,
      prefix: config.prefix,
      log,
      timeoutMs: config.fetchTimeoutMs,
      rangesAhead: SOURCE_TASKS_PER_CORE * config.cores,
    });
    const runner = new TaskRunner(
      store,
      pool,
      sources.provider((jobId) => owners.get(asJobId(jobId))),
      (bytes) => {
        sources.done(bytes);
        reclaimer.noteDropped(bytes.byteLength);
      },
    );
    const executor = new Executor({ id: config.id, runner, store, metrics });
    const backend = new ExecutorBackend({
      executorId: config.id,
      prefix: config.prefix,
      transport,
      executor,
      log,
      driverTimeoutMs: config.driverTimeoutMs,
      sources,
      owners,
      notePublished: (bytes) => reclaimer.noteDropped(bytes),
    });
    const heartbeater = new Heartbeater({
      executorId: config.id,
      slots: config.cores,
      intervalMs: config.heartbeatMs,
      state: () => {
        const { blocks, bytes, budgetBytes, evictions, rebuilds, peakBytes } = store.stats();
        return {
          runningTasks: executor.runningTasks(),
          jobs: backend.jobs(),
          draining: executor.isDraining,
          cachedBlocks: blocks,
          cachedBytes: bytes,
          ...(budgetBytes !== undefined && { memoryBudgetBytes: budgetBytes }),
          evictions,
          rebuilds,
          peakCachedBytes: peakBytes,
        };
      },
      publish: (hb) => backend.publishHeartbeat(hb),
      log,
    });
    core = executor;
    transport.onStatus((status, detail) => {
      if (status === 'disconnected' || status === 'reconnecting') connected = false;
      if (status === 'reconnected') connected = true;
      if (status === 'closed') connected = false;
      const line = { status, ...(detail !== undefined && { detail }) };
      if (status === 'reconnected') log.info(line, 'NATS connection back');
      else log.warn(line, 'NATS connection status');
      // The client reconnects forever; a close we did not ask for leaves nothing to serve with.
      if (status === 'closed' && !stopping) void stop('NATS connection closed', `NATS connection closed${detail ? `: ${detail}` : ''}`);
    });
    backend.start(() => heartbeater.current());
    // Once ready, the executor's subjects are known to the server: a launch cannot miss it.
    await transport.flush();
    heartbeater.start();
    serving = { transport, pool, backend, heartbeater, executor };
    log.info({ executorId: config.id, slots: config.cores, prefix: config.prefix }, 'executor serving');
  })();
  // A failure after connecting (e.g. the thread pool cannot start its workers) must not leave
  // a process that is alive, never ready and silent: say why and stop, so it exits non-zero.
  ready.catch((err: unknown) => {
    if (stopping) return;
    log.error({ err: errText(err) }, 'executor failed to start serving');
    void stop('failed to start serving', errText(err));
  });

  return { id: config.id, healthPort: health.port, ready, stopped, stop: (reason) => stop(reason) };
}

/**
 * `kindling executor …` and the bin: parses argv and the environment, starts the executor,
 * stops it gracefully on SIGTERM/SIGINT, and resolves to the exit code: 0 after a clean
 * drain, 1 if tasks were still running at the deadline or it failed, 2 for bad usage.
 */
export async function runExecutorCli(
  argv: readonly string[],
  io: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<number> {
  let config: ExecutorConfig;
  try {
    const line = readExecutorCommandLine(argv, process.env);
    if (line.kind === 'help') {
      io.stdout.write(line.usage);
      return 0;
    }
    config = line.config;
  } catch (err) {
    io.stderr.write(`kindling executor: error: ${errText(err)}\n`);
    return 2;
  }
  const log = jsonLinesLogger(config.logLevel, { executor: config.id, pid: process.pid }, io.stdout);
  let handle: ExecutorHandle;
  try {
    handle = await startExecutor(config, log);
  } catch (err) {
    log.error({ err: errText(err) }, 'executor failed to start');
    return 1;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      void handle.stop(signal);
      return;
    }
    // A second Ctrl-C means "now": skip the rest of the drain.
    log.warn({ signal }, 'second signal: exiting without finishing the drain');
    process.exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const outcome = await handle.stopped;
    return outcome.drained && outcome.error === undefined ? 0 : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

const LEVELS: Record<ExecutorLogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A pino-compatible JSON-lines logger (level numbers, time, msg) for the bin, without pino. */
export function jsonLinesLogger(
  level: ExecutorLogLevel,
  base: Record<string, unknown>,
  out: NodeJS.WritableStream = process.stdout,
): ExecutorLogger {
  const min = LEVELS[level];
  const at = (n: number) => (obj: object, msg: string) => {
    if (n >= min) out.write(`${JSON.stringify({ level: n, time: Date.now(), ...base, ...obj, msg })}\n`);
  };
  return { debug: at(20), info: at(30), warn: at(40), error: at(50) };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exit(await runExecutorCli(process.argv.slice(2)));
