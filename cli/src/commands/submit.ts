/**
 * `kindling submit [options] <job.yaml>`: spark-submit for Kindling jobs. Parses the flags and
 * the job spec (exit 2 on any problem, before work starts), then runs the job — in local mode on
 * an in-process LocalExecutor, on a NATS cluster's executors, or as a driver Job on Kubernetes —
 * with the progress bar and logger attached, and prints the metrics (exit 1 if the job fails). This is the only CLI file that builds a driver (DriverContext,
 * over a LocalExecutor or a NATS cluster); those modules load lazily so `--help` stays fast.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { KindlingError } from '@kindling/shared/compute';
import type { DriverContext, DriverObserver, EventBus, FitResult, JobResult, JobSpec } from '@kindling/coordinator';
import type { ThreadPool } from '@kindling/executor';
import { errorLine, errorStack, exitCodeFor, interruptedError, type ExitCode, type FailurePhase } from '../error-report.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../logger.js';
import { parseMaster, type Master } from '../master-url.js';
import { addNatsFlags, natsOptions, type NatsFlags } from '../nats-connection.js';
import { podUsageSampler, submitToKubernetes, watchPodsForBackend, type KubernetesSubmitOptions } from './kubernetes.js';
import { METRIC_ROWS, renderMetricsTable } from '../metrics-table.js';
import { parseMetricsPort, startMetricsEndpoint } from '../metrics-endpoint.js';
import { ConsoleProgressBar } from '../progress-bar.js';
import type { CliIo } from './submit-io.js';

export type { CliIo } from './submit-io.js';

/** Flags of `kindling submit`, as commander parses them. */
export interface SubmitOptions extends NatsFlags, KubernetesSubmitOptions {
  readonly master: string;
  /** Cluster mode: how long to wait for the first executor, ms. */
  readonly executorWait?: string;
  readonly name?: string;
  readonly conf?: readonly string[];
  readonly output?: string;
  readonly overwrite?: boolean;
  readonly logLevel: LogLevel;
  /** true = draw even without a terminal, false = never, undefined = on a terminal. */
  readonly progress?: boolean;
  readonly json?: boolean;
  /** Driver Prometheus endpoint port while the job runs; 0/undefined = off. */
  readonly metricsPort?: number;
  /** Address the metrics endpoint binds (default 127.0.0.1; 0.0.0.0 in a pod). */
  readonly metricsHost?: string;
  /** --ui-port N / --ui-host ADDR / --no-ui (ui false). */
  readonly uiPort?: string;
  readonly uiHost?: string;
  readonly ui?: boolean;
  /** --ui-linger S: keep the UI up S seconds after the job (Ctrl-C ends it sooner). */
  readonly uiLinger?: string;
  /** --history-dir D / --no-event-log (eventLog false). */
  readonly historyDir?: string;
  readonly eventLog?: boolean;
}

/** Adds the `submit` command to the program; `onExit` receives the command's exit code. */
export function addSubmitCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cmd = program
    .command('submit')
    .description('run a job described by a YAML job file (like spark-submit)')
    .argument('<job.yaml>', 'the job file; relative paths in it resolve against its folder')
    .option(
      '--master <url>',
      'where to run: local, local[N] (N threads), local[*] (one per core), nats://host:port (executors of a cluster), k8s://namespace',
      'local[*]',
    )
    .addOption(
      new Option('--deploy-mode <mode>', 'k8s:// only: run the driver here (client) or as a Job in the cluster (cluster)')
        .choices(['client', 'cluster'])
        .default('client'),
    )
    .option('--image <image>', 'k8s:// cluster mode: the Kindling image of the driver Job', 'kindling:dev')
    .option(
      '--nats-url <url>',
      "k8s:// client mode: where this machine reaches the cluster's NATS (e.g. after kubectl port-forward)",
      'nats://127.0.0.1:4222',
    )
    .option('--data-claim <pvc>', 'k8s:// cluster mode: PVC with the input files, mounted at /data')
    .option('--output-claim <pvc>', 'k8s:// cluster mode: PVC for the output folder, mounted at /out')
    .option(
      '--nats-tls-secret <secret>',
      'k8s:// cluster mode: Secret with the driver pod’s NATS client certificate (ca.crt, tls.crt, tls.key), e.g. kindling-client-tls',
    )
    .option(
      '--nats-nkey-secret <secret>',
      'k8s:// cluster mode: Secret with the NATS user NKey seed (user.nk) the driver pod signs with instead of the token, e.g. kindling-nats-nkey',
    )
    .option('--name <name>', 'job name (default: the job file name); also names the default output folder')
    .option('--conf <key=value>', 'set a job-spec field by its dotted path, e.g. model.maxIter=20 (repeatable)', collect)
    .option('--output <dir>', 'output folder (overrides output.path)')
    .option('--overwrite', 'replace the output folder if it exists')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(LOG_LEVELS).default('info'))
    .option('--progress', 'draw the progress bar even when stderr is not a terminal')
    .option('--no-progress', 'never draw the progress bar')
    .option('--json', 'print the result as JSON on stdout instead of the table')
    .option('--executor-wait <ms>', 'cluster mode: how long to wait for an executor to register', '30000')
    .addOption(
      new Option(
        '--metrics-port <port>',
        "serve the driver's Prometheus metrics at http://127.0.0.1:<port>/metrics while the job runs (0 = off)",
      )
        .argParser(parseMetricsPort)
        .default(0),
    )
    .option('--metrics-host <addr>', 'address the metrics endpoint binds (0.0.0.0 to be scraped from other machines)', '127.0.0.1')
    .option('--ui-port <port>', 'serve the live web UI on exactly this port (default: 4040, or the next free one up to 4056)')
    .option('--ui-host <addr>', 'address the web UI binds (default 127.0.0.1: this machine only)')
    .option('--no-ui', 'do not serve the live web UI')
    .option('--ui-linger <seconds>', 'keep the web UI up this long after the job ends (Ctrl-C stops it sooner)', '0')
    .option(
      '--history-dir <dir>',
      'folder the event log is appended to, for `kindling history` (default ~/.kindling/history; --conf eventLog.dir=…)',
    )
    .option('--no-event-log', 'write no event log (--conf eventLog.enabled=false)');
  return addNatsFlags(cmd).action(async (jobFile: string, options: SubmitOptions) => {
    onExit(await runSubmit(jobFile, options, io));
  });
}

/** Runs `kindling submit`; resolves to the exit code after printing any error. */
export async function runSubmit(jobFile: string, options: SubmitOptions, io: CliIo): Promise<ExitCode> {
  const early = startLocalPool(options.master);
  try {
    return await submitJob(jobFile, options, io, early);
  } finally {
    // A job that never reached its executor (a bad spec, a UI port in use) stops the threads here.
    if (early !== undefined && !early.taken) await (await early.pool).close();
  }
}

/** A local master's worker threads, started before the job spec is read (see startLocalPool). */
interface EarlyPool {
  readonly pool: Promise<ThreadPool>;
  /** The local executor owns the pool (and closes it). */
  taken: boolean;
}

/**
 * In local mode the worker threads start first: each loads its modules (~0.2 s of CPU) while
 * this thread loads the driver's and reads the spec, instead of after. Any other master, or a
 * master that does not parse (reported below as a usage error), starts nothing.
 */
function startLocalPool(masterText: string): EarlyPool | undefined {
  let master: Master;
  try {
    master = parseMaster(masterText);
  } catch {
    return undefined;
  }
  if (master.kind !== 'local') return undefined;
  const threads = master.threads;
  return { pool: import('@kindling/executor').then(({ ThreadPool }) => new ThreadPool(threads)), taken: false };
}

async function submitJob(jobFile: string, options: SubmitOptions, io: CliIo, early: EarlyPool | undefined): Promise<ExitCode> {
  const bar = options.progress === false ? undefined : new ConsoleProgressBar({ stream: io.stderr, force: options.progress === true });
  const logger = createLogger({ level: options.logLevel, stream: io.stderr, beforeWrite: () => bar?.clear() });
  const fail = (err: unknown, phase: FailurePhase): ExitCode => {
    bar?.finish();
    io.stderr.write(`${errorLine(err)}\n`);
    if (options.logLevel === 'debug' || options.logLevel === 'trace') io.stderr.write(`${errorStack(err)}\n`);
    return exitCodeFor(err, phase);
  };

  let master: Master;
  let spec: JobSpec;
  let observer: DriverObserver | undefined;
  let lingerMs = 0;
  let conf: Record<string, string>;
  try {
    master = parseMaster(options.master);
    const { parseJobSpecFile } = await import('@kindling/coordinator');
    conf = parseConf(options.conf);
    spec = await parseJobSpecFile(jobFile, {
      conf: withoutObservabilityConf(conf),
      ...(options.name === undefined ? {} : { name: options.name }),
      // A flag's relative path means the working directory, as for any command-line path.
      ...(options.output === undefined ? {} : { output: path.resolve(options.output) }),
      ...(options.overwrite ? { overwrite: true } : {}),
    });
  } catch (err) {
    return fail(err, 'setup');
  }

  if (master.kind === 'k8s' && options.deployMode === 'cluster') {
    try {
      bar?.finish();
      return await submitToKubernetes(jobFile, spec, master.namespace, options, io, logger);
    } catch (err) {
      return fail(err, 'run');
    }
  }
  const { EventBus } = await import('@kindling/coordinator');
  const events = new EventBus();
  try {
    const { startObserver } = await import('./submit-observer.js');
    observer = await startObserver({ spec, master: options.master, conf, options, events, logger });
    lingerMs = parseLinger(options.uiLinger);
    // An info-level fact: quiet log levels (warn, error, silent) keep stderr to problems only.
    if (observer?.ui && ['info', 'debug', 'trace'].includes(options.logLevel)) io.stderr.write(`UI: ${observer.ui.url}\n`);
  } catch (err) {
    return fail(err, 'setup');
  }
  let result: JobResult | FitResult;
  try {
    result =
      master.kind === 'local'
        ? await runLocal(spec, master.threads, logger, bar, options, events, early)
        : master.kind === 'nats'
          ? await runOnCluster(spec, master.url, options, logger, bar, undefined, events, observer)
          : await runOnCluster(spec, options.natsUrl ?? 'nats://127.0.0.1:4222', options, logger, bar, master.namespace, events, observer);
    // A fit without training has no metrics or coefficients for the UI's and the event log's
    // job-result record (they take a JobResult): its outcome is the output folder alone.
    if (isTrained(result)) observer?.finish({ result }, logger);
  } catch (err) {
    observer?.finish({ error: err }, logger);
    const code = fail(err, 'run');
    await lingerThenClose(observer, lingerMs, io);
    return code;
  }
  io.stdout.write(
    options.json ? `${JSON.stringify(resultJson(spec, options.master, result), null, 2)}\n` : summary(spec, options.master, result),
  );
  await lingerThenClose(observer, lingerMs, io);
  return 0;
}

/** --ui-linger: seconds, a usage error otherwise. */
function parseLinger(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new KindlingError('E_INVALID_VALUE', `--ui-linger "${text}": expected seconds, e.g. 60`, { flag: '--ui-linger', value: text });
  return Number(text) * 1000;
}

/** Keeps the UI up `ms` after the job (until SIGINT/SIGTERM), then stops it. */
async function lingerThenClose(observer: DriverObserver | undefined, ms: number, io: CliIo): Promise<void> {
  if (observer?.ui && ms > 0) {
    io.stderr.write(`UI stays up for ${ms / 1000} s at ${observer.ui.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
  }
  await observer?.close();
}

/** Progress bar and log lines from the driver's events (the same for every master). */
function attachConsole(events: EventBus, logger: Logger, bar: ConsoleProgressBar | undefined): void {
  events.on('stage-progress', (e) => bar?.update({ stageId: e.stageId, completed: e.completed, active: e.running, total: e.total }));
  events.on('stage-completed', (e) => {
    bar?.complete(e.stageId);
    logger.debug({ stageId: e.stageId, stage: e.name, durationMs: e.durationMs }, 'stage finished');
  });
  events.on('task-failed', (e) =>
    logger.warn({ stage: e.stageId, partition: e.partition, executor: e.executorId, code: e.code, retry: e.willRetry }, e.message),
  );
}

/** Local mode: a driver over one in-process executor with `threads` worker threads. */
async function runLocal(
  spec: JobSpec,
  threads: number,
  logger: Logger,
  bar: ConsoleProgressBar | undefined,
  options: SubmitOptions,
  events?: EventBus,
  early?: EarlyPool,
): Promise<JobResult | FitResult> {
  const [{ DriverContext }, { LocalExecutor }] = await Promise.all([import('@kindling/coordinator'), import('@kindling/executor')]);
  logger.info({ job: spec.name, spec: spec.specFile, threads, output: spec.output.path }, `submitting ${spec.name} on local[${threads}]`);
  const pool = early === undefined ? undefined : await early.pool;
  const executor = new LocalExecutor({
    id: 'driver',
    threads,
    ...(pool !== undefined && { pool }),
    ...(spec.executor?.memoryBytes !== undefined && { memoryBytes: spec.executor.memoryBytes }),
  });
  if (early !== undefined) early.taken = true;
  const driver = DriverContext.withExecutors([executor], { logger, release: () => executor.close(), ...(events && { events }) });
  attachConsole(driver.events, logger, bar);
  const metrics = await startMetricsEndpoint(options, driver.events, { executors: () => [executor] }, logger).catch(
    async (err: unknown) => {
      await driver.close();
      throw err;
    },
  );
  // Ctrl-C stops the tasks (closing the pool fails them) and the job then reports that it was
  // interrupted, not the worker-thread error the stop caused; exit 130 as a shell expects.
  let stopped = false;
  const interrupted = (): void => {
    stopped = true;
    bar?.finish();
    logger.warn('interrupted; stopping the executor');
    // The tasks the stop fails are its consequence, not news: keep them off the console.
    logger.level = 'error';
    void driver.close().finally(() => setTimeout(() => process.exit(130), 10_000).unref());
  };
  process.once('SIGINT', interrupted);
  try {
    return await runSpec(driver, spec);
  } catch (err) {
    throw stopped ? interruptedError(spec.name, err) : err;
  } finally {
    process.off('SIGINT', interrupted);
    bar?.finish();
    await metrics?.close();
    await driver.close().catch((err: unknown) => logger.warn({ err }, 'closing the executor failed'));
  }
}

/**
 * Cluster mode: the driver runs here and reaches the executor pool through NATS (Spark's
 * client deploy mode). Executor loss is survived by retrying tasks elsewhere (4 attempts, as
 * spark.task.maxFailures) and rebuilding blocks from lineage.
 */
async function runOnCluster(
  spec: JobSpec,
  url: string,
  options: SubmitOptions,
  logger: Logger,
  bar: ConsoleProgressBar | undefined,
  k8sNamespace?: string,
  events?: EventBus,
  observer?: DriverObserver,
): Promise<JobResult | FitResult> {
  const [{ DriverContext }, { NatsTransport }] = await Promise.all([import('@kindling/coordinator'), import('@kindling/shared')]);
  const waitMs = Number(options.executorWait ?? 30_000);
  const conn = natsOptions(url, options, `kindling-driver-${spec.name}`);
  const transport = await NatsTransport.connect(conn, logger);
  try {
    const driver = await DriverContext.onCluster(transport, {
      logger,
      executorWaitMs: waitMs,
      cluster: { prefix: conn.prefix ?? 'kindling' },
      ...(events && { events }),
    });
    attachConsole(driver.events, logger, bar);
    const backend = driver.backend!;
    observer?.watchHeartbeats(() => backend.heartbeats());
    if (k8sNamespace) observer?.watchPodUsage(podUsageSampler(k8sNamespace));
    const stopWatch = k8sNamespace ? await watchPodsForBackend(k8sNamespace, backend, logger) : undefined;
    const metrics = await startMetricsEndpoint(options, driver.events, backend, logger).catch(async (err: unknown) => {
      stopWatch?.();
      await driver.close();
      throw err;
    });
    // Ctrl-C stops the job's stages; the job then frees what it left on the executors (drop-job)
    // and reports that it was interrupted, exit 130, instead of dying by the signal and leaving
    // its blocks until the executors find the driver silent.
    let stopped = false;
    const interrupted = (): void => {
      stopped = true;
      bar?.finish();
      logger.warn('interrupted; stopping the job and freeing it on the executors');
      // The tasks the stop fails are its consequence, not news: keep them off the console.
      logger.level = 'error';
      driver.interrupt();
      setTimeout(() => process.exit(130), 10_000).unref();
    };
    process.once('SIGINT', interrupted);
    try {
      await backend.waitForExecutors(1, waitMs);
      logger.info(
        { job: spec.name, master: url, executors: backend.executors().map((e) => e.id), output: spec.output.path },
        `submitting ${spec.name} to ${backend.executors().length} executor(s)`,
      );
      return await runSpec(driver, spec);
    } catch (err) {
      throw stopped ? interruptedError(spec.name, err) : err;
    } finally {
      process.off('SIGINT', interrupted);
      stopWatch?.();
      bar?.finish();
      await metrics?.close();
      await driver.close();
    }
  } finally {
    await transport.close();
  }
}

/** `--conf key=value` pairs; a repeated key keeps its last value, as in spark-submit. */
function parseConf(pairs: readonly string[] = []): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new KindlingError('E_INVALID_VALUE', `--conf "${pair}": expected key=value, e.g. model.maxIter=20`, { conf: pair });
    conf[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return conf;
}

/** The --conf keys the driver's observability reads (eventLog.*, ui.*); the job spec never sees them. */
function withoutObservabilityConf(conf: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(conf).filter(([k]) => !/^(eventLog|ui)\./.test(k)));
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A training job, or (model.type none) a fit of the feature pipeline alone. */
async function runSpec(driver: DriverContext, spec: JobSpec): Promise<JobResult | FitResult> {
  if (spec.model.type !== 'none') return driver.runJob(spec);
  const { fitFeatures } = await import('@kindling/coordinator');
  return driver.runStages(spec.name, (ctx) => fitFeatures(spec, ctx));
}

function summary(spec: JobSpec, master: string, r: JobResult | FitResult): string {
  const seconds = (r.durationMs / 1000).toFixed(1);
  if (!isTrained(r)) {
    return [
      `${spec.name} (${master}) finished in ${seconds} s: fitted the feature pipeline (${r.featureNames.length} features); ` +
        `${r.trainRows} train and ${r.testRows} test rows assembled, no model trained (model.type none)`,
      '',
      `output: ${r.outputPath}`,
      '',
    ].join('\n');
  }
  return [
    `${spec.name} (${master}) finished in ${seconds} s: trained on ${r.trainRows} rows, tested on ${r.testRows} rows`,
    '',
    renderMetricsTable(r.metrics, { rows: METRIC_ROWS }),
    '',
    `output: ${r.outputPath}`,
    '',
  ].join('\n');
}

/** `--json`: the numbers a script needs; curves stay in the output folder's files. */
function resultJson(spec: JobSpec, master: string, r: JobResult | FitResult): object {
  if (!isTrained(r)) {
    const { name } = spec;
    return {
      name,
      master,
      outputPath: r.outputPath,
      trainRows: r.trainRows,
      testRows: r.testRows,
      durationMs: r.durationMs,
      numFeatures: r.featureNames.length,
    };
  }
  const scalars = (m: object): Record<string, unknown> => Object.fromEntries(Object.entries(m).filter(([, v]) => !Array.isArray(v)));
  return {
    name: spec.name,
    master,
    outputPath: r.outputPath,
    trainRows: r.trainRows,
    testRows: r.testRows,
    durationMs: r.durationMs,
    metrics: { train: scalars(r.metrics.train), test: scalars(r.metrics.test) },
    objectiveHistory: r.objectiveHistory,
  };
}

function isTrained(r: JobResult | FitResult): r is JobResult {
  return 'metrics' in r;
}
