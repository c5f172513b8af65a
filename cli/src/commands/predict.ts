/**
 * `kindling predict --model DIR [options] INPUT --output DIR`: batch scoring of a CSV with a
 * saved PipelineModel on the same executors as `kindling submit` (local[N], a NATS cluster, or
 * a Kubernetes namespace's executors reached through --nats-url), writing Parquet (default) or
 * CSV part files. Flags are checked by commander (usage error, exit 2, before any work); a
 * model, input or data problem exits 1 with one error line. The scoring itself is
 * @kindling/coordinator's predict(); this file also holds what `kindling evaluate` shares with
 * it: the driver over the chosen master (DriverContext, as submit builds it) and `--conf`.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { KindlingError } from '@kindling/shared/compute';
import type { DriverContext, ScoringInput } from '@kindling/coordinator';
import { errorLine, errorStack, exitCodeFor, interruptedError, type ExitCode } from '../error-report.js';
import { millis, natsUrls, nonEmpty } from '../flag-values.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../logger.js';
import { parseMaster } from '../master-url.js';
import { addNatsFlags, natsOptions, type NatsFlags } from '../nats-connection.js';
import { ConsoleProgressBar } from '../progress-bar.js';
import type { CliIo } from './submit-io.js';

/** Flags predict and evaluate share. */
/** The flags of a command that reads an input on the driver's executors (convert, predict, evaluate). */
export interface InputRunFlags extends NatsFlags {
  readonly master: string;
  readonly natsUrl: string;
  readonly executorWait: string;
  readonly conf?: readonly string[];
  readonly logLevel: LogLevel;
  readonly progress?: boolean;
  readonly json?: boolean;
}

export interface ScoringFlags extends InputRunFlags {
  readonly model: string;
}

/** Flags of `kindling predict`. */
export interface PredictFlags extends ScoringFlags {
  readonly output: string;
  readonly format: 'parquet' | 'csv';
  readonly keep?: string;
  readonly mode: 'error' | 'overwrite';
}

/** Adds the `predict` command to the program; `onExit` receives the command's exit code. */
export function addPredictCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cmd = addScoringFlags(
    program
      .command('predict')
      .description("score a CSV with a saved pipeline model (Spark's PipelineModel.transform), distributed like a job")
      .argument('<input>', 'the CSV file to score (header line, the model training job’s CSV defaults)'),
  )
    .requiredOption('--output <dir>', 'output folder: part-00000.parquet (or .csv) per partition, then _SUCCESS', nonEmpty)
    .addOption(new Option('--format <format>', 'output format').choices(['parquet', 'csv']).default('parquet'))
    .option('--keep <columns>', 'input columns to copy next to the predictions, comma-separated (e.g. id,age)', columnList)
    .addOption(
      new Option('--mode <mode>', 'an existing output folder: fail (error) or replace it atomically (overwrite)')
        .choices(['error', 'overwrite'])
        .default('error'),
    );
  return addNatsFlags(cmd).action(async (input: string, flags: PredictFlags) => {
    onExit(await runPredict(input, flags, io));
  });
}

/** The flags predict and evaluate share: model, master, --conf, logging (the NATS flags go last, via addNatsFlags). */
export function addScoringFlags(cmd: Command): Command {
  return addInputRunFlags(
    cmd.requiredOption('--model <dir>', 'the saved pipeline model folder (a job’s <output>/pipeline-model)', modelFolder),
  );
}

/** Master, NATS URL, executor wait, `--conf input.*`, logging and output flags (no model). */
export function addInputRunFlags(cmd: Command): Command {
  return cmd
    .option(
      '--master <url>',
      'where to run: local, local[N], local[*], nats://host:port (a cluster’s executors), k8s://namespace (through --nats-url)',
      masterUrl,
      'local[*]',
    )
    .option('--nats-url <url>', "k8s:// only: where this machine reaches the cluster's NATS", natsUrls, 'nats://127.0.0.1:4222')
    .option('--executor-wait <ms>', 'cluster mode: how long to wait for an executor to register', millis, '30000')
    .option(
      '--conf <key=value>',
      'input reading, as a job file names it: input.format, input.partitions, input.maxPartitionBytes, input.{header,delimiter,quote,escape,nullValue,mode,inferSchema} (repeatable)',
      collect,
    )
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(LOG_LEVELS).default('warn'))
    .option('--progress', 'draw the progress bar even when stderr is not a terminal')
    .option('--no-progress', 'never draw the progress bar')
    .option('--json', 'print the result as JSON on stdout')
    .showHelpAfterError(`(kindling ${cmd.name()} --help shows every option)`);
}

/** Runs `kindling predict`; resolves to the exit code after printing any error. */
export async function runPredict(input: string, flags: PredictFlags, io: CliIo): Promise<ExitCode> {
  const { predict } = await import('@kindling/coordinator');
  return runScoring(flags, io, 'predict', async (driver, scoring) => {
    const result = await predict(
      {
        ...scoring,
        input: path.resolve(input),
        output: path.resolve(flags.output),
        format: flags.format,
        mode: flags.mode,
        ...(flags.keep !== undefined ? { keep: flags.keep.split(',').map((c) => c.trim()) } : {}),
      },
      driver,
    );
    const seconds = result.durationMs / 1000;
    io.stdout.write(
      flags.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : [
            `scored ${result.rows} rows of ${path.basename(input)} in ${seconds.toFixed(1)} s ` +
              `(${Math.round(result.rows / Math.max(seconds, 1e-3))} rows/s, ${result.partitions} partitions)` +
              (result.skipped > 0 ? `; ${result.skipped} rows skipped (handleInvalid = skip)` : ''),
            `columns: ${result.columns.join(', ')}`,
            `output: ${result.outputPath} (${result.format})`,
            '',
          ].join('\n'),
    );
  });
}

/**
 * Parses --conf and the master (usage errors, exit 2), builds the driver over the master the way
 * `kindling submit` does, runs `work`, and turns its failure into an error line and exit 1.
 */
export function runScoring(
  flags: ScoringFlags,
  io: CliIo,
  command: string,
  work: (driver: DriverContext, scoring: Omit<ScoringInput, 'input'>) => Promise<void>,
): Promise<ExitCode> {
  return runOnDriver(flags, io, command, (driver, input) => work(driver, { model: path.resolve(flags.model), ...input }));
}

/** runScoring without a model: `--conf input.*` parsed into input options (convert). */
export async function runOnDriver(
  flags: InputRunFlags,
  io: CliIo,
  command: string,
  work: (driver: DriverContext, input: Partial<Omit<ScoringInput, 'input' | 'model'>>) => Promise<void>,
): Promise<ExitCode> {
  const bar = flags.progress === false ? undefined : new ConsoleProgressBar({ stream: io.stderr, force: flags.progress === true });
  const logger = createLogger({ level: flags.logLevel, stream: io.stderr, beforeWrite: () => bar?.clear() });
  const fail = (err: unknown, phase: 'setup' | 'run'): ExitCode => {
    bar?.finish();
    io.stderr.write(`${errorLine(err)}\n`);
    if (flags.logLevel === 'debug' || flags.logLevel === 'trace') io.stderr.write(`${errorStack(err)}\n`);
    return exitCodeFor(err, phase);
  };
  let input: Partial<Omit<ScoringInput, 'input' | 'model'>>;
  try {
    input = inputConf(flags.conf ?? []);
  } catch (err) {
    return fail(err, 'setup');
  }
  try {
    await withDriver(flags, command, logger, bar, (driver) => work(driver, input));
    return 0;
  } catch (err) {
    return fail(err, 'run');
  }
}

/** A driver over the master's executors, closed afterwards; Ctrl-C in local mode stops the threads (exit 130). */
async function withDriver(
  flags: InputRunFlags,
  command: string,
  logger: Logger,
  bar: ConsoleProgressBar | undefined,
  work: (driver: DriverContext) => Promise<void>,
): Promise<void> {
  const master = parseMaster(flags.master);
  const { DriverContext } = await import('@kindling/coordinator');
  const attach = (driver: DriverContext): void => {
    driver.events.on('stage-progress', (e) =>
      bar?.update({ stageId: e.stageId, completed: e.completed, active: e.running, total: e.total }),
    );
    driver.events.on('stage-completed', (e) => bar?.complete(e.stageId));
    driver.events.on('task-failed', (e) =>
      logger.warn({ partition: e.partition, executor: e.executorId, code: e.code, retry: e.willRetry }, e.message),
    );
  };
  if (master.kind === 'local') {
    const { LocalExecutor } = await import('@kindling/executor');
    const executor = new LocalExecutor({ id: 'driver', threads: master.threads });
    const driver = DriverContext.withExecutors([executor], { logger, release: () => executor.close() });
    attach(driver);
    let stopped = false;
    const interrupted = (): void => {
      stopped = true;
      bar?.finish();
      logger.level = 'error';
      void driver.close().finally(() => setTimeout(() => process.exit(130), 10_000).unref());
    };
    process.once('SIGINT', interrupted);
    try {
      await work(driver);
    } catch (err) {
      throw stopped ? interruptedError(command, err) : err;
    } finally {
      process.off('SIGINT', interrupted);
      bar?.finish();
      await driver.close().catch((err: unknown) => logger.warn({ err }, 'closing the executor failed'));
    }
    return;
  }
  const url = master.kind === 'nats' ? master.url : flags.natsUrl;
  const [{ NatsTransport }] = await Promise.all([import('@kindling/shared')]);
  const waitMs = Number(flags.executorWait);
  const conn = natsOptions(url, flags, `kindling-${command}`);
  const transport = await NatsTransport.connect(conn, logger);
  try {
    const driver = await DriverContext.onCluster(transport, {
      logger,
      executorWaitMs: waitMs,
      cluster: { prefix: conn.prefix ?? 'kindling' },
    });
    attach(driver);
    try {
      await driver.backend!.waitForExecutors(1, waitMs);
      await work(driver);
    } finally {
      bar?.finish();
      await driver.close();
    }
  } finally {
    await transport.close();
  }
}

/** `--conf` keys of the input, as a job file's `input:` section names them (`input.csv.*` is accepted too). */
function inputConf(pairs: readonly string[]): Partial<Omit<ScoringInput, 'input' | 'model'>> {
  const csv: Record<string, string | boolean> = {};
  let partitions: number | undefined;
  let maxPartitionBytes: number | undefined;
  let inputFormat: ScoringInput['inputFormat'];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const given = eq > 0 ? pair.slice(0, eq).trim() : '';
    const key = given.startsWith('input.csv.') ? `input.${given.slice('input.csv.'.length)}` : given;
    const value = pair.slice(eq + 1);
    const bad = (why: string): KindlingError => new KindlingError('E_INVALID_VALUE', `--conf "${pair}": ${why}`, { conf: pair });
    if (key === '') throw bad('expected key=value, e.g. input.partitions=8');
    const option = key.slice('input.'.length);
    if (key === 'input.partitions' || key === 'input.maxPartitionBytes') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw bad('expected a whole number above 0');
      if (key === 'input.partitions') partitions = Number(value);
      else maxPartitionBytes = Number(value);
    } else if (key === 'input.format') {
      if (value !== 'auto' && value !== 'csv' && value !== 'parquet') throw bad('expected auto, csv or parquet');
      inputFormat = value;
    } else if (key === 'input.header' || key === 'input.inferSchema') {
      if (value !== 'true' && value !== 'false') throw bad('expected true or false');
      csv[option] = value === 'true';
    } else if (key === 'input.mode') {
      if (!['FAILFAST', 'DROPMALFORMED', 'PERMISSIVE'].includes(value)) throw bad('expected FAILFAST, DROPMALFORMED or PERMISSIVE');
      csv['mode'] = value;
    } else if (/^input\.(delimiter|quote|escape)$/.test(key)) {
      if (value.length !== 1) throw bad('expected one character');
      csv[option] = value;
    } else if (key === 'input.nullValue') {
      csv['nullValue'] = value;
    } else {
      throw bad(
        'unknown key; predict and evaluate read input.format, input.partitions, input.maxPartitionBytes and the CSV options input.{header,delimiter,quote,escape,nullValue,mode,inferSchema}',
      );
    }
  }
  return {
    ...(Object.keys(csv).length > 0 ? { csv } : {}),
    ...(partitions !== undefined ? { partitions } : {}),
    ...(maxPartitionBytes !== undefined ? { maxPartitionBytes } : {}),
    ...(inputFormat !== undefined ? { inputFormat } : {}),
  };
}

/** --model: an existing folder (what is inside is the reader's to judge). */
function modelFolder(value: string): string {
  nonEmpty(value);
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    throw new InvalidArgumentError(`${value}: no such folder`);
  }
  if (!isDir) throw new InvalidArgumentError(`${value} is not a folder`);
  return value;
}

/** --master: the forms parseMaster accepts. */
function masterUrl(value: string): string {
  try {
    parseMaster(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** --keep: comma-separated, non-empty column names. */
function columnList(value: string): string {
  if (value.split(',').some((c) => c.trim() === ''))
    throw new InvalidArgumentError('expected column names separated by commas, e.g. id,age');
  return value;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
