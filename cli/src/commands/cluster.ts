/**
 * `kindling cluster up|status|down`: a local cluster — nats-server plus executor-0…N-1
 * processes on this machine, as the StatefulSet runs them — for trying cluster mode,
 * tests and benchmarks. State lives in --dir (default .kindling/cluster).
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { ExecutorHeartbeat } from '@kindling/shared';
import { errorLine, type ExitCode } from '../error-report.js';
import { millis, nonEmpty, port, subjectPrefix, wholeNumber } from '../flag-values.js';
import { renderExecutors } from './executors.js';
import type { ClusterState, ClusterTls } from '../cluster/local-cluster.js';
import type { CliIo } from './submit.js';

const DEFAULT_DIR = '.kindling/cluster';

/** Adds `cluster up|status|down`. */
export function addClusterCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  const cluster = program.command('cluster').description('start, inspect or stop a local cluster (nats-server + executor processes)');
  cluster
    .command('up')
    .description('start nats-server (JetStream on) and N executor processes')
    // The executors' own bounds (executor/src/config.ts), checked here so a bad value fails
    // before nats-server starts rather than in N executor logs.
    .option('--executors <n>', 'number of executors', wholeNumber(1, 256), '3')
    .option(
      '--cores <n>',
      'worker threads per executor',
      wholeNumber(1, 1024),
      String(Math.max(1, Math.floor(os.availableParallelism() / 2))),
    )
    .option('--port <port>', 'NATS port (0 = any free port)', port(true), '4222')
    .option('--prefix <prefix>', 'NATS subject prefix', subjectPrefix, 'kindling')
    .option('--dir <dir>', 'state and log folder', nonEmpty, DEFAULT_DIR)
    .option('--wait-ms <ms>', 'how long to wait for the executors to register', millis, '30000')
    .option('--tls', 'make a CA and certificates (openssl) in --dir/tls; NATS accepts TLS clients only')
    .option('--mtls', 'like --tls, and NATS also requires client certificates of that CA (executors and drivers get one)')
    .option('--nkey', 'make a user NKey (seed in --dir/nkey/user.nk); NATS admits only clients that hold it')
    .action(
      async (o: {
        executors: string;
        cores: string;
        port: string;
        prefix: string;
        dir: string;
        waitMs: string;
        tls?: boolean;
        mtls?: boolean;
        nkey?: boolean;
      }) => {
        try {
          const { clusterUp } = await import('../cluster/local-cluster.js');
          const executors = Number(o.executors);
          const tls = o.mtls ? 'mtls' : o.tls ? 'tls' : undefined;
          const state = await clusterUp({
            dir: o.dir,
            executors,
            cores: Number(o.cores),
            port: Number(o.port),
            prefix: o.prefix,
            ...(tls && { tls }),
            ...(o.nkey && { nkey: true }),
          });
          const registered = await waitForRegistration(state, executors, Number(o.waitMs));
          io.stdout.write(`cluster up: ${state.url} with ${registered.length} of ${executors} executor(s) registered\n`);
          io.stdout.write(renderExecutors(registered, Date.now()));
          io.stdout.write(`submit with: kindling submit --master ${state.url}${tlsFlags(state.tls)}${nkeyFlag(state)} job.yaml\n`);
          onExit(registered.length === executors ? 0 : 1);
        } catch (err) {
          io.stderr.write(`${errorLine(err)}\n`);
          onExit(1);
        }
      },
    );
  cluster
    .command('status')
    .description('show the local cluster started from --dir')
    .option('--dir <dir>', 'state and log folder', nonEmpty, DEFAULT_DIR)
    .action(async (o: { dir: string }) => {
      const { isAlive, readClusterState } = await import('../cluster/local-cluster.js');
      const state = readClusterState(o.dir);
      if (!state) {
        io.stdout.write(`no cluster started from ${o.dir}\n`);
        onExit(1);
        return;
      }
      io.stdout.write(`nats-server ${state.url} pid ${state.nats.pid} ${isAlive(state.nats.pid) ? 'running' : 'NOT RUNNING'}\n`);
      for (const e of state.executors)
        io.stdout.write(`${e.id} pid ${e.pid} ${isAlive(e.pid) ? 'running' : 'NOT RUNNING'} (log ${e.log})\n`);
      if (isAlive(state.nats.pid)) {
        const registered = await waitForRegistration(state, 0, 500).catch(() => []);
        io.stdout.write(renderExecutors(registered, Date.now()));
      }
      onExit(0);
    });
  cluster
    .command('down')
    .description('stop the executors (they drain) and nats-server')
    .option('--dir <dir>', 'state and log folder', nonEmpty, DEFAULT_DIR)
    .action(async (o: { dir: string }) => {
      const { clusterDown } = await import('../cluster/local-cluster.js');
      const state = await clusterDown(o.dir);
      io.stdout.write(
        state
          ? `cluster down: stopped ${state.executors.length} executor(s) and nats-server ${state.url}\n`
          : `no cluster started from ${o.dir}\n`,
      );
      onExit(0);
    });
  cluster
    .command('nkey')
    .description('make a user NKey for NATS: user.nk (the seed clients sign with) and user.pub (the public key the server lists)')
    .option('--dir <dir>', 'folder to write user.nk and user.pub to', nonEmpty, 'nkey')
    .action(async (o: { dir: string }) => {
      try {
        const { writeUserNKey } = await import('../cluster/local-cluster.js');
        const user = await writeUserNKey(o.dir);
        io.stdout.write(`seed:       ${user.seedFile} (mode 0600; give it to executors and drivers, keep it secret)\n`);
        io.stdout.write(`public key: ${user.publicKeyFile} (${user.publicKey})\n`);
        io.stdout.write(
          `kubernetes: kubectl -n kindling create secret generic kindling-nats-nkey --from-file=${user.seedFile} --from-file=${user.publicKeyFile}\n`,
        );
        onExit(0);
      } catch (err) {
        io.stderr.write(`${errorLine(err)}\n`);
        onExit(1);
      }
    });
  return cluster;
}

/** The driver flags that connect to a cluster started with --tls/--mtls. */
function tlsFlags(tls: ClusterTls | undefined): string {
  if (!tls) return '';
  return ` --nats-tls-ca ${tls.caFile}${tls.certFile && tls.keyFile ? ` --nats-tls-cert ${tls.certFile} --nats-tls-key ${tls.keyFile}` : ''}`;
}

/** The driver flag that authenticates to a cluster started with --nkey. */
function nkeyFlag(state: ClusterState): string {
  return state.nkeySeedFile !== undefined ? ` --nats-nkey-seed ${state.nkeySeedFile}` : '';
}

/** Polls discovery until `count` executors answer (0: one round) or the time is up. */
async function waitForRegistration(state: ClusterState, count: number, waitMs: number): Promise<ExecutorHeartbeat[]> {
  const { NatsTransport, subjects, PROTOCOL_VERSION } = await import('@kindling/shared');
  const prefix = state.prefix;
  const tls = state.tls
    ? {
        caFile: state.tls.caFile,
        ...(state.tls.certFile && state.tls.keyFile && { certFile: state.tls.certFile, keyFile: state.tls.keyFile }),
      }
    : undefined;
  const transport = await NatsTransport.connect({
    servers: state.url,
    prefix,
    name: 'kindling-cluster',
    ...(tls && { tls }),
    ...(state.nkeySeedFile !== undefined && { nkeySeedFile: state.nkeySeedFile }),
  });
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const replies = await transport.requestMany(
        subjects(prefix).discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { timeoutMs: 300 },
      );
      const list = replies
        .filter((m): m is ExecutorHeartbeat => m.type === 'executor-heartbeat')
        .sort((a, b) => a.executorId.localeCompare(b.executorId));
      if (list.length >= count || Date.now() > deadline) return list;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await transport.close();
  }
}
