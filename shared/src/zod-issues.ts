/**
 * zod issues → user-facing text: the one place in Kindling where a zod validation failure
 * becomes a message someone reads. It speaks in two voices:
 * - a message from another process (the codec's parseMessage, validateTaskResult): zod's type
 *   names, `launch-task: spec.lineage.source.end: expected number, received string`, thrown by
 *   parseWithSchema as KindlingError E_BAD_MESSAGE (describeIssue words one issue);
 * - a document a person wrote (the job spec): each schema leaf's own "expected …" wording and
 *   the value as it looks in the YAML, `model.maxIter: expected a positive integer, got "ten"`,
 *   with did-you-mean hints (describeDocumentIssue; the caller adds the file and the line).
 * Both name a field by formatIssuePath (`split.weights[0]`). zod is only a type here, so the
 * module costs nothing to load where no schema is.
 */
import type { z } from 'zod';
import { KindlingError } from './errors.js';

/** A field's path as zod reports it. */
export type IssuePath = readonly PropertyKey[];

/** `spec.lineage.schema[1].type` from ['spec', 'lineage', 'schema', 1, 'type']; '' for the root. */
export function formatIssuePath(path: IssuePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** The value at `path` inside `value`, or undefined where the path leaves the data. */
export function valueAtPath(value: unknown, path: IssuePath): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = Reflect.get(v, seg);
  }
  return v;
}

/** Short type description of a received value: `string`, `array`, `Float64Array`, `NaN`, `null`. */
export function describeValueType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}

/** A received value for a message: scalars as themselves (strings quoted, cut at 40 characters), the rest by type. */
export function previewValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return describeValueType(v);
}

// ── messages from another process ─────────────────────────────────────────────────────

/**
 * Custom checks that are type checks (the wire schemas' `float` and typed-array schemas), as
 * opposed to cross-field rules: their text gets the received type appended.
 */
const TYPE_CHECKS: ReadonlySet<string> = new Set([
  'expected number',
  'expected Float64Array',
  'expected Int32Array',
  'expected Uint8Array',
]);

/** One issue as the wire voice words it, e.g. `expected number, received string`; `actual` is the value at the issue's path. */
export function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, received ${describeValueType(actual)}`;
    case 'custom':
      return TYPE_CHECKS.has(issue.message) ? `${issue.message}, received ${describeValueType(actual)}` : issue.message;
    case 'invalid_value':
    case 'invalid_format':
      return `${stripPrefix(issue.message)}, received ${previewValue(actual)}`;
    case 'invalid_union':
      return issue.message.startsWith(DISCRIMINATOR)
        ? `expected one of ${issue.message.slice(DISCRIMINATOR.length)}, received ${previewValue(actual)}`
        : stripPrefix(issue.message);
    default:
      return stripPrefix(issue.message);
  }
}

const DISCRIMINATOR = 'Invalid discriminator value. Expected ';

function stripPrefix(message: string): string {
  return message.replace(/^Invalid (input|option): /, '');
}

/**
 * Validates `value` against `schema` and returns the parsed copy. Otherwise throws KindlingError
 * 'E_BAD_MESSAGE' naming `what`, the first issue's field and problem, and how many more there
 * are, e.g. `task-finished result (gradient): gradSum: expected Float64Array, received array
 * (and 2 more problems)`; details.path is the field's path.
 */
export function parseWithSchema<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  let r: ReturnType<typeof schema.safeParse>;
  try {
    r = schema.safeParse(value);
  } catch (err) {
    // zod 4's .readonly() freezes the input even when the inner check failed, and freezing a
    // non-empty typed array throws a TypeError: a peer sending bytes where a list belongs must
    // still get a refusal, not crash the listener (found by test/message-fuzz.test.ts).
    throw badMessage(`${what}: a value of the wrong kind (${err instanceof Error ? err.message : String(err)})`, '');
  }
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = issues[0];
  if (first === undefined) throw badMessage(`${what}: invalid`, '');
  const path = formatIssuePath(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const where = path === '' ? what : `${what}: ${path}`;
  throw badMessage(`${where}: ${describeIssue(first, valueAtPath(value, first.path))}${more}`, path);
}

function badMessage(message: string, path: string): KindlingError {
  return new KindlingError('E_BAD_MESSAGE', message, { path });
}

// ── documents a person wrote ──────────────────────────────────────────────────────────

/** One issue of a document, worded for the person who wrote it. */
export interface DocumentIssue {
  /** The field the text is about (for an unknown key, the key itself). */
  readonly path: readonly (string | number)[];
  /** `expected a positive integer, got "ten"`, `unknown key, did you mean "maxIter"?`, … */
  readonly text: string;
  /** True when `path` names a key the document should not have, rather than a value. */
  readonly atKey: boolean;
}

/**
 * Words one issue of validating `doc`, a document a person wrote, for that person. Each schema
 * leaf's error text is the "expected …" part; the value is shown as it looks in the document
 * (showValue). `knownKeys(section)` lists the keys a mapping may have, for the did-you-mean
 * hint of an unknown key. A list that is neither the union's literal nor a valid list reports
 * its bad element, not the union.
 */
export function describeDocumentIssue(
  issue: z.core.$ZodIssue,
  doc: unknown,
  knownKeys: (section: readonly (string | number)[]) => readonly string[],
): DocumentIssue {
  const at = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const extra = issue.keys.length > 1 ? ` (also unknown: ${issue.keys.slice(1).join(', ')})` : '';
    return { path: [...at, key], text: `unknown key${suggestName(key, knownKeys(at))}${extra}`, atKey: true };
  }
  if (issue.code === 'invalid_union') {
    // For a list, report the bad element rather than "not auto or a list".
    const inner = issue.errors.find((list) => list.some((i) => i.path.length > 0));
    const first = inner?.find((i) => i.path.length > 0);
    if (first) return describeDocumentIssue({ ...first, path: [...issue.path, ...first.path] }, doc, knownKeys);
  }
  const value = valueAtPath(doc, at);
  if (value === undefined) return { path: at, text: `required, expected ${issue.message}`, atKey: false };
  const near = issue.code === 'invalid_value' && typeof value === 'string' ? closestName(value, issue.values.map(String)) : undefined;
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  return { path: at, text: `expected ${issue.message}, got ${showValue(value)}${hint}`, atKey: false };
}

/** A value as its writer would recognise it in a YAML or JSON document: `"ten"`, `[0,0]`, `a mapping`. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    const json = JSON.stringify(v);
    return json.length <= 40 ? json : `a list of ${v.length} items`;
  }
  if (typeof v === 'object' && v !== null) return 'a mapping';
  return String(v);
}

/** `, did you mean "maxIter"?` for a near miss among `valid`, else `; expected one of: …` ('' when none is valid). */
export function suggestName(bad: string, valid: readonly string[]): string {
  const near = closestName(bad, valid);
  if (near !== undefined) return `, did you mean "${near}"?`;
  return valid.length > 0 ? `; expected one of: ${valid.join(', ')}` : '';
}

/** The valid name nearest to a misspelt one (letter case aside), if it is near enough to be a typo. */
export function closestName(bad: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const d = v.toLowerCase() === bad.toLowerCase() ? 0 : editDistance(bad, v);
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
