/**
 * Executor process configuration: command-line flags over environment variables over defaults,
 * validated once at start-up into a frozen ExecutorConfig. Kubernetes sets the environment
 * (POD_NAME, KINDLING_MASTER, secrets for NATS credentials); a local cluster passes flags.
 * Called by main.ts (the bin and `kindling executor`); pure apart from os facts and a check
 * that TLS files exist, so a bad flag fails before any connection is tried.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { KindlingError, type NatsConnectionOptions } from '@kindling/shared';

/** Log levels the executor's logger accepts (pino's names). */
export const EXECUTOR_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of EXECUTOR_LOG_LEVELS. */
export type ExecutorLogLevel = (typeof EXECUTOR_LOG_LEVELS)[number];

/** Everything an executor process needs to start; frozen. */
export interface ExecutorConfig {
  /** NATS server URLs (nats:// or tls://). */
  readonly servers: readonly string[];
  /** Executor id: a NATS subject token (letters, digits, `-`, `_`). */
  readonly id: string;
  /** Worker threads = task slots. */
  readonly cores: number;
  /** Subject prefix shared with the drivers. */
  readonly prefix: string;
  /** Port of /healthz, /readyz and /metrics; 0 picks a free port. */
  readonly healthPort: number;
  readonly heartbeatMs: number;
  /** Blocks of a driver not heard from for this long are freed. */
  readonly driverTimeoutMs: number;
  /** How long SIGTERM waits for running tasks before exiting anyway. */
  readonly graceMs: number;
  /** Timeout of each request for input bytes to a driver (executors without the input file). */
  readonly fetchTimeoutMs: number;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly logLevel: ExecutorLogLevel;
}

/** `kindling executor --help` text. */
export const EXECUTOR_USAGE = `Usage: kindling executor --master nats://host:4222[,nats://…] [options]

Runs one Kindling executor: it takes tasks from drivers over NATS and caches partitions.

Options (environment variable in brackets):
  --master URLS           NATS servers, comma-separated (required) [KINDLING_MASTER]
  --id ID                 executor id: letters, digits, - and _ [POD_NAME, else the hostname]
  --cores N               worker threads = task slots (default: all cores) [KINDLING_EXECUTOR_CORES]
  --prefix P              NATS subject prefix (default kindling) [KINDLING_PREFIX]
  --health-port N         /healthz, /readyz, /metrics port; 0 = any (default 4041) [KINDLING_HEALTH_PORT]
  --heartbeat-ms N        heartbeat interval (default 1000) [KINDLING_HEARTBEAT_MS]
  --driver-timeout-ms N   free the blocks of a driver silent this long (default 15000) [KINDLING_DRIVER_TIMEOUT_MS]
  --grace-ms N            SIGTERM drain budget (default 25000) [KINDLING_GRACE_MS]
  --fetch-timeout-ms N    timeout of each input-bytes request to a driver (default 30000) [KINDLING_FETCH_TIMEOUT_MS]
  --user U --pass P       NATS user and password [KINDLING_NATS_USER, KINDLING_NATS_PASS]
  --token T               NATS token [KINDLING_NATS_TOKEN]
  --tls-ca F              CA file to verify the server [KINDLING_NATS_TLS_CA]
  --tls-cert F --tls-key F  client certificate and key [KINDLING_NATS_TLS_CERT, KINDLING_NATS_TLS_KEY]
  --log-level L           fatal|error|warn|info|debug|trace|silent (default info) [KINDLING_LOG_LEVEL]
  -h, --help              print this help
`;

interface FlagDef {
  readonly env?: string;
}

const FLAGS: Record<string, FlagDef> = {
  master: { env: 'KINDLING_MASTER' },
  id: {},
  cores: { env: 'KINDLING_EXECUTOR_CORES' },
  prefix: { env: 'KINDLING_PREFIX' },
  'health-port': { env: 'KINDLING_HEALTH_PORT' },
  'heartbeat-ms': { env: 'KINDLING_HEARTBEAT_MS' },
  'driver-timeout-ms': { env: 'KINDLING_DRIVER_TIMEOUT_MS' },
  'grace-ms': { env: 'KINDLING_GRACE_MS' },
  'fetch-timeout-ms': { env: 'KINDLING_FETCH_TIMEOUT_MS' },
  user: { env: 'KINDLING_NATS_USER' },
  pass: { env: 'KINDLING_NATS_PASS' },
  token: { env: 'KINDLING_NATS_TOKEN' },
  'tls-ca': { env: 'KINDLING_NATS_TLS_CA' },
  'tls-cert': { env: 'KINDLING_NATS_TLS_CERT' },
  'tls-key': { env: 'KINDLING_NATS_TLS_KEY' },
  'log-level': { env: 'KINDLING_LOG_LEVEL' },
};

/** A setting's value and where it came from, so errors name the flag or variable the user wrote. */
interface Setting {
  readonly value: string;
  readonly origin: string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Parses executor flags (`--flag value` or `--flag=value`) over environment variables.
 * Throws KindlingError E_INVALID_VALUE naming the bad flag (or variable) and why.
 */
export function parseExecutorArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ExecutorConfig {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw invalid(arg, `unexpected argument; flags look like --master nats://host:4222 (see --help)`);
    const name = m[1]!;
    if (!(name in FLAGS)) throw invalid(`--${name}`, 'unknown flag (see --help)');
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || /^--[a-z]/.test(next)) throw invalid(`--${name}`, 'needs a value');
      value = next;
      i++;
    }
    if (given.has(name)) throw invalid(`--${name}`, 'given twice');
    given.set(name, value);
  }

  const setting = (name: string): Setting | undefined => {
    const flag = given.get(name);
    if (flag !== undefined) return { value: flag, origin: `--${name}` };
    const envName = FLAGS[name]?.env;
    const fromEnv = envName ? env[envName] : undefined;
    if (envName && fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: envName };
    return undefined;
  };

  const master = setting('master');
  if (!master) throw invalid('--master', 'is required (or set KINDLING_MASTER), e.g. --master nats://127.0.0.1:4222');
  const servers = parseServers(master);

  const user = setting('user');
  const pass = setting('pass');
  const token = setting('token');
  if (user && !pass) throw invalid(user.origin, 'needs a password too (--pass or KINDLING_NATS_PASS)');
  if (pass && !user) throw invalid(pass.origin, 'needs a user too (--user or KINDLING_NATS_USER)');
  if (token && user) throw invalid(token.origin, `cannot be combined with a user and password (${user.origin})`);

  const caFile = file(setting('tls-ca'));
  const certFile = file(setting('tls-cert'));
  const keyFile = file(setting('tls-key'));
  if (certFile && !keyFile) throw invalid('--tls-cert', 'needs --tls-key (KINDLING_NATS_TLS_KEY) too');
  if (keyFile && !certFile) throw invalid('--tls-key', 'needs --tls-cert (KINDLING_NATS_TLS_CERT) too');

  const logLevel = setting('log-level');
  if (logLevel && !(EXECUTOR_LOG_LEVELS as readonly string[]).includes(logLevel.value)) {
    throw invalid(logLevel.origin, `"${logLevel.value}" is not one of ${EXECUTOR_LOG_LEVELS.join(', ')}`);
  }

  const tls = caFile || certFile ? Object.freeze({ ...(caFile && { caFile }), ...(certFile && { certFile, keyFile }) }) : undefined;
  const config: ExecutorConfig = {
    servers: Object.freeze(servers),
    id: executorId(given.get('id'), env),
    cores: integer(setting('cores'), os.availableParallelism(), 1, 1024),
    prefix: prefixOf(setting('prefix')),
    healthPort: integer(setting('health-port'), 4041, 0, 65535),
    heartbeatMs: integer(setting('heartbeat-ms'), 1000, 10, 3_600_000),
    driverTimeoutMs: integer(setting('driver-timeout-ms'), 15_000, 100, 86_400_000),
    graceMs: integer(setting('grace-ms'), 25_000, 0, 3_600_000),
    fetchTimeoutMs: integer(setting('fetch-timeout-ms'), 30_000, 100, 3_600_000),
    ...(user && pass && { user: user.value, pass: pass.value }),
    ...(token && { token: token.value }),
    ...(tls && { tls }),
    logLevel: (logLevel?.value ?? 'info') as ExecutorLogLevel,
  };
  return Object.freeze(config);
}

/** The NATS connection settings of a config; the client name is the executor id. */
export function natsOptionsOf(config: ExecutorConfig): NatsConnectionOptions {
  return {
    servers: config.servers,
    prefix: config.prefix,
    name: config.id,
    ...(config.user !== undefined && { user: config.user, pass: config.pass }),
    ...(config.token !== undefined && { token: config.token }),
    ...(config.tls && { tls: config.tls }),
  };
}

/**
 * Turns a hostname or pod name into a subject token: dots and other characters become `-`
 * (`ip-10-0-0-7.ec2.internal` → `ip-10-0-0-7-ec2-internal`).
 */
export function sanitizeExecutorId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'executor' : cleaned;
}

function executorId(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) {
    // An id the user typed is used as written: silently changing it would hide a typo.
    if (!TOKEN.test(flag)) throw invalid('--id', `"${flag}" may contain only letters, digits, - and _`);
    return flag;
  }
  const pod = env['POD_NAME'];
  return sanitizeExecutorId(pod !== undefined && pod !== '' ? pod : os.hostname());
}

function parseServers(s: Setting): string[] {
  const urls = s.value.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw invalid(s.origin, 'lists no server');
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw invalid(s.origin, `"${u}" is not a URL; expected nats://host[:port]`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw invalid(s.origin, `"${u}": expected a nats:// or tls:// URL`);
    if (!url.hostname) throw invalid(s.origin, `"${u}" names no host`);
    if (url.pathname !== '' && url.pathname !== '/') throw invalid(s.origin, `"${u}": a NATS URL has no path`);
  }
  return urls;
}

function prefixOf(s: Setting | undefined): string {
  if (!s) return 'kindling';
  if (!s.value.split('.').every((t) => TOKEN.test(t))) {
    throw invalid(s.origin, `"${s.value}" is not a subject prefix: dot-separated tokens of letters, digits, - and _`);
  }
  return s.value;
}

function integer(s: Setting | undefined, fallback: number, min: number, max: number): number {
  if (!s) return fallback;
  const text = s.value.trim();
  if (!/^\d+$/.test(text)) throw invalid(s.origin, `"${s.value}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw invalid(s.origin, `${n} is out of range (${min} to ${max})`);
  return n;
}

function file(s: Setting | undefined): string | undefined {
  if (!s) return undefined;
  if (!existsSync(s.value)) throw invalid(s.origin, `${s.value}: no such file`);
  return s.value;
}

function invalid(flag: string, why: string): KindlingError {
  return new KindlingError('E_INVALID_VALUE', `${flag}: ${why}`, { flag });
}
