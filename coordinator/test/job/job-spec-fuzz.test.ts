/**
 * Fuzzing job files and `--conf` values (fast-check, fixed seeds, bounded runs): a user's job
 * document with one field set to anything YAML can hold, removed, or joined by an unknown key,
 * plus random `--conf key=value` pairs, must either give a job spec or fail with E_JOB_SPEC —
 * a message that names the field and shows the value as written, never E_INTERNAL, a
 * TypeError or `[object Object]`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { KindlingError } from '@kindling/shared';
import { parseJobSpec } from '../../src/job/job-spec-parser.js';

const repo = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const bankYaml = path.join(repo, 'examples/bank-lr.yaml');
const bankDoc = parseYaml(readFileSync(bankYaml, 'utf8')) as Record<string, unknown>;

/** What YAML can put in a field: scalars, lists and mappings of them. */
const yamlValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  scalar: fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('auto', 'overwrite', '-1', '0', '1e309', 'NaN', '.inf', '~', '[]', '{}', '../..', '/etc/passwd', 'x'.repeat(5000)),
  ),
  value: fc.oneof(
    { weight: 4, arbitrary: tie('scalar') },
    { weight: 1, arbitrary: fc.array(tie('scalar'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), tie('scalar'), { maxKeys: 3 }) },
  ),
})).value;

/** Dotted paths of the bank document's fields (mappings and list items). */
function fieldPaths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [];
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...prefix, k], ...fieldPaths(x, [...prefix, k])]);
}
const PATHS = fieldPaths(bankDoc);
const CONF_KEYS = [
  ...PATHS.map((p) => p.join('.')),
  'model.regParam',
  'input.delimiter',
  'input.partitions',
  'split.seed',
  'nope',
  'model.',
  '.x',
];

const DELETE = Symbol('delete');
function withValue(v: unknown, p: readonly string[], value: unknown): unknown {
  if (p.length === 0) return value;
  const [head, ...rest] = p as [string, ...string[]];
  const copy = (Array.isArray(v) ? [...(v as unknown[])] : { ...(v as object) }) as Record<string, unknown>;
  const next = withValue(copy[head], rest, value);
  if (next === DELETE) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** 'ok' for a spec, 'refused' for a clear E_JOB_SPEC; throws for anything else. */
function specOrRefusal(run: () => unknown): 'ok' | 'refused' {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (
      err instanceof KindlingError &&
      err.code === 'E_JOB_SPEC' &&
      err.message.length > 0 &&
      !/\[object Object\]|undefined:/.test(err.message)
    )
      return 'refused';
    throw new Error(
      `not a clear job-spec error: ${err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ''}: ${err.message}` : String(err)}`,
    );
  }
}

t.test('job spec fuzz: one field of the bank job set to any YAML value, removed, or an unknown key added', async (t) => {
  const counts = { ok: 0, refused: 0 };
  fc.assert(
    fc.property(
      fc.constantFrom(...PATHS),
      fc.oneof({ weight: 6, arbitrary: yamlValue }, { weight: 1, arbitrary: fc.constant<unknown>(DELETE) }),
      fc.option(fc.tuple(fc.constantFrom(...PATHS.map((p) => p.slice(0, -1))), fc.string({ maxLength: 10 }), yamlValue), {
        nil: undefined,
      }),
      (p, value, extra) => {
        let doc = withValue(bankDoc, p, value);
        if (extra) doc = withValue(doc, [...extra[0], `x${extra[1]}`], extra[2]);
        counts[specOrRefusal(() => parseJobSpec(doc, path.dirname(bankYaml), {}, bankYaml))]++;
      },
    ),
    { seed: 20261203, numRuns: 2000 },
  );
  t.ok(counts.ok > 0 && counts.refused > 0, `both outcomes occur (${counts.ok} specs, ${counts.refused} refused)`);
});

t.test('job spec fuzz: random --conf pairs on the bank job', async (t) => {
  const counts = { ok: 0, refused: 0 };
  const confValue = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom(
      'true',
      'false',
      'null',
      '~',
      '[1, 2]',
      '{a: 1}',
      '[0.7, 0.3]',
      '- x',
      ': :',
      '"unterminated',
      "'",
      '&a *a',
      '!!binary x',
    ),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...CONF_KEYS), confValue, { minKeys: 1, maxKeys: 3 }), (conf) => {
      counts[specOrRefusal(() => parseJobSpec(bankDoc, path.dirname(bankYaml), { conf }, bankYaml))]++;
    }),
    { seed: 20261204, numRuns: 2000 },
  );
  t.ok(counts.ok > 0 && counts.refused > 0, `both outcomes occur (${counts.ok} specs, ${counts.refused} refused)`);
});
