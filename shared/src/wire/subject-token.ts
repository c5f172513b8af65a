/**
 * The one rule for ids that become NATS subject tokens (executor, driver and job ids): the
 * message schemas, the subject builders and the CLI's id checks all use it.
 */

/** Letters, digits, `_` and `-`: never `.`, `*`, `>` or whitespace, which NATS reads as syntax. */
export const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** True when `id` can be used as one token of a NATS subject. */
export function isSubjectToken(id: string): boolean {
  return SUBJECT_TOKEN.test(id);
}
