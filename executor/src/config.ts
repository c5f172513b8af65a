/**
 * Executor process configuration: command-line flags over environment variables over defaults,
 * validated once at start-up into a frozen ExecutorConfig. Kubernetes sets the environment
 * (POD_NAME, KINDLING_MASTER, secrets for NATS credentials); a local cluster passes flags.
 * commander reads argv and the variables and writes the help; the values are checked here,
 * after it, so that `--help` works whatever else is set, and so each error names the flag or
 * the variable the user actually wrote. Called by main.ts (the bin and `kindling executor`);
 * pure apart from os facts and a check that TLS files exist, so a bad flag fails before any
 * connection is tried.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { KindlingError, parseByteSize, type NatsConnectionOptions } from '@kindling/shared';

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
  /** NKey seed file / JWT creds file (NATS decentralised auth). */
  readonly nkeySeedFile?: string;
  readonly credsFile?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly logLevel: ExecutorLogLevel;
  /**
   * Most bytes the block store holds (`--memory`, or MEMORY_FRACTION of `--memory-limit`);
   * undefined = unbounded. See docs/memory.md for what else the process holds.
   */
  readonly memoryBytes?: number;
}

/**
 * Share of a container memory limit given to the block store when only the limit is known
 * (the StatefulSet's downward API). The rest is headroom: Node's heap and code (~100 MiB),
 * one worker thread per core (~30 MiB each), and each running task's margin (its input block
 * when rebuilt, and the blocks it produces before they enter the store).
 */
export const MEMORY_FRACTION = 0.5;

/** What a command line asks for: an executor to run, or the usage text (`--help`). */
export type ExecutorCommandLine =
  { readonly kind: 'run'; readonly config: ExecutorConfig } | { readonly kind: 'help'; readonly usage: string };

/** Bounds of the whole-number flags: outside them a value can only be a mistake (a port above 65535, a 1 ms heartbeat flooding NATS). */
const RANGES = {
  cores: [1, 1024],
  healthPort: [0, 65535],
  heartbeatMs: [10, 3_600_000],
  driverTimeoutMs: [100, 86_400_000],
  graceMs: [0, 3_600_000],
  fetchTimeoutMs: [100, 3_600_000],
} as const;

/** The executor's flags; a fresh Command per parse, because commander keeps parsed values on it. */
function executorProgram(): Command {
  return (
    new Command('kindling executor')
      .usage('--master nats://host:4222[,nats://…] [options]')
      .description('Runs one Kindling executor: it takes tasks from drivers over NATS and caches partitions.')
      .helpOption('-h, --help', 'print this help')
      // Reported after the parse, naming the argument (commander only counts them).
      .allowExcessArguments(true)
      .addOption(new Option('--master <urls>', 'NATS servers, comma-separated (required)').env('KINDLING_MASTER'))
      // No .env(): POD_NAME is cleaned into a token, while an id typed here must already be one.
      .addOption(new Option('--id <id>', 'executor id: letters, digits, - and _ (default: $POD_NAME, else the hostname)'))
      .addOption(
        new Option('--cores <n>', 'worker threads = task slots')
          .env('KINDLING_EXECUTOR_CORES')
          .default(os.availableParallelism(), 'all cores'),
      )
      .addOption(new Option('--prefix <prefix>', 'NATS subject prefix').env('KINDLING_PREFIX').default('kindling'))
      .addOption(
        new Option('--health-port <port>', '/healthz, /readyz and /metrics port; 0 = any free port')
          .env('KINDLING_HEALTH_PORT')
          .default(4041),
      )
      .addOption(new Option('--heartbeat-ms <ms>', 'heartbeat interval').env('KINDLING_HEARTBEAT_MS').default(1000))
      .addOption(
        new Option('--driver-timeout-ms <ms>', 'free the blocks of a driver silent this long')
          .env('KINDLING_DRIVER_TIMEOUT_MS')
          .default(15_000),
      )
      .addOption(new Option('--grace-ms <ms>', 'SIGTERM drain budget').env('KINDLING_GRACE_MS').default(25_000))
      .addOption(
        new Option('--fetch-timeout-ms <ms>', 'timeout of each input-bytes request to a driver')
          .env('KINDLING_FETCH_TIMEOUT_MS')
          .default(30_000),
      )
      .addOption(new Option('--user <user>', 'NATS user (with --pass)').env('KINDLING_NATS_USER'))
      .addOption(new Option('--pass <password>', 'NATS password (with --user)').env('KINDLING_NATS_PASS'))
      .addOption(new Option('--token <token>', 'NATS token').env('KINDLING_NATS_TOKEN'))
      .addOption(new Option('--nkey-seed <file>', 'NATS NKey seed file (SU…)').env('KINDLING_NATS_NKEY_SEED'))
      .addOption(new Option('--creds <file>', 'NATS credentials file (user JWT + seed)').env('KINDLING_NATS_CREDS'))
      .addOption(new Option('--tls-ca <file>', 'CA file to verify the server').env('KINDLING_NATS_TLS_CA'))
      .addOption(new Option('--tls-cert <file>', 'client certificate (with --tls-key)').env('KINDLING_NATS_TLS_CERT'))
      .addOption(new Option('--tls-key <file>', 'client key (with --tls-cert)').env('KINDLING_NATS_TLS_KEY'))
      .addOption(
        new Option(
          '--memory <size>',
          'block-store budget, e.g. 2g or 512m; over it, cached blocks are evicted and rebuilt (default: unbounded)',
        ).env('KINDLING_EXECUTOR_MEMORY'),
      )
      .addOption(
        new Option(
          '--memory-limit <bytes>',
          `the container's memory limit (Kubernetes downward API); the budget is ${MEMORY_FRACTION * 100}% of it unless --memory is set`,
        ).env('KINDLING_MEMORY_LIMIT'),
      )
      // Not .choices(): commander would check it while parsing, and a bad value would hide --help.
      .addOption(new Option('--log-level <level>', EXECUTOR_LOG_LEVELS.join('|')).env('KINDLING_LOG_LEVEL').default('info'))
  );
}

/**
 * Reads the executor's command line (`--flag value` or `--flag=value`) over the environment
 * `env`: the config to run with, or the usage text for `--help` / `-h`. Throws KindlingError
 * E_INVALID_VALUE with a one-line message naming the bad flag (or variable) and value.
 */
export function readExecutorCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ExecutorCommandLine {
  const program = executorProgram();
  let usage = '';
  program.exitOverride().configureOutput({
    writeOut: (text) => (usage += text),
    writeErr: () => undefined,
    // Reported by the caller, from the CommanderError below.
    outputError: () => undefined,
  });
  // Two slips commander lets through, refused after the parse (so that --help still works):
  // a flag given twice, of which it would take the last silently (more likely a merged
  // manifest than a wish), and a flag whose value is missing, where it would take the next
  // flag as the value (`--grace-ms --cores 2`).
  const flagNames = new Set(['-h', '--help', ...program.options.map((o) => o.long!)]);
  const repeated = new Set<string>();
  const valueless = new Map<string, string>();
  const seen = new Set<string>();
  for (const option of program.options) {
    program.on(`option:${option.name()}`, (value: string) => {
      if (seen.has(option.name())) repeated.add(option.long!);
      seen.add(option.name());
      const next = /^-[^=]*/.exec(value)?.[0];
      if (next !== undefined && flagNames.has(next)) valueless.set(option.long!, next);
    });
  }
  try {
    withEnvironment(env, () => program.parse([...argv], { from: 'user' }));
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return { kind: 'help', usage };
      // "error: unknown option '--cors'\n(Did you mean --cores?)" as one line.
      throw new KindlingError(
        'E_INVALID_VALUE',
        err.message
          .replace(/^error:\s*/, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim(),
        { commanderCode: err.code },
      );
    }
    throw err;
  }
  const [missing] = valueless;
  if (missing !== undefined) throw invalid(missing[0], `needs a value (it is followed by ${missing[1]})`);
  const [stray] = program.args;
  if (stray !== undefined) throw invalid(stray, 'unexpected argument; flags look like --master nats://host:4222 (see --help)');
  const [twice] = repeated;
  if (twice !== undefined) throw invalid(twice, 'given twice');
  return { kind: 'run', config: configOf(program, env) };
}

/** The config of a command line; throws E_INVALID_VALUE as readExecutorCommandLine does, also for `--help`. */
export function parseExecutorArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ExecutorConfig {
  const line = readExecutorCommandLine(argv, env);
  if (line.kind === 'help') throw invalid('--help', 'asks for the usage text, not for an executor to run');
  return line.config;
}

/** The NATS connection settings of a config; the client name is the executor id. */
export function natsOptionsOf(config: ExecutorConfig): NatsConnectionOptions {
  return {
    servers: config.servers,
    prefix: config.prefix,
    name: config.id,
    ...(config.user !== undefined && { user: config.user, pass: config.pass }),
    ...(config.token !== undefined && { token: config.token }),
    ...(config.nkeySeedFile !== undefined && { nkeySeedFile: config.nkeySeedFile }),
    ...(config.credsFile !== undefined && { credsFile: config.credsFile }),
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

/**
 * Runs `parse` with `env` standing in for process.env, without its empty variables.
 * Commander reads option variables from process.env only, and counts an empty one as set;
 * here the environment is a parameter (tests, embedding), and an empty variable means unset
 * (a manifest's `value: ""`, an optional secret left blank). The parse is synchronous, so no
 * other code runs while process.env is swapped.
 */
function withEnvironment(env: NodeJS.ProcessEnv, parse: () => void): void {
  const saved = process.env;
  process.env = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  try {
    parse();
  } finally {
    process.env = saved;
  }
}

/** A value commander found on the command line or in the environment, and where: for error messages. */
interface Setting {
  readonly value: string;
  readonly origin: string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

function configOf(program: Command, env: NodeJS.ProcessEnv): ExecutorConfig {
  const setting = (key: string): Setting | undefined => {
    const source = program.getOptionValueSource(key);
    if (source !== 'cli' && source !== 'env') return undefined;
    const option = program.options.find((o) => o.attributeName() === key)!;
    return { value: String(program.getOptionValue(key)), origin: source === 'env' ? option.envVar! : option.long! };
  };
  const integer = (key: keyof typeof RANGES): number => {
    const s = setting(key);
    if (!s) return program.getOptionValue(key) as number;
    const [min, max] = RANGES[key];
    const text = s.value.trim();
    if (!/^\d+$/.test(text)) throw invalid(s.origin, `"${s.value}" is not a whole number`);
    const n = Number(text);
    if (n < min || n > max) throw invalid(s.origin, `${n} is out of range (${min} to ${max})`);
    return n;
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
  const nkey = setting('nkeySeed');
  const creds = setting('creds');
  const secrets = [user, token, nkey, creds].filter((s): s is Setting => s !== undefined);
  if (secrets.length > 1) throw invalid(secrets[1]!.origin, `cannot be combined with ${secrets[0]!.origin}: give one way to authenticate`);
  const nkeySeedFile = file(nkey);
  const credsFile = file(creds);

  const caFile = file(setting('tlsCa'));
  const certFile = file(setting('tlsCert'));
  const keyFile = file(setting('tlsKey'));
  if (certFile && !keyFile) throw invalid('--tls-cert', 'needs --tls-key (KINDLING_NATS_TLS_KEY) too');
  if (keyFile && !certFile) throw invalid('--tls-key', 'needs --tls-cert (KINDLING_NATS_TLS_CERT) too');

  const logLevel = setting('logLevel');
  if (logLevel && !(EXECUTOR_LOG_LEVELS as readonly string[]).includes(logLevel.value)) {
    throw invalid(logLevel.origin, `"${logLevel.value}" is not one of ${EXECUTOR_LOG_LEVELS.join(', ')}`);
  }

  const tls = caFile || certFile ? Object.freeze({ ...(caFile && { caFile }), ...(certFile && { certFile, keyFile }) }) : undefined;
  const config: ExecutorConfig = {
    servers: Object.freeze(servers),
    id: executorId(setting('id'), env),
    cores: integer('cores'),
    prefix: prefixOf(setting('prefix')) ?? (program.getOptionValue('prefix') as string),
    healthPort: integer('healthPort'),
    heartbeatMs: integer('heartbeatMs'),
    driverTimeoutMs: integer('driverTimeoutMs'),
    graceMs: integer('graceMs'),
    fetchTimeoutMs: integer('fetchTimeoutMs'),
    ...(user && pass && { user: user.value, pass: pass.value }),
    ...(token && { token: token.value }),
    ...(nkeySeedFile !== undefined && { nkeySeedFile }),
    ...(credsFile !== undefined && { credsFile }),
    ...(tls && { tls }),
    logLevel: (logLevel?.value ?? program.getOptionValue('logLevel')) as ExecutorLogLevel,
    ...memoryOf(setting('memory'), setting('memoryLimit')),
  };
  return Object.freeze(config);
}

function memoryOf(memory: Setting | undefined, limit: Setting | undefined): { memoryBytes?: number } {
  const bytes = (s: Setting) => {
    try {
      return parseByteSize(s.value, s.origin);
    } catch (err) {
      throw invalid(s.origin, (err as Error).message.slice(s.origin.length + 2));
    }
  };
  if (memory) return { memoryBytes: bytes(memory) };
  if (limit) return { memoryBytes: Math.floor(bytes(limit) * MEMORY_FRACTION) };
  return {};
}

function executorId(flag: Setting | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) {
    // An id the user typed is used as written: silently changing it would hide a typo.
    if (!TOKEN.test(flag.value)) throw invalid(flag.origin, `"${flag.value}" may contain only letters, digits, - and _`);
    return flag.value;
  }
  const pod = env['POD_NAME'];
  return sanitizeExecutorId(pod !== undefined && pod !== '' ? pod : os.hostname());
}

function parseServers(s: Setting): string[] {
  const urls = s.value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
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

function prefixOf(s: Setting | undefined): string | undefined {
  if (!s) return undefined;
  if (!s.value.split('.').every((t) => TOKEN.test(t))) {
    throw invalid(s.origin, `"${s.value}" is not a subject prefix: dot-separated tokens of letters, digits, - and _`);
  }
  return s.value;
}

function file(s: Setting | undefined): string | undefined {
  if (!s) return undefined;
  if (!existsSync(s.value)) throw invalid(s.origin, `${s.value}: no such file`);
  return s.value;
}

function invalid(flag: string, why: string): KindlingError {
  return new KindlingError('E_INVALID_VALUE', `${flag}: ${why}`, { flag });
}
