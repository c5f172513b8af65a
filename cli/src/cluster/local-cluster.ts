/**
 * LocalCluster: a nats-server and N executor processes on this machine, named executor-0 …
 * executor-(N-1) as a StatefulSet names its pods (`kindling cluster up`). The processes are
 * detached and outlive the command; their pids, ports and logs are kept in a state file so
 * `cluster status` and `cluster down` find them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUserNKey, KindlingError } from '@kindling/shared';
import { makeClusterPki } from './cluster-pki.js';
import { findFreePort, findNatsServer } from './nats-server-process.js';

/** What `cluster up` records. */
export interface ClusterState {
  readonly url: string;
  readonly port: number;
  readonly prefix: string;
  readonly nats: { readonly pid: number; readonly log: string; readonly config: string };
  readonly executors: ReadonlyArray<{ readonly id: string; readonly pid: number; readonly log: string }>;
  readonly startedAt: string;
  /** Set by --tls/--mtls: what a client needs to connect (the client pair only with mtls). */
  readonly tls?: ClusterTls;
  /** Set by --nkey: the seed file every client (executors, drivers) authenticates with. */
  readonly nkeySeedFile?: string;
}

/** A user NKey written by writeUserNKey. */
export interface UserNKeyFiles {
  /** The seed (`SU…`, mode 0600): what a client authenticates with. */
  readonly seedFile: string;
  /** The public key (`U…`) in a file of its own: what the server's config lists. */
  readonly publicKeyFile: string;
  readonly publicKey: string;
}

/**
 * Makes a new user NKey in `dir` (mode 0700): `user.nk` with the seed (0600) and `user.pub` with
 * the public key, the keys of the Secret k8s/components/nkey reads. An existing seed is replaced
 * only when `replace` is set: it may be the identity of a running cluster.
 */
export async function writeUserNKey(dir: string, replace = false): Promise<UserNKeyFiles> {
  const seedFile = join(dir, 'user.nk');
  const publicKeyFile = join(dir, 'user.pub');
  if (!replace && existsSync(seedFile)) {
    throw new KindlingError(
      'E_IO',
      `${seedFile} exists: remove it first or choose another --dir (it may be a running cluster's identity)`,
      {
        file: seedFile,
      },
    );
  }
  const user = await createUserNKey();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  rmSync(seedFile, { force: true });
  writeFileSync(seedFile, `${user.seed}\n`, { mode: 0o600 });
  writeFileSync(publicKeyFile, `${user.publicKey}\n`);
  return { seedFile, publicKeyFile, publicKey: user.publicKey };
}

/** The TLS settings of a cluster, as a client (executor or driver) needs them. */
export interface ClusterTls {
  readonly mode: 'tls' | 'mtls';
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Options of `cluster up`. */
export interface ClusterUpOptions {
  readonly dir: string;
  readonly executors: number;
  /** Worker threads per executor. */
  readonly cores: number;
  /** NATS port; 0 = a free one. */
  readonly port: number;
  readonly prefix: string;
  /** `tls`: the server speaks TLS only; `mtls`: it also requires client certificates from its CA. */
  readonly tls?: 'tls' | 'mtls';
  /** Admit only clients holding a user NKey made now (its seed in `<dir>/nkey/user.nk`, mode 0600). */
  readonly nkey?: boolean;
}

const executorMain = fileURLToPath(new URL('../../../../executor/dist/src/main.js', import.meta.url));

/** Path of the state file in a cluster folder. */
export function statePath(dir: string): string {
  return join(resolve(dir), 'cluster.json');
}

/** Reads the state of a cluster folder, or undefined when no cluster was started there. */
export function readClusterState(dir: string): ClusterState | undefined {
  const file = statePath(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** True if a process with this pid is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts nats-server (JetStream on) and the executors, detached; returns the recorded state. */
export async function clusterUp(o: ClusterUpOptions): Promise<ClusterState> {
  const dir = resolve(o.dir);
  const existing = readClusterState(dir);
  if (existing && isAlive(existing.nats.pid)) {
    throw new KindlingError(
      'E_INVALID_VALUE',
      `a cluster is already running from ${dir} (${existing.url}); run kindling cluster down first`,
    );
  }
  const natsBin = findNatsServer();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const port = o.port === 0 ? await findFreePort() : o.port;
  const config = join(dir, 'nats.conf');
  let tls: ClusterTls | undefined;
  let tlsConfig = '';
  if (o.tls) {
    const pki = makeClusterPki(join(dir, 'tls'));
    tls = { mode: o.tls, caFile: pki.caFile, ...(o.tls === 'mtls' && { certFile: pki.clientCert, keyFile: pki.clientKey }) };
    // A plaintext client is refused by the server (TLS required); with verify, so is a client without a certificate of this CA.
    tlsConfig = `tls {\n  cert_file: ${JSON.stringify(pki.serverCert)}\n  key_file: ${JSON.stringify(pki.serverKey)}\n  ca_file: ${JSON.stringify(pki.caFile)}\n  timeout: 5\n${o.tls === 'mtls' ? '  verify: true\n' : ''}}\n`;
  }
  let nkeySeedFile: string | undefined;
  let authConfig = '';
  if (o.nkey) {
    // A new identity per cluster: the seed never leaves this folder; the server knows only the public key.
    const user = await writeUserNKey(join(dir, 'nkey'), true);
    nkeySeedFile = user.seedFile;
    authConfig = `authorization {\n  users: [ { nkey: ${JSON.stringify(user.publicKey)} } ]\n}\n`;
  }
  writeFileSync(
    config,
    `listen: 127.0.0.1:${port}\nserver_name: kindling-local-${port}\njetstream {\n  store_dir: "${join(dir, 'jetstream')}"\n}\n${tlsConfig}${authConfig}`,
  );
  const natsLog = join(dir, 'logs', 'nats-server.log');
  const natsPid = spawnDetached(natsBin, ['-c', config], natsLog);
  await waitForPort(port, 15_000, natsLog);
  const url = `nats://127.0.0.1:${port}`;

  const executors = [];
  for (let i = 0; i < o.executors; i++) {
    const id = `executor-${i}`;
    const log = join(dir, 'logs', `${id}.log`);
    const tlsArgs = tls
      ? ['--tls-ca', tls.caFile, ...(tls.certFile && tls.keyFile ? ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile] : [])]
      : [];
    const pid = spawnDetached(
      process.execPath,
      [
        executorMain,
        '--master',
        url,
        '--id',
        id,
        '--cores',
        String(o.cores),
        '--prefix',
        o.prefix,
        '--health-port',
        '0',
        ...tlsArgs,
        ...(nkeySeedFile !== undefined ? ['--nkey-seed', nkeySeedFile] : []),
      ],
      log,
    );
    executors.push({ id, pid, log });
  }
  const state: ClusterState = {
    url,
    port,
    prefix: o.prefix,
    nats: { pid: natsPid, log: natsLog, config },
    executors,
    startedAt: new Date().toISOString(),
    ...(tls && { tls }),
    ...(nkeySeedFile !== undefined && { nkeySeedFile }),
  };
  writeFileSync(statePath(dir), JSON.stringify(state, null, 2));
  return state;
}

/** Stops the executors (SIGTERM: they drain), then the server; removes the state file. */
export async function clusterDown(dir: string, timeoutMs = 30_000): Promise<ClusterState | undefined> {
  const state = readClusterState(dir);
  if (!state) return undefined;
  for (const e of state.executors) signal(e.pid, 'SIGTERM');
  await waitForExit(
    state.executors.map((e) => e.pid),
    timeoutMs,
  );
  signal(state.nats.pid, 'SIGTERM');
  await waitForExit([state.nats.pid], 10_000);
  for (const pid of [...state.executors.map((e) => e.pid), state.nats.pid]) if (isAlive(pid)) signal(pid, 'SIGKILL');
  rmSync(statePath(dir), { force: true });
  return state;
}

function spawnDetached(cmd: string, args: readonly string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new KindlingError('E_IO', `could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

async function waitForPort(port: number, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new KindlingError(
        'E_IO',
        `nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms${tail ? `; its log ends:\n${tail}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
