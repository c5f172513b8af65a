/**
 * NatsServerProcess: runs a private nats-server (Debian's 2.9 binary) on a loopback port, for
 * tests, fault tests (restart on the same port and store) and benchmarks; `kindling cluster up`
 * uses its binary and port finding. It lives in the CLI, the only shipped package that starts
 * a nats-server: executors and drivers only connect to one, so @kindling/shared does not carry
 * it.
 *
 * nats-server 2.9 takes max_payload, auth and TLS only from a config file, so one is written
 * to a temp dir together with the JetStream store. Readiness is checked by reading the
 * server's INFO line on its port and matching the unique server name written in the config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KindlingError } from '@kindling/shared/compute';

/** How to start a nats-server. */
export interface NatsServerOptions {
  /** Loopback port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Enable JetStream; default true. */
  readonly jetstream?: boolean;
  /** JetStream store; default a temp dir removed by stop(). */
  readonly storeDir?: string;
  /** Server max_payload in bytes; default the server's (1 MiB). */
  readonly maxPayload?: number;
  readonly auth?: { readonly user: string; readonly pass: string } | { readonly token: string };
  /** TLS; `verify` requires client certificates signed by `caFile` (mutual TLS). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string; readonly verify?: boolean };
  /** Server log file; default the log is kept in memory (last lines appear in start errors). */
  readonly logFile?: string;
  /** nats-server binary; default found on PATH or in /usr/sbin. */
  readonly binary?: string;
  /** Give up waiting for the server after this long; default 15 s. */
  readonly startTimeoutMs?: number;
}

const INSTALL_HINT = 'nats-server not found; install it with: apt-get install -y nats-server';
const LOG_TAIL_BYTES = 8 * 1024;

/** Servers still running, killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** A running nats-server child process. */
export class NatsServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logTail = '';

  private constructor(
    /** The loopback port clients connect to. */
    readonly port: number,
    private readonly binary: string,
    private readonly configFile: string,
    private readonly serverName: string,
    private readonly tempDir: string,
    private readonly startTimeoutMs: number,
    private readonly logFile: string | undefined,
  ) {}

  /** Writes a config, starts the server and waits until it accepts connections. */
  static async start(opts: NatsServerOptions = {}): Promise<NatsServerProcess> {
    const binary = findNatsServer(opts.binary);
    const tempDir = mkdtempSync(join(tmpdir(), 'kindling-nats-'));
    const randomPort = opts.port === undefined || opts.port === 0;
    try {
      // A free port can be taken between probing and binding: retry a few times.
      for (let attempt = 1; ; attempt++) {
        const port = randomPort ? await findFreePort() : opts.port!;
        const serverName = `kindling-${randomBytes(6).toString('hex')}`;
        const configFile = join(tempDir, 'nats.conf');
        writeFileSync(configFile, natsConfig(opts, port, serverName, join(tempDir, 'jetstream')));
        const server = new NatsServerProcess(port, binary, configFile, serverName, tempDir, opts.startTimeoutMs ?? 15_000, opts.logFile);
        try {
          await server.launch();
          return server;
        } catch (err) {
          const inUse = err instanceof KindlingError && /address already in use/i.test(err.message);
          if (!(randomPort && inUse && attempt < 3)) throw err;
        }
      }
    } catch (err) {
      rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** nats://127.0.0.1:<port> */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** PID of the running server, undefined once stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its temp dir. */
  async stop(): Promise<void> {
    await this.terminate();
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  /** Stops and starts the server again on the same port with the same config and store. */
  async restart(): Promise<void> {
    await this.terminate();
    await this.launch();
  }

  private async launch(): Promise<void> {
    this.logTail = '';
    const child = spawn(this.binary, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    track(child);
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal !== null ? `signal ${signal}` : `exit code ${code}`;
        live.delete(child);
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = err.message;
        live.delete(child);
        resolve();
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.logTail = (this.logTail + s).slice(-LOG_TAIL_BYTES);
    });

    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) {
        this.child = undefined;
        throw new KindlingError('E_IO', `nats-server exited at start (${exitInfo})${this.describeLog()}`, { port: this.port });
      }
      if (await probe(this.port, this.serverName)) return;
      if (Date.now() > deadline) {
        await this.terminate();
        throw new KindlingError(
          'E_IO',
          `nats-server did not accept connections on 127.0.0.1:${this.port} within ${this.startTimeoutMs} ms${this.describeLog()}`,
          {
            port: this.port,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
  }

  private describeLog(): string {
    if (this.logFile !== undefined) return `; see ${this.logFile}`;
    const tail = this.logTail.trim().split('\n').slice(-5).join('\n');
    return tail === '' ? '' : `:\n${tail}`;
  }
}

/** A currently free TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new KindlingError('E_IO', 'could not find a free port'))));
    });
  });
}

/** Path of the nats-server binary: the given one, else PATH, else /usr/sbin and /usr/local/sbin. */
export function findNatsServer(binary?: string): string {
  const candidates =
    binary !== undefined
      ? [binary]
      : [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'].map((d) =>
          join(d, 'nats-server'),
        );
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next place
    }
  }
  throw new KindlingError('E_IO', binary !== undefined ? `${INSTALL_HINT} (no executable at ${binary})` : INSTALL_HINT, { binary });
}

/** The nats-server config file text. */
function natsConfig(opts: NatsServerOptions, port: number, serverName: string, defaultStore: string): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [`server_name: ${q(serverName)}`, `listen: "127.0.0.1:${port}"`];
  if (opts.maxPayload !== undefined) {
    lines.push(`max_payload: ${opts.maxPayload}`);
    // 2.9 refuses max_payload above max_pending (64 MiB by default).
    if (opts.maxPayload > 64 * 1024 * 1024) lines.push(`max_pending: ${opts.maxPayload}`);
  }
  if (opts.jetstream ?? true) {
    const store = opts.storeDir ?? defaultStore;
    mkdirSync(store, { recursive: true });
    lines.push(`jetstream { store_dir: ${q(store)}, max_memory_store: 268435456, max_file_store: 1073741824 }`);
  }
  if (opts.auth !== undefined) {
    lines.push(
      'token' in opts.auth
        ? `authorization { token: ${q(opts.auth.token)} }`
        : `authorization { user: ${q(opts.auth.user)}, password: ${q(opts.auth.pass)} }`,
    );
  }
  if (opts.tls !== undefined) {
    const t = opts.tls;
    const parts = [`cert_file: ${q(t.certFile)}`, `key_file: ${q(t.keyFile)}`, 'timeout: 5'];
    if (t.caFile !== undefined) parts.push(`ca_file: ${q(t.caFile)}`);
    if (t.verify === true) parts.push('verify: true');
    lines.push(`tls { ${parts.join(', ')} }`);
  }
  if (opts.logFile !== undefined) lines.push(`log_file: ${q(opts.logFile)}`);
  return `${lines.join('\n')}\n`;
}

/** True when the port answers with the INFO line of the server named `serverName`. */
function probe(port: number, serverName: string): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    const sock = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('error', () => done(false));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > 64 * 1024) done(false);
        return;
      }
      const line = buf.slice(0, nl);
      if (!line.startsWith('INFO ')) return done(false);
      try {
        const info: unknown = JSON.parse(line.slice(5));
        done(typeof info === 'object' && info !== null && 'server_name' in info && info.server_name === serverName);
      } catch {
        done(false);
      }
    });
  });
}
