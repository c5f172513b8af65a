/**
 * `kindling evaluate --model DIR [options] INPUT [--output DIR]`: the metrics a job's
 * evaluation reports (binary: areaUnderROC, areaUnderPR, accuracy, precision, recall, f1, the
 * weighted ones, logLoss, count; multinomial: MulticlassMetrics), for a saved pipeline model over
 * every row of a labelled CSV, computed by the job's own stages and metric code
 * (@kindling/coordinator's evaluate()). With --output it also writes metrics.json there.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { EvaluateResult } from '@kindling/coordinator';
import type { ExitCode } from '../error-report.js';
import { nonEmpty } from '../flag-values.js';
import { addNatsFlags } from '../nats-connection.js';
import { addScoringFlags, runScoring, type ScoringFlags } from './predict.js';
import { METRIC_ROWS } from '../metrics-table.js';
import type { CliIo } from './submit-io.js';

/** Flags of `kindling evaluate`. */
export interface EvaluateFlags extends ScoringFlags {
  readonly output?: string;
  readonly mode: 'error' | 'overwrite';
}

/** Adds the `evaluate` command to the program; `onExit` receives the command's exit code. */
export function addEvaluateCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cmd = addScoringFlags(
    program
      .command('evaluate')
      .description('metrics of a saved pipeline model on a labelled CSV (the same metrics as a job’s evaluation)')
      .argument('<input>', 'a CSV file holding the label column and the model’s feature columns'),
  )
    .option('--output <dir>', 'also write metrics.json into this folder', nonEmpty)
    .addOption(
      new Option('--mode <mode>', 'an existing output folder: fail (error) or replace it atomically (overwrite)')
        .choices(['error', 'overwrite'])
        .default('error'),
    );
  return addNatsFlags(cmd).action(async (input: string, flags: EvaluateFlags) => {
    onExit(await runEvaluate(input, flags, io));
  });
}

/** Runs `kindling evaluate`; resolves to the exit code after printing any error. */
export async function runEvaluate(input: string, flags: EvaluateFlags, io: CliIo): Promise<ExitCode> {
  const { evaluate } = await import('@kindling/coordinator');
  return runScoring(flags, io, 'evaluate', async (driver, scoring) => {
    const result = await evaluate(
      {
        ...scoring,
        input: path.resolve(input),
        mode: flags.mode,
        ...(flags.output !== undefined ? { output: path.resolve(flags.output) } : {}),
      },
      driver,
    );
    io.stdout.write(flags.json ? `${JSON.stringify(resultJson(result), null, 2)}\n` : summary(input, result));
  });
}

function scalars(result: EvaluateResult): Record<string, number> {
  return Object.fromEntries(Object.entries(result.metrics).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

function resultJson(result: EvaluateResult): object {
  const { metrics: _metrics, ...rest } = result;
  return { ...rest, metrics: scalars(result) };
}

function summary(input: string, result: EvaluateResult): string {
  const values = scalars(result);
  const rows = METRIC_ROWS.filter((name) => values[name] !== undefined).map((name) => {
    const v = values[name]!;
    return [name, Number.isInteger(v) ? String(v) : v.toFixed(6)] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => r[1].length));
  return [
    `${path.basename(input)}: ${result.rows} rows (${result.family}, labels ${result.labels.join(', ')})` +
      (result.skipped > 0 ? `; ${result.skipped} rows skipped (handleInvalid = skip)` : ''),
    '',
    ...rows.map(([name, v]) => `${name.padEnd(width)}  ${v.padStart(valueWidth)}`),
    '',
    ...(result.outputPath !== undefined ? [`output: ${result.outputPath}`, ''] : []),
  ].join('\n');
}
