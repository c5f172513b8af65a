/**
 * NATS connection settings of the driver-side commands (`submit`, `executors`): the same
 * flags and environment variables as `kindling executor`, so one Secret configures both.
 */
import type { Command } from 'commander';
import type { NatsConnectionOptions } from '@kindling/shared';

/** Connection flags as commander parses them. */
export interface NatsFlags {
  readonly prefix?: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  readonly natsToken?: string;
  readonly natsTlsCa?: string;
  readonly natsTlsCert?: string;
  readonly natsTlsKey?: string;
}

/** Adds the connection flags to a command. */
export function addNatsFlags(cmd: Command): Command {
  return cmd
    .option('--prefix <prefix>', 'NATS subject prefix shared with the executors [KINDLING_PREFIX] (default kindling)')
    .option('--nats-user <user>', 'NATS user [KINDLING_NATS_USER]')
    .option('--nats-pass <pass>', 'NATS password [KINDLING_NATS_PASS]')
    .option('--nats-token <token>', 'NATS token [KINDLING_NATS_TOKEN]')
    .option('--nats-tls-ca <file>', 'CA certificate to verify the server [KINDLING_NATS_TLS_CA]')
    .option('--nats-tls-cert <file>', 'client certificate (mutual TLS) [KINDLING_NATS_TLS_CERT]')
    .option('--nats-tls-key <file>', 'client key (mutual TLS) [KINDLING_NATS_TLS_KEY]');
}

/** Flags first, then the environment. */
export function natsOptions(servers: string, flags: NatsFlags, name: string, env: NodeJS.ProcessEnv = process.env): NatsConnectionOptions {
  const pick = (flag: string | undefined, key: string) => flag ?? (env[key] !== undefined && env[key] !== '' ? env[key] : undefined);
  const user = pick(flags.natsUser, 'KINDLING_NATS_USER');
  const pass = pick(flags.natsPass, 'KINDLING_NATS_PASS');
  const token = pick(flags.natsToken, 'KINDLING_NATS_TOKEN');
  const caFile = pick(flags.natsTlsCa, 'KINDLING_NATS_TLS_CA');
  const certFile = pick(flags.natsTlsCert, 'KINDLING_NATS_TLS_CERT');
  const keyFile = pick(flags.natsTlsKey, 'KINDLING_NATS_TLS_KEY');
  const tls = caFile || certFile || keyFile ? { ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) } : undefined;
  return {
    servers: servers.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    prefix: pick(flags.prefix, 'KINDLING_PREFIX') ?? 'kindling',
    name,
    ...(user !== undefined && { user, ...(pass !== undefined && { pass }) }),
    ...(token !== undefined && { token }),
    ...(tls && { tls }),
  };
}
