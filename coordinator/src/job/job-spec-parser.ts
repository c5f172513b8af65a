/**
 * Job spec parser: turns a YAML job file (or an already-parsed document) plus command-line
 * overrides into the validated, normalised JobSpec of job-spec.ts: every default filled in,
 * every path resolved against the job file's folder, split weights normalised.
 *
 * Called by `kindling submit` and by API users before any work starts, so a bad spec fails
 * fast with one JobSpecError whose message names the file, the field path and where the value
 * came from (its line, or the --conf flag); the wording of schema problems is @kindling/shared's
 * zod-issues.ts. Checks that need the data (does the label column exist?) belong to the
 * driver, not here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parse as parseYaml, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { JobSpecError, describeDocumentIssue, formatIssuePath, showValue, suggestName } from '@kindling/shared/compute';
import { DEFAULT_MAX_PARTITION_BYTES, type JobSpec } from './job-spec.js';

/** Command-line values that take precedence over the job file (spark-submit's flags). */
export interface JobSpecOverrides {
  /** Output folder (`--output`); relative paths resolve like the spec's own paths. */
  readonly output?: string;
  /** Replace an existing output folder (`--overwrite`): sets `output.mode` to `overwrite`. */
  readonly overwrite?: boolean;
  /** Job name (`--name`). */
  readonly name?: string;
  /** `--conf key=value` pairs: dotted spec paths (`model.maxIter`) to YAML scalar text (`20`). */
  readonly conf?: Readonly<Record<string, string>>;
}

const MiB = 1024 * 1024;

// Every leaf carries one "expected …" text, used whichever check fails, so messages read
// `model.maxIter: expected a positive integer, got "ten"` rather than zod's generic wording.
const expect = (what: string) => ({ error: what });
const bool = () => z.boolean(expect('true or false'));
const str = (what: string) => z.string(expect(what)).min(1, expect(what));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expect(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
const intAtLeast = (min: number, what: string) => z.number(expect(what)).int(expect(what)).min(min, expect(what));
const numIn = (min: number, max: number, what: string) => z.number(expect(what)).min(min, expect(what)).max(max, expect(what));
const asciiChar = () => z.string(expect('a single ASCII character')).regex(/^[\x00-\x7f]$/, expect('a single ASCII character'));
const section = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, expect('a mapping'));
const columnList = () => z.array(str('a column name'), expect('a list of column names'));
const columnsOrAuto = () => z.union([z.literal('auto'), columnList()], expect('"auto" or a list of column names')).default('auto');

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: 1024 * MiB,
  gb: 1024 * MiB,
  gib: 1024 * MiB,
};

/**
 * Parses a byte size: a positive integer, or a number with a unit. Units are binary whatever
 * their spelling ('64MB' = '64MiB' = '64m' = 67,108,864), as Spark reads `maxPartitionBytes`.
 */
function parseByteSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const BYTE_SIZE = 'a positive byte size (e.g. 4194304, "4MiB", "512KiB", "64MB")';

const INPUT_PATH = 'a path (a file, a folder or a glob) or a list of paths';
const inputSchema = section({
  path: z.union([str(INPUT_PATH), z.array(str(INPUT_PATH), expect(INPUT_PATH)).min(1, expect(INPUT_PATH))], expect(INPUT_PATH)),
  format: oneOf(['auto', 'csv', 'parquet', 'features']).default('auto'),
  header: bool().default(true),
  delimiter: asciiChar().default(','),
  quote: asciiChar().default('"'),
  escape: asciiChar().default('"'),
  nullValue: z.string(expect('a string')).default(''),
  mode: oneOf(['FAILFAST', 'DROPMALFORMED', 'PERMISSIVE']).default('FAILFAST'),
  inferSchema: bool().default(true),
  partitions: intAtLeast(1, 'a positive integer').optional(),
  maxPartitionBytes: z
    .custom<number | string>((v) => parseByteSize(v) !== undefined, expect(BYTE_SIZE))
    .transform((v) => parseByteSize(v)!)
    .default(DEFAULT_MAX_PARTITION_BYTES),
});

const pipelineSchema = section({
  drop: columnList().default([]),
  label: str("the label column's name"),
  categorical: columnsOrAuto(),
  numeric: columnsOrAuto(),
  featureOrder: oneOf(['categorical-first', 'file']).default('categorical-first'),
  stringIndexer: section({
    orderType: oneOf(['frequencyDesc', 'frequencyAsc', 'alphabetDesc', 'alphabetAsc']).default('frequencyDesc'),
    handleInvalid: oneOf(['error', 'skip', 'keep']).default('error'),
  }).prefault({}),
  oneHotEncoder: section({ dropLast: bool().default(true) }).prefault({}),
  assembler: section({ handleInvalid: oneOf(['error', 'skip']).default('error') }).prefault({}),
  weight: str("a numeric column of instance weights (Spark's weightCol)").optional(),
});

const nonNegative = () => z.number(expect('a non-negative number')).min(0, expect('a non-negative number'));
const splitSchema = section({
  weights: z.tuple([nonNegative(), nonNegative()], expect('a list of two non-negative numbers')).default([0.7, 0.3]),
  seed: z.number(expect('an integer')).int(expect('an integer')).default(42),
});

const modelSchema = section({
  type: oneOf(['logistic-regression', 'none']).default('logistic-regression'),
  maxIter: intAtLeast(1, 'a positive integer').default(100),
  regParam: numIn(0, Number.MAX_VALUE, 'a non-negative number').default(0),
  elasticNetParam: numIn(0, 1, 'a number from 0 to 1').default(0),
  tol: numIn(0, Number.MAX_VALUE, 'a non-negative number').default(1e-6),
  fitIntercept: bool().default(true),
  standardization: bool().default(true),
  threshold: numIn(0, 1, 'a number from 0 to 1').default(0.5),
  family: oneOf(['auto', 'binomial', 'multinomial']).default('auto'),
});

const outputSchema = section({
  path: str('a folder path').optional(),
  mode: oneOf(['error', 'overwrite']).default('error'),
  predictions: bool().default(true),
  features: bool().default(false),
  testSplit: bool().default(false),
});

const NAME = 'a non-empty name without slashes or control characters';
const rootSchema = section({
  name: z
    .string(expect(NAME))
    .regex(/^(?!\.\.?$)[^/\\\x00-\x1f\x7f]{1,200}$/, expect(NAME))
    .optional(),
  compat: oneOf(['kindling', 'spark-2.3', 'spark-3.2']).default('kindling'),
  input: inputSchema,
  pipeline: pipelineSchema,
  split: splitSchema.prefault({}),
  model: modelSchema.prefault({}),
  output: outputSchema.prefault({}),
  // Local mode's executor (docs/memory.md); cluster executors take --memory instead.
  executor: section({
    memory: z
      .custom<number | string>((v) => parseByteSize(v) !== undefined, expect(BYTE_SIZE))
      .transform((v) => parseByteSize(v)!)
      .optional(),
  }).optional(),
});

type RawSpec = z.output<typeof rootSchema>;
type Path = readonly (string | number)[];

/** Object schemas by their dotted path, for unknown-key suggestions and --conf checks. */
const SECTIONS: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, readonly string[]>();
  const visit = (schema: z.ZodType, at: string): void => {
    let s: z.ZodType = schema;
    for (let def = s._zod.def as { innerType?: z.ZodType }; def.innerType; def = s._zod.def as { innerType?: z.ZodType }) {
      s = def.innerType;
    }
    if (!(s instanceof z.ZodObject)) return;
    const shape = s.shape as Record<string, z.ZodType>;
    out.set(at, Object.keys(shape));
    for (const [key, child] of Object.entries(shape)) visit(child, at ? `${at}.${key}` : key);
  };
  visit(rootSchema, '');
  return out;
})();

/** Where values came from, so an error can point at a line or at the flag that set it. */
interface Provenance {
  /** How the file is named in messages: as the user gave it, or `job spec`. */
  readonly label: string;
  readonly file?: string;
  /** Line (1-based) of the value at `path` in the YAML source, when known. */
  readonly lineOf?: (path: Path, key?: boolean) => number | undefined;
  /** Dotted path → the flag that set it (`--conf model.maxIter=ten`, `--name`). */
  readonly flags: Map<string, string>;
}

/**
 * Reads, parses and validates a YAML job file. Relative paths in it resolve against the file's
 * folder; the default job name is the file's base name. Throws JobSpecError on any problem.
 */
export async function parseJobSpecFile(file: string, overrides: JobSpecOverrides = {}): Promise<JobSpec> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (err as NodeJS.ErrnoException).code === 'EISDIR'
          ? 'is a folder, not a file'
          : (err as Error).message;
    throw new JobSpecError(`${file}: cannot read the job file: ${reason}`, '', absolute);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}: ` : '';
    const reason = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new JobSpecError(`${file}: ${where}YAML syntax error: ${reason}`, '', absolute);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new JobSpecError(`${file}: invalid YAML: ${(err as Error).message}`, '', absolute);
  }
  return buildJobSpec(value, path.dirname(absolute), overrides, absolute, {
    label: file,
    file: absolute,
    lineOf: (p, key) => lineOf(doc, lines, p, key),
    flags: new Map(),
  });
}

/**
 * Validates an already-parsed job document (the YAML file's content as plain data). Relative
 * paths resolve against `baseDir`; `specFile`, when given, names the spec in messages, sets the
 * default job name and is recorded in the result. Throws JobSpecError on any problem.
 */
export function parseJobSpec(doc: unknown, baseDir: string, overrides: JobSpecOverrides = {}, specFile?: string): JobSpec {
  const absolute = specFile === undefined ? undefined : path.resolve(specFile);
  return buildJobSpec(doc, path.resolve(baseDir), overrides, absolute, {
    label: specFile ?? 'job spec',
    ...(absolute === undefined ? {} : { file: absolute }),
    flags: new Map(),
  });
}

function buildJobSpec(
  doc: unknown,
  baseDir: string,
  overrides: JobSpecOverrides,
  specFile: string | undefined,
  where: Provenance,
): JobSpec {
  if (doc === null || doc === undefined)
    throw problem(where, [], 'the job file is empty; expected a mapping with input and pipeline sections');
  if (!isPlainObject(doc)) throw problem(where, [], `expected a mapping at the top level, got ${showValue(doc)}`);
  const merged = withoutNulls(doc) as Record<string, unknown>;
  applyOverrides(merged, overrides, where);

  const parsed = rootSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, merged, where));
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
    const err = new JobSpecError(first.message + more, first.path, where.file);
    err.details['problems'] = problems.map((p) => p.message);
    throw err;
  }
  return normalise(parsed.data, baseDir, specFile, where);
}

/** --conf keys whose values are paths (a string, or a list of strings for input.path). */
const CONF_PATH_KEYS = new Set(['input.path', 'output.path']);

/** Relative path strings (alone or in a list) made absolute against the working directory. */
function fromWorkingDirectory(value: unknown): unknown {
  if (typeof value === 'string' && value !== '') return path.resolve(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v !== '' ? path.resolve(v) : v));
  return value;
}

/** Applies --conf pairs, then the dedicated flags (which win, as in spark-submit). */
function applyOverrides(doc: Record<string, unknown>, o: JobSpecOverrides, where: Provenance): void {
  for (const [key, text] of Object.entries(o.conf ?? {})) {
    const keys = key.split('.');
    if (keys.some((k) => k === '')) {
      throw problem(where, [], `--conf ${key}=${text}: expected a dotted key such as model.maxIter`);
    }
    for (let i = 0; i < keys.length; i++) {
      const parent = keys.slice(0, i).join('.');
      const known = SECTIONS.get(parent);
      if (!known) throw problem(where, keys.slice(0, i), `--conf ${key}=${text}: ${parent} is a value, not a section`);
      if (!known.includes(keys[i]!)) {
        throw problem(where, keys.slice(0, i + 1), `--conf ${key}=${text}: unknown key${suggestName(keys[i]!, known)}`);
      }
    }
    const value = withoutNulls(parseScalar(text));
    // A path typed on the command line is relative to where the command runs, as --output is,
    // not to the job file's folder.
    setIn(doc, keys, CONF_PATH_KEYS.has(key) ? fromWorkingDirectory(value) : value);
    where.flags.set(key, `--conf ${key}=${text}`);
  }
  if (o.name !== undefined) {
    doc['name'] = o.name;
    where.flags.set('name', '--name');
  }
  if (o.output !== undefined) {
    setIn(doc, ['output', 'path'], o.output);
    where.flags.set('output.path', '--output');
  }
  if (o.overwrite) {
    setIn(doc, ['output', 'mode'], 'overwrite');
    where.flags.set('output.mode', '--overwrite');
  }
}

/** A --conf value is YAML scalar text (`20`, `true`, `[a, b]`); text YAML cannot read stays a string. */
function parseScalar(text: string): unknown {
  try {
    return parseYaml(text, { logLevel: 'error' });
  } catch {
    return text;
  }
}

function setIn(doc: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node = doc;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (!isPlainObject(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** `key:` with no value means "use the default", as for a key that is absent. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (isPlainObject(x) || Array.isArray(x) ? withoutNulls(x) : x));
  if (!isPlainObject(v)) return v === null ? undefined : v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = withoutNulls(x);
    if (y !== undefined) out[k] = y;
  }
  return out;
}

/** Cross-field rules that need no data, then defaults that depend on other fields. */
function normalise(raw: RawSpec, baseDir: string, specFile: string | undefined, where: Provenance): JobSpec {
  const p = raw.pipeline;
  const seen = new Map<string, Path>();
  const claim = (column: string, at: Path, role: string): void => {
    if (column === p.label) throw problem(where, at, `"${column}" is the label column; it cannot be ${role}`);
    const earlier = seen.get(column);
    if (earlier) throw problem(where, at, `"${column}" is already listed at ${formatIssuePath(earlier)}`);
    seen.set(column, at);
  };
  if (p.weight !== undefined) claim(p.weight, ['pipeline', 'weight'], 'the weight column');
  p.drop.forEach((c, i) => claim(c, ['pipeline', 'drop', i], 'dropped'));
  if (p.categorical !== 'auto') p.categorical.forEach((c, i) => claim(c, ['pipeline', 'categorical', i], 'a feature'));
  if (p.numeric !== 'auto') p.numeric.forEach((c, i) => claim(c, ['pipeline', 'numeric', i], 'a feature'));

  const [w0, w1] = raw.split.weights;
  const sum = w0 + w1;
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw problem(where, ['split', 'weights'], `expected weights with a positive sum, got ${showValue(raw.split.weights)}`);
  }

  if (raw.input.format === 'features') {
    if (raw.model.type === 'none')
      throw problem(where, ['model', 'type'], 'a features input is already fitted: model.type none leaves nothing to do');
    if (raw.output.testSplit)
      throw problem(
        where,
        ['output', 'testSplit'],
        'a features input has no raw rows to write; write the test split in the run that reads them',
      );
  }
  const name = raw.name ?? (specFile ? path.basename(specFile).replace(/\.ya?ml$/i, '') : 'job');
  const i = raw.input;
  return {
    name,
    ...(specFile === undefined ? {} : { specFile }),
    input: {
      path: typeof i.path === 'string' ? path.resolve(baseDir, i.path) : i.path.map((p) => path.resolve(baseDir, p)),
      format: i.format,
      csv: {
        header: i.header,
        delimiter: i.delimiter,
        quote: i.quote,
        escape: i.escape,
        nullValue: i.nullValue,
        mode: i.mode,
        inferSchema: i.inferSchema,
      },
      ...(i.partitions === undefined ? {} : { partitions: i.partitions }),
      maxPartitionBytes: i.maxPartitionBytes,
    },
    pipeline: {
      drop: p.drop,
      label: p.label,
      categorical: p.categorical,
      numeric: p.numeric,
      featureOrder: p.featureOrder,
      stringIndexer: p.stringIndexer,
      oneHotEncoder: p.oneHotEncoder,
      assembler: p.assembler,
      ...(p.weight !== undefined ? { weight: p.weight } : {}),
    },
    split: { weights: [w0 / sum, w1 / sum], seed: raw.split.seed },
    model: raw.model,
    output: {
      path: path.resolve(baseDir, raw.output.path ?? path.join('out', name)),
      mode: raw.output.mode,
      predictions: raw.output.predictions,
      features: raw.output.features,
      testSplit: raw.output.testSplit,
    },
    compat: raw.compat,
    ...(raw.executor?.memory !== undefined && { executor: { memoryBytes: raw.executor.memory } }),
  };
}

interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Turns one zod issue into `<file>: <path>: <what is wrong> (<where it came from>)`. */
function describeIssue(issue: z.core.$ZodIssue, doc: unknown, where: Provenance): Problem {
  const d = describeDocumentIssue(issue, doc, (section) => SECTIONS.get(section.filter((k) => typeof k === 'string').join('.')) ?? []);
  return toProblem(where, d.path, d.text, d.atKey);
}

function problem(where: Provenance, at: Path, text: string): JobSpecError {
  const p = toProblem(where, at, text);
  return new JobSpecError(p.message, p.path, where.file);
}

function toProblem(where: Provenance, at: Path, text: string, isKey = false): Problem {
  const dottedPath = formatIssuePath(at);
  const origin = flagFor(where, at) ?? lineNote(where, at, isKey);
  return {
    path: dottedPath,
    message: `${where.label}: ${dottedPath ? `${dottedPath}: ` : ''}${text}${origin ? ` (${origin})` : ''}`,
  };
}

function flagFor(where: Provenance, at: Path): string | undefined {
  for (let n = at.length; n > 0; n--) {
    const flag = where.flags.get(at.slice(0, n).map(String).join('.'));
    if (flag) return flag;
  }
  return undefined;
}

function lineNote(where: Provenance, at: Path, isKey: boolean): string | undefined {
  const line = at.length > 0 ? where.lineOf?.(at, isKey) : undefined;
  return line === undefined ? undefined : `line ${line}`;
}

/** Line of a value (or of its key) in the YAML source, via the parsed document's node ranges. */
function lineOf(doc: Document, lines: LineCounter, at: Path, key = false): number | undefined {
  let offset: number | undefined;
  if (key) {
    const parent = at.length === 1 ? doc.contents : doc.getIn(at.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === at[at.length - 1]);
      offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    }
  } else {
    const node = doc.getIn(at, true) as { range?: [number, number, number] } | undefined;
    offset = node?.range?.[0];
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
