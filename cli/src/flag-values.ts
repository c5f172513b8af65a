/**
 * Validators of the CLI's flag values, for commander's `.argParser()`: each checks one kind of
 * value (a bounded whole number, a port, a subject prefix, a file, a NATS URL, a Kubernetes
 * name) and throws commander's InvalidArgumentError, which commander turns into the one-line
 * usage error `option '--executors <n>' argument '0' is invalid. …` and run-cli into exit 2 —
 * before the command does any work. Each returns the text unchanged, so a flag's value has one
 * type (string) whether it came from the user or from its default. Used by the commands of
 * cli/src/commands and by nats-connection.ts. Pure apart from the existence check of files.
 */
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parseMaster } from './master-url.js';

/** A commander value parser that validates and returns the text as given. */
export type FlagParser = (value: string) => string;

/** A whole number from `min` to `max` (digits only: no sign, exponent or fraction). */
export function wholeNumber(min: number, max: number): FlagParser {
  return (value) => {
    const text = value.trim();
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    const n = Number(text);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range (${min} to ${max})`);
    return text;
  };
}

/** A TCP port; `allowZero` for "any free port". */
export function port(allowZero: boolean): FlagParser {
  return wholeNumber(allowZero ? 0 : 1, 65535);
}

/** Milliseconds from 0 to one day: waits and timeouts. */
export const millis: FlagParser = wholeNumber(0, 86_400_000);

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A NATS subject prefix: dot-separated tokens of letters, digits, `-` and `_` (what executors accept). */
export const subjectPrefix: FlagParser = (value) => {
  if (!value.split('.').every((t) => TOKEN.test(t))) {
    throw new InvalidArgumentError('expected dot-separated tokens of letters, digits, - and _ (e.g. kindling or team-a.kindling)');
  }
  return value;
};

/** Any text but the empty one (a folder, an image); an empty value is a slip of the shell (`--dir "$UNSET"`). */
export const nonEmpty: FlagParser = (value) => {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value, got an empty string');
  return value;
};

/** A file that exists (a certificate, a key, a credentials file). */
export const existingFile: FlagParser = (value) => {
  nonEmpty(value);
  if (!existsSync(value)) throw new InvalidArgumentError(`${value}: no such file`);
  if (!statSync(value).isFile()) throw new InvalidArgumentError(`${value} is not a file`);
  return value;
};

/** One or more NATS URLs, comma-separated (nats:// or tls://, a host, no path). */
export const natsUrls: FlagParser = (value) => {
  const urls = value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) throw new InvalidArgumentError('expected nats://host[:port]');
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new InvalidArgumentError(`"${u}" is not a URL; expected nats://host[:port]`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw new InvalidArgumentError(`"${u}": expected a nats:// or tls:// URL`);
    if (!url.hostname) throw new InvalidArgumentError(`"${u}" names no host`);
    if (url.pathname !== '' && url.pathname !== '/') throw new InvalidArgumentError(`"${u}": a NATS URL has no path`);
  }
  return value;
};

/** A master of a command that lists executors: nats://… or k8s://namespace. */
export const poolMaster: FlagParser = (value) => {
  let kind: string;
  try {
    kind = parseMaster(value).kind;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (kind !== 'nats' && kind !== 'k8s')
    throw new InvalidArgumentError('expected nats://host[:port] or k8s://namespace (executors are not listed from a local master)');
  return value;
};

/** A Kubernetes object name (DNS-1123 subdomain: a namespace, a StatefulSet, a PVC). */
export const kubernetesName: FlagParser = (value) => {
  if (value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
    throw new InvalidArgumentError(
      'expected a Kubernetes name: lower-case letters, digits, - and ., starting and ending with a letter or digit',
    );
  }
  return value;
};

/**
 * Validators of `kindling submit`'s connection and deployment flags, by long name. Attached
 * from run-cli.ts after the command is built (submit.ts declares its flags; this module decides
 * what a valid value is), so neither file needs the other's details.
 */
const SUBMIT_FLAGS: Readonly<Record<string, FlagParser>> = {
  '--executor-wait': millis,
  '--nats-url': natsUrls,
  '--image': nonEmpty,
  '--data-claim': kubernetesName,
  '--output-claim': kubernetesName,
  '--nats-tls-secret': kubernetesName,
  '--nats-nkey-secret': kubernetesName,
  '--output': nonEmpty,
  '--name': nonEmpty,
};

/** Attaches SUBMIT_FLAGS' validators to the options of the `submit` command. */
export function checkSubmitFlags(submit: Command): Command {
  for (const option of submit.options) {
    const parser = option.long === undefined ? undefined : SUBMIT_FLAGS[option.long];
    if (parser) option.argParser(parser);
  }
  return submit;
}
