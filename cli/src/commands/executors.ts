/**
 * `kindling executors --master nats://…`: lists the executors of a pool — what `kubectl get
 * pods` cannot show: registration, slots, running tasks, cached partitions and memory.
 */
import type { Command } from 'commander';
import type { ExecutorHeartbeat } from '@kindling/shared';
import { errorLine, type ExitCode } from '../error-report.js';
import { natsUrls, poolMaster, wholeNumber } from '../flag-values.js';
import { parseMaster } from '../master-url.js';
import { addNatsFlags, natsOptions, type NatsFlags } from '../nats-connection.js';
import { listKubernetesExecutors } from './kubernetes.js';
import type { CliIo } from './submit.js';

interface ExecutorsOptions extends NatsFlags {
  readonly master: string;
  readonly json?: boolean;
  readonly waitMs: string;
  readonly natsUrl?: string;
}

/** Adds `executors`. */
export function addExecutorsCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cmd = program
    .command('executors')
    .description('list the executors registered on a NATS master')
    .requiredOption('--master <url>', 'nats://host:port, or k8s://namespace (pods with metrics-server CPU and memory)', poolMaster)
    .option('--nats-url <url>', 'k8s:// only: also merge executor heartbeats from this NATS URL', natsUrls)
    .option('--json', 'print JSON instead of a table')
    .option('--wait-ms <ms>', 'how long to collect answers', wholeNumber(1, 600_000), '500');
  return addNatsFlags(cmd).action(async (options: ExecutorsOptions) => {
    onExit(await listExecutors(options, io));
  });
}

async function listExecutors(options: ExecutorsOptions, io: CliIo): Promise<ExitCode> {
  try {
    const master = parseMaster(options.master);
    if (master.kind === 'k8s') return await listKubernetesExecutors(master.namespace, options, io);
    if (master.kind !== 'nats') throw new TypeError(`--master ${options.master}: executors are listed from a nats:// or k8s:// master`);
    const { NatsTransport, subjects, PROTOCOL_VERSION } = await import('@kindling/shared');
    const conn = natsOptions(master.url, options, 'kindling-executors');
    const transport = await NatsTransport.connect(conn);
    try {
      const replies = await transport.requestMany(
        subjects(conn.prefix).discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { timeoutMs: Number(options.waitMs) },
      );
      const list = replies
        .filter((m): m is ExecutorHeartbeat => m.type === 'executor-heartbeat')
        .sort((a, b) => a.executorId.localeCompare(b.executorId));
      io.stdout.write(options.json ? `${JSON.stringify(list, null, 2)}\n` : renderExecutors(list, Date.now()));
      return 0;
    } finally {
      await transport.close();
    }
  } catch (err) {
    io.stderr.write(`${errorLine(err)}\n`);
    return 1;
  }
}

/** A table of executors, one line each. Pure, for tests. */
export function renderExecutors(list: readonly ExecutorHeartbeat[], now: number): string {
  if (list.length === 0) return 'no executors registered\n';
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const rows = list.map((e) => [
    e.executorId,
    e.draining ? 'draining' : 'active',
    String(e.slots),
    String(e.runningTasks),
    String(e.cachedBlocks),
    mib(e.cachedBytes),
    e.memoryBudgetBytes === undefined ? '-' : mib(e.memoryBudgetBytes),
    String(e.evictions ?? '-'),
    String(e.rebuilds ?? '-'),
    mib(e.rssBytes),
    String(e.jobs.length),
    `${Math.max(0, now - e.sentAt)} ms ago`,
  ]);
  const head = ['EXECUTOR', 'STATE', 'THREADS', 'RUNNING', 'BLOCKS', 'CACHED', 'BUDGET', 'EVICTED', 'REBUILT', 'RSS', 'JOBS', 'HEARTBEAT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
