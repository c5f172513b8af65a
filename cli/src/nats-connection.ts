/**
 * NATS connection settings of the driver-side commands (`submit`, `executors`): the same
 * flags and environment variables as `kindling executor`, so one Secret configures both.
 */
import type { Command } from 'commander';
import type { NatsConnectionOptions } from '@kindling/shared';
import { existingFile, nonEmpty, subjectPrefix } from './flag-values.js';

/** Connection flags as commander parses them. */
export interface NatsFlags {
  readonly prefix?: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  readonly natsToken?: string;
  readonly natsNkeySeed?: string;
  readonly natsCreds?: string;
  readonly natsTlsCa?: string;
  readonly natsTlsCert?: string;
  readonly natsTlsKey?: string;
}

/**
 * Adds the connection flags to a command. Each value is checked as it is parsed, and the
 * pairs (user and password, certificate and key) before the action runs, flags and
 * environment together: a usage error (exit 2) naming the flag or variable.
 */
export function addNatsFlags(cmd: Command): Command {
  return cmd
    .option('--prefix <prefix>', 'NATS subject prefix shared with the executors [KINDLING_PREFIX] (default kindling)', subjectPrefix)
    .option('--nats-user <user>', 'NATS user [KINDLING_NATS_USER]', nonEmpty)
    .option('--nats-pass <pass>', 'NATS password [KINDLING_NATS_PASS]', nonEmpty)
    .option('--nats-token <token>', 'NATS token [KINDLING_NATS_TOKEN]', nonEmpty)
    .option('--nats-nkey-seed <file>', 'NATS NKey seed file (SU…) [KINDLING_NATS_NKEY_SEED]', existingFile)
    .option('--nats-creds <file>', 'NATS credentials file (user JWT + seed) [KINDLING_NATS_CREDS]', existingFile)
    .option('--nats-tls-ca <file>', 'CA certificate to verify the server [KINDLING_NATS_TLS_CA]', existingFile)
    .option('--nats-tls-cert <file>', 'client certificate (mutual TLS) [KINDLING_NATS_TLS_CERT]', existingFile)
    .option('--nats-tls-key <file>', 'client key (mutual TLS) [KINDLING_NATS_TLS_KEY]', existingFile)
    .hook('preAction', (command) => {
      const problem = natsFlagProblem(command.opts<NatsFlags>());
      if (problem !== undefined) command.error(problem, { exitCode: 2, code: 'kindling.invalidNatsFlags' });
    });
}

/**
 * What is wrong with a set of connection flags over the environment `env`, in one sentence
 * naming the flag or variable, or undefined. Pure but for the existence check of files.
 */
export function natsFlagProblem(flags: NatsFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pick = (flag: string | undefined, name: string, key: string): { value: string; origin: string } | undefined =>
    flag !== undefined
      ? { value: flag, origin: name }
      : env[key] !== undefined && env[key] !== ''
        ? { value: env[key], origin: key }
        : undefined;
  const prefix = pick(flags.prefix, '--prefix', 'KINDLING_PREFIX');
  if (prefix && prefix.origin !== '--prefix') {
    try {
      subjectPrefix(prefix.value);
    } catch (err) {
      return `${prefix.origin}="${prefix.value}": ${(err as Error).message}`;
    }
  }
  const user = pick(flags.natsUser, '--nats-user', 'KINDLING_NATS_USER');
  const pass = pick(flags.natsPass, '--nats-pass', 'KINDLING_NATS_PASS');
  const token = pick(flags.natsToken, '--nats-token', 'KINDLING_NATS_TOKEN');
  if (user && !pass) return `${user.origin} needs a password too (--nats-pass or KINDLING_NATS_PASS)`;
  if (pass && !user) return `${pass.origin} needs a user too (--nats-user or KINDLING_NATS_USER)`;
  if (token && user) return `${token.origin} cannot be combined with a user and password (${user.origin})`;
  const nkey = pick(flags.natsNkeySeed, '--nats-nkey-seed', 'KINDLING_NATS_NKEY_SEED');
  const creds = pick(flags.natsCreds, '--nats-creds', 'KINDLING_NATS_CREDS');
  const ways = [user, token, nkey, creds].filter((w) => w !== undefined);
  if (ways.length > 1) return `${ways[1]!.origin} cannot be combined with ${ways[0]!.origin}: give one way to authenticate`;
  for (const f of [nkey, creds]) {
    if (!f || f.origin.startsWith('--')) continue;
    try {
      existingFile(f.value);
    } catch (err) {
      return `${f.origin}: ${(err as Error).message}`;
    }
  }
  const files = [
    pick(flags.natsTlsCa, '--nats-tls-ca', 'KINDLING_NATS_TLS_CA'),
    pick(flags.natsTlsCert, '--nats-tls-cert', 'KINDLING_NATS_TLS_CERT'),
    pick(flags.natsTlsKey, '--nats-tls-key', 'KINDLING_NATS_TLS_KEY'),
  ];
  for (const f of files) {
    if (!f || f.origin.startsWith('--')) continue;
    try {
      existingFile(f.value);
    } catch (err) {
      return `${f.origin}: ${(err as Error).message}`;
    }
  }
  const [, cert, key] = files;
  if (cert && !key) return `${cert.origin} needs a key too (--nats-tls-key or KINDLING_NATS_TLS_KEY)`;
  if (key && !cert) return `${key.origin} needs a certificate too (--nats-tls-cert or KINDLING_NATS_TLS_CERT)`;
  return undefined;
}

/** Flags first, then the environment. */
export function natsOptions(servers: string, flags: NatsFlags, name: string, env: NodeJS.ProcessEnv = process.env): NatsConnectionOptions {
  const pick = (flag: string | undefined, key: string) => flag ?? (env[key] !== undefined && env[key] !== '' ? env[key] : undefined);
  const user = pick(flags.natsUser, 'KINDLING_NATS_USER');
  const pass = pick(flags.natsPass, 'KINDLING_NATS_PASS');
  const token = pick(flags.natsToken, 'KINDLING_NATS_TOKEN');
  const nkeySeedFile = pick(flags.natsNkeySeed, 'KINDLING_NATS_NKEY_SEED');
  const credsFile = pick(flags.natsCreds, 'KINDLING_NATS_CREDS');
  const caFile = pick(flags.natsTlsCa, 'KINDLING_NATS_TLS_CA');
  const certFile = pick(flags.natsTlsCert, 'KINDLING_NATS_TLS_CERT');
  const keyFile = pick(flags.natsTlsKey, 'KINDLING_NATS_TLS_KEY');
  const tls =
    caFile || certFile || keyFile ? { ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) } : undefined;
  return {
    servers: servers
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    prefix: pick(flags.prefix, 'KINDLING_PREFIX') ?? 'kindling',
    name,
    ...(user !== undefined && { user, ...(pass !== undefined && { pass }) }),
    ...(token !== undefined && { token }),
    ...(nkeySeedFile !== undefined && { nkeySeedFile }),
    ...(credsFile !== undefined && { credsFile }),
    ...(tls && { tls }),
  };
}
