/**
 * The `kindling` command line: builds the commander program (subcommands, version, help) and
 * turns whatever happens into an exit code. Usage mistakes print one `kindling: error:` line and
 * exit 2, like a bad job spec. main.ts calls this; tests can call it in-process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { addClusterCommand } from './commands/cluster.js';
import { addExecutorCommand, runExecutorCommand } from './commands/executor.js';
import { addConvertCommand } from './commands/convert.js';
import { addEvaluateCommand } from './commands/evaluate.js';
import { addExecutorsCommand } from './commands/executors.js';
import { addHistoryCommand } from './commands/history.js';
import { addScaleCommand } from './commands/kubernetes.js';
import { addPredictCommand } from './commands/predict.js';
import { addSubmitCommand, type CliIo } from './commands/submit.js';
import { errorLine, type ExitCode } from './error-report.js';
import { checkSubmitFlags } from './flag-values.js';

/** Runs the CLI on `argv` (without node and the script path) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<ExitCode> {
  // Every argument after `executor` is the executor's (its own parser, its own --help).
  if (argv[0] === 'executor') {
    const c = await runExecutorCommand(argv.slice(1));
    return (c === 0 || c === 2 ? c : 1) as ExitCode;
  }
  let code: ExitCode = 0;
  const program = new Command('kindling')
    .description('Kindling: a Spark-style compute engine. Submit a job with `kindling submit job.yaml`.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // commander's "error: …" (and its "Did you mean" hint) as our one-line format.
      outputError: (text, write) =>
        write(
          `kindling: error: ${text
            .replace(/^error:\s*/, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()}\n`,
        ),
    });
  const setCode = (c: ExitCode) => {
    code = c;
  };
  checkSubmitFlags(addSubmitCommand(program, io, setCode));
  addExecutorsCommand(program, io, setCode);
  addClusterCommand(program, io, setCode);
  addScaleCommand(program, io, setCode);
  addHistoryCommand(program, io, setCode);
  addPredictCommand(program, io, setCode);
  addEvaluateCommand(program, io, setCode);
  addConvertCommand(program, io, setCode);
  addExecutorCommand(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    // Help and --version end through here with exit code 0; usage errors were printed already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.stderr.write(`${errorLine(err)}\n`);
    return 1;
  }
  return code;
}

function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
