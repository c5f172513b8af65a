/**
 * `kindling history [--dir D] [--port 18080] [--host 127.0.0.1] [--no-index-file]`: Spark's
 * history server for Kindling event logs — the live UI's pages for every finished, failed or
 * in-progress run in D, a run list and a compare view. Its index of the logs is kept in
 * D/.kindling-history-index.json unless --no-index-file (a folder it cannot write only warns).
 * Serves until SIGINT/SIGTERM. A bad folder, port or host is a usage error (exit 2).
 * Registered by run-cli.ts; the coordinator loads lazily.
 */
import type { Command } from 'commander';
import { KindlingError } from '@kindling/shared/compute';
import { errorLine, type ExitCode } from '../error-report.js';
import type { CliIo } from './submit.js';

interface HistoryOptions {
  readonly dir?: string;
  readonly port: string;
  readonly host: string;
  readonly indexFile: boolean;
}

/** Adds `history`. */
export function addHistoryCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  return program
    .command('history')
    .description("serve the event logs of past and running jobs (like Spark's history server)")
    .option('--dir <dir>', 'folder of event logs (default: $KINDLING_HISTORY_DIR or ~/.kindling/history)')
    .option('--port <port>', 'port to serve on', '18080')
    .option('--host <addr>', 'address to bind (default: this machine only)', '127.0.0.1')
    .option('--no-index-file', 'keep the index of the logs in memory only (default: <dir>/.kindling-history-index.json)')
    .action(async (options: HistoryOptions) => {
      onExit(await runHistory(options, io));
    });
}

async function runHistory(options: HistoryOptions, io: CliIo): Promise<ExitCode> {
  let server;
  try {
    if (!/^\d+$/.test(options.port) || Number(options.port) > 65535)
      throw new KindlingError('E_INVALID_VALUE', `--port "${options.port}": expected a port number from 0 to 65535`, { flag: '--port' });
    if (!/^[A-Za-z0-9.:-]+$/.test(options.host))
      throw new KindlingError('E_INVALID_VALUE', `--host "${options.host}": expected an IP address or host name`, { flag: '--host' });
    const { HistoryServer, defaultHistoryDir } = await import('@kindling/coordinator');
    server = await HistoryServer.start({
      dir: options.dir ?? defaultHistoryDir(),
      port: Number(options.port),
      host: options.host,
      persistIndex: options.indexFile,
    });
  } catch (err) {
    io.stderr.write(`${errorLine(err)}\n`);
    return 2;
  }
  if (server.index.persistError) io.stderr.write(`kindling: warning: ${server.index.persistError}; the index is kept in memory only\n`);
  io.stderr.write(`History: ${server.url} (${server.index.runs.size} runs in ${server.index.dir}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
