/**
 * `kindling convert INPUT --output DIR`: an input read as a training job reads it (CSV with
 * schema inference, gzip CSV, a folder of part files, a glob, or Parquet) and written as
 * Parquet with its schema, distributed like a job — the reference pipeline's load step run on
 * its own (docs/pipeline-steps.md). Flags and errors as `predict`'s, without a model.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ExitCode } from '../error-report.js';
import { nonEmpty } from '../flag-values.js';
import { addNatsFlags } from '../nats-connection.js';
import { addInputRunFlags, runOnDriver, type InputRunFlags } from './predict.js';
import type { CliIo } from './submit-io.js';

/** Flags of `kindling convert`. */
export interface ConvertFlags extends InputRunFlags {
  readonly output: string;
  readonly mode: 'error' | 'overwrite';
}

/** Adds the `convert` command to the program; `onExit` receives the command's exit code. */
export function addConvertCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cmd = addInputRunFlags(
    program
      .command('convert')
      .description('read an input as a job does (CSV, gzip CSV, part-file folders, globs, Parquet) and write it as Parquet')
      .argument('<input>', 'a file, a folder of part files, or a glob'),
  )
    .requiredOption('--output <dir>', 'output folder: part-00000.parquet per partition, then _SUCCESS', nonEmpty)
    .addOption(
      new Option('--mode <mode>', 'an existing output folder: fail (error) or replace it atomically (overwrite)')
        .choices(['error', 'overwrite'])
        .default('error'),
    );
  return addNatsFlags(cmd).action(async (input: string, flags: ConvertFlags) => {
    onExit(await runConvert(input, flags, io));
  });
}

/** Runs `kindling convert`; resolves to the exit code after printing any error. */
export async function runConvert(input: string, flags: ConvertFlags, io: CliIo): Promise<ExitCode> {
  const { convert } = await import('@kindling/coordinator');
  return runOnDriver(flags, io, 'convert', async (driver, options) => {
    const result = await convert({ ...options, input: path.resolve(input), output: path.resolve(flags.output), mode: flags.mode }, driver);
    io.stdout.write(
      flags.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : [
            `wrote ${result.rows} rows of ${path.basename(input)} as Parquet in ${(result.durationMs / 1000).toFixed(1)} s (${result.partitions} part files)`,
            `schema: ${result.schema.map((f) => `${f.name} ${f.type}`).join(', ')}`,
            `output: ${result.outputPath}`,
            '',
          ].join('\n'),
    );
  });
}
