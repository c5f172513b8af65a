/**
 * `kindling executor …`: runs one executor process (what each StatefulSet pod runs). Every
 * argument belongs to the executor's own parser (`kindling executor --help`), so run-cli.ts
 * hands them over before commander sees them; this command only lists it in the help.
 */
import type { Command } from 'commander';

/** Lists `executor` in `kindling --help`. */
export function addExecutorCommand(program: Command): Command {
  return program
    .command('executor')
    .description('run one executor that takes tasks from drivers over NATS (kindling executor --help)')
    .allowUnknownOption(true)
    .allowExcessArguments(true);
}

/** Runs the executor with the arguments after `executor`; resolves to its exit code. */
export async function runExecutorCommand(args: readonly string[]): Promise<number> {
  const { runExecutorCli } = await import('@kindling/executor/process');
  return runExecutorCli(args);
}
