/**
 * A real cluster on this machine for end-to-end tests: a nats-server on a random loopback
 * port (JetStream on) and executor processes started from the built bin, exactly as
 * `kindling cluster up` and the StatefulSet run them. Nothing is mocked; a missing
 * nats-server fails the test with the install hint instead of skipping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { NatsServerProcess, type NatsServerOptions } from '@kindling/cli';
import { NatsTransport, PROTOCOL_VERSION, subjects, type ExecutorHeartbeat, type NatsConnectionOptions } from '@kindling/shared';
import { repoRoot } from './paths.js';

const executorMain = resolve(repoRoot, 'executor/dist/src/main.js');

/** One executor child process. */
export interface ExecutorProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Everything it printed (JSON log lines). */
  output(): string;
  /** Resolves with the exit code (or signal name) once it exits. */
  readonly exited: Promise<number | string>;
}

/** A nats-server plus executor processes. */
export class LocalCluster {
  readonly executors = new Map<string, ExecutorProcess>();
  /**
   * How an executor's command line is run: as is, or wrapped (scripts/chaos --hidden runs each
   * executor under `unshare -m` with the data folder hidden, as a pod without the volume).
   */
  wrapCommand: (bin: string, args: readonly string[]) => [string, readonly string[]] = (bin, args) => [bin, args];

  private constructor(
    readonly server: NatsServerProcess,
    readonly prefix: string,
    private readonly connection: Omit<NatsConnectionOptions, 'servers'>,
  ) {}

  /** Starts the server and `count` executors (executor-0…), and waits until all registered. */
  static async start(
    count: number,
    opts: { cores?: number; server?: NatsServerOptions; connection?: Omit<NatsConnectionOptions, 'servers'>; executorArgs?: string[] } = {},
  ): Promise<LocalCluster> {
    const server = await NatsServerProcess.start({ port: 0, jetstream: true, ...opts.server });
    const cluster = new LocalCluster(server, opts.connection?.prefix ?? 'kindling', opts.connection ?? {});
    try {
      for (let i = 0; i < count; i++) cluster.startExecutor(`executor-${i}`, opts.cores ?? 1, opts.executorArgs ?? []);
      await cluster.waitForExecutors(count, 30_000);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get url(): string {
    return this.server.url;
  }

  /** Connection options for a driver or client of this cluster. */
  connectionOptions(name: string): NatsConnectionOptions {
    return { ...this.connection, servers: this.url, prefix: this.prefix, name };
  }

  /** Starts one more executor process. */
  startExecutor(id: string, cores = 1, extraArgs: readonly string[] = []): ExecutorProcess {
    const args = [
      executorMain,
      '--master',
      this.url,
      '--id',
      id,
      '--cores',
      String(cores),
      '--prefix',
      this.prefix,
      '--health-port',
      '0',
      '--heartbeat-ms',
      '250',
      ...extraArgs,
    ];
    const [bin, argv] = this.wrapCommand(process.execPath, args);
    const child = spawn(bin, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...connectionEnv(this.connection) },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
    const proc = { id, child, output: () => out, exited };
    this.executors.set(id, proc);
    return proc;
  }

  /** Asks every executor for a heartbeat. */
  async discover(): Promise<ExecutorHeartbeat[]> {
    const transport = await NatsTransport.connect(this.connectionOptions('test-discover'));
    try {
      const replies = await transport.requestMany(
        subjects(this.prefix).discover,
        { type: 'discover-executors', version: PROTOCOL_VERSION },
        { timeoutMs: 300 },
      );
      return replies.filter((m): m is ExecutorHeartbeat => m.type === 'executor-heartbeat');
    } finally {
      await transport.close();
    }
  }

  /** Polls discovery until `count` executors answer. */
  async waitForExecutors(count: number, timeoutMs: number): Promise<ExecutorHeartbeat[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.discover();
      if (list.length >= count) return list;
      if (Date.now() > deadline) {
        const logs = [...this.executors.values()].map((e) => `--- ${e.id}\n${e.output().slice(-1500)}`).join('\n');
        throw new Error(`only ${list.length} of ${count} executors registered within ${timeoutMs} ms\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops every executor (SIGTERM, SIGKILL after 10 s) and the server. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.executors.values()].map(async (e) => {
        if (e.child.exitCode !== null || e.child.signalCode !== null) return;
        e.child.kill('SIGTERM');
        const t = setTimeout(() => e.child.kill('SIGKILL'), 10_000);
        await e.exited;
        clearTimeout(t);
      }),
    );
    await this.server.stop();
  }
}

function connectionEnv(c: Omit<NatsConnectionOptions, 'servers'>): Record<string, string> {
  const env: Record<string, string> = {};
  if (c.user !== undefined) env['KINDLING_NATS_USER'] = c.user;
  if (c.pass !== undefined) env['KINDLING_NATS_PASS'] = c.pass;
  if (c.token !== undefined) env['KINDLING_NATS_TOKEN'] = c.token;
  if (c.tls?.caFile) env['KINDLING_NATS_TLS_CA'] = c.tls.caFile;
  if (c.tls?.certFile) env['KINDLING_NATS_TLS_CERT'] = c.tls.certFile;
  if (c.tls?.keyFile) env['KINDLING_NATS_TLS_KEY'] = c.tls.keyFile;
  return env;
}
