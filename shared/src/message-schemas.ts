/**
 * Runtime schemas (zod v4) of every protocol message, of TaskSpec with its lineage, and of
 * the partial results that travel in TaskFinished.result. The codec runs parseMessage on
 * everything it decodes (and encodes), and the driver runs validateTaskResult on a result
 * once it knows the op of the task: nothing received from the wire is cast.
 *
 * Unknown fields are stripped, not refused: within one PROTOCOL_VERSION a newer peer may add
 * fields. Compile-time checks below keep each schema and its TypeScript type in step.
 */
import { z } from 'zod';
import type { WireError } from './errors.js';
import { ERROR_CODES, KindlingError } from './errors.js';
import { PROTOCOL_VERSION, type Message, type MessageType } from './protocol.js';
import type { Field } from './columnar/schema.js';
import type { DesignBlock } from './columnar/design-block.js';
import type {
  ColumnStats, CsvOptions, EncodePartial, EncodingPlan, EvaluatePartial, FeatureInput, GradientPartial, InferPartial,
  LoadPartial, PartitionLineage, PartitionSource, SparkSplitKeysPartial, SummaryPartial, TaskOp, TaskResultByOp, TaskSpec,
} from './tasks.js';

// ── building blocks ───────────────────────────────────────────────────────────────────

/** Counts, offsets, indices: safe non-negative integers. */
const count = z.number().int().nonnegative();
/** Any IEEE double, NaN and ±Infinity included (statistics of empty or NaN-holding columns). */
const float = z.custom<number>((v) => typeof v === 'number', { error: 'expected number' });
/** A finite double. */
const finite = z.number();
const nonEmpty = z.string().min(1);
/** Ids that become NATS subject tokens (see subjects() in protocol.ts). */
const subjectToken = z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a subject token ([A-Za-z0-9_-]+)' });
const float64Array = z.custom<Float64Array>((v) => v instanceof Float64Array, { error: 'expected Float64Array' });
const int32Array = z.custom<Int32Array>((v) => v instanceof Int32Array, { error: 'expected Int32Array' });
const uint8Array = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'expected Uint8Array' });
const strings = z.array(z.string()).readonly();



/** Schema of WireError (errors.ts). */
export const wireErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  name: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

// ── TaskSpec and its lineage (tasks.ts) ───────────────────────────────────────────────

const columnType = z.enum(['int', 'long', 'double', 'boolean', 'string']);

const fieldSchema = z.object({ name: z.string(), type: columnType });
const schemaSchema = z.array(fieldSchema).readonly();

/** Schema of PartitionSource. */
export const partitionSourceSchema = z
  .object({
    file: nonEmpty,
    index: count,
    start: count,
    end: count,
    numColumns: count,
    columnNames: strings,
    fileSize: count.optional(),
  })
  .refine((s) => s.start <= s.end, { error: 'expected start <= end', path: ['end'] })
  .refine((s) => s.fileSize === undefined || s.end <= s.fileSize, { error: 'expected end <= fileSize', path: ['end'] })
  .refine((s) => s.columnNames.length === s.numColumns, { error: 'expected one name per column (numColumns)', path: ['columnNames'] });

/** Schema of CsvOptions. */
export const csvOptionsSchema = z.object({
  header: z.boolean(),
  delimiter: z.string(),
  quote: z.string(),
  escape: z.string(),
  nullValue: z.string(),
  mode: z.enum(['FAILFAST', 'DROPMALFORMED', 'PERMISSIVE']),
  inferSchema: z.boolean(),
});

const numericFeatureInput = z.object({ kind: z.literal('numeric'), column: count, name: z.string() });
const oneHotFeatureInput = z.object({
  kind: z.literal('onehot'),
  column: count,
  name: z.string(),
  labels: strings,
  handleInvalid: z.enum(['error', 'skip', 'keep']),
  dropLast: z.boolean(),
  offset: count,
  size: count,
});
const featureInput = z.discriminatedUnion('kind', [numericFeatureInput, oneHotFeatureInput]);

const labelEncoding = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('string'), column: count, name: z.string(), labels: strings }),
  z.object({ kind: z.literal('numeric'), column: count, name: z.string() }),
]);

/** Schema of EncodingPlan. */
export const encodingPlanSchema = z.object({
  label: labelEncoding,
  features: z.array(featureInput).readonly(),
  numFeatures: count,
  numericHandleInvalid: z.enum(['error', 'skip']),
  split: z.object({ seed: finite, trainFraction: z.number().min(0).max(1) }),
});

/** Schema of PartitionLineage. */
export const partitionLineageSchema = z.object({
  source: partitionSourceSchema,
  csv: csvOptionsSchema,
  firstRowId: count,
  firstLine: z.number().int().positive().optional(),
  schema: schemaSchema.optional(),
  encoding: encodingPlanSchema.optional(),
  splitAssignment: uint8Array.optional(),
});

/** Schema of TaskSpec, discriminated by `op`. */
export const taskSpecSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('csv-infer'), lineage: partitionLineageSchema }),
  z.object({ op: z.literal('csv-load'), lineage: partitionLineageSchema }),
  z.object({ op: z.literal('encode'), lineage: partitionLineageSchema }),
  z.object({ op: z.literal('spark-split-keys'), lineage: partitionLineageSchema, keyColumns: z.array(count).readonly() }),
  z.object({ op: z.literal('summarize'), lineage: partitionLineageSchema }),
  z.object({ op: z.literal('gradient'), lineage: partitionLineageSchema, beta: float64Array, intercept: float }),
  z.object({ op: z.literal('features'), lineage: partitionLineageSchema, split: z.enum(['train', 'test']) }),
  z.object({
    op: z.literal('evaluate'),
    lineage: partitionLineageSchema,
    split: z.enum(['train', 'test']),
    beta: float64Array,
    intercept: float,
    score: z.enum(['margin', 'probability']),
    threshold: float,
    predictions: z.boolean(),
  }),
]);

// ── partial results (TaskFinished.result) ─────────────────────────────────────────────

const inferPartial = z.object({
  rowCount: count,
  malformedCount: count,
  lineCount: count,
  types: z.array(columnType.nullable()).readonly(),
});

const columnStats = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), count, nullCount: count, min: float, max: float, mean: float, m2: float }),
  z
    .object({ kind: z.literal('string'), nullCount: count, values: strings, counts: z.array(count).readonly() })
    .refine((s) => s.values.length === s.counts.length, { error: 'expected one count per value', path: ['counts'] }),
]);

const loadPartial = z.object({ rowCount: count, malformedCount: count, columns: z.array(columnStats).readonly() });

const encodePartial = z.object({ trainRows: count, testRows: count, skippedRows: count });

const summaryPartial = z
  .object({ count, mean: z.array(float), m2: z.array(float), labelCounts: z.tuple([count, count]) })
  .refine((s) => s.mean.length === s.m2.length, { error: 'expected as many m2 entries as mean entries', path: ['m2'] });

const sparkSplitKeysPartial = z
  .object({
    count,
    rowIds: float64Array,
    label: float64Array,
    numFeatures: count,
    featureOffsets: int32Array,
    featureIndices: int32Array,
    featureValues: float64Array,
    columns: z
      .array(
        z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('numeric'), values: float64Array, nulls: uint8Array.optional() }),
          z.object({ kind: z.literal('string'), codes: int32Array, dictionary: strings }),
        ]),
      )
      .readonly(),
  })
  .refine((p) => p.label.length === p.rowIds.length, { error: 'expected one label per row id', path: ['label'] })
  .refine((p) => p.featureValues.length === p.featureIndices.length, {
    error: 'expected as many feature values as feature indices',
    path: ['featureValues'],
  });

const gradientPartial = z.object({ count, lossSum: float, gradSum: float64Array, interceptGradSum: float });

const evaluatePartial = z
  .object({
    count,
    scores: float64Array,
    positives: float64Array,
    negatives: float64Array,
    tp: count,
    fp: count,
    tn: count,
    fn: count,
    logLossSum: float,
    predictions: z
      .object({ rowIds: float64Array, label: float64Array, probability: float64Array, prediction: float64Array })
      .refine(
        (p) => p.label.length === p.rowIds.length && p.probability.length === p.rowIds.length && p.prediction.length === p.rowIds.length,
        { error: 'expected rowIds, label, probability and prediction of equal length' },
      )
      .optional(),
  })
  .refine((e) => e.positives.length === e.scores.length && e.negatives.length === e.scores.length, {
    error: 'expected scores, positives and negatives of equal length',
  });

const designBlock = z
  .object({
    numRows: count,
    rowIds: float64Array,
    label: float64Array,
    numeric: float64Array,
    numNumeric: count,
    categorical: int32Array,
    numCategorical: count,
  })
  .refine(
    (b) =>
      b.rowIds.length === b.numRows &&
      b.label.length === b.numRows &&
      b.numeric.length === b.numRows * b.numNumeric &&
      b.categorical.length === b.numRows * b.numCategorical,
    { error: 'expected arrays sized numRows (× inputs)' },
  );

/** Schemas of the partial each op returns (TaskResultByOp). */
export const taskResultSchemas: { readonly [K in TaskOp]: z.ZodType<TaskResultByOp[K]> } = {
  'csv-infer': inferPartial,
  'csv-load': loadPartial,
  encode: encodePartial,
  'spark-split-keys': sparkSplitKeysPartial,
  summarize: summaryPartial,
  gradient: gradientPartial,
  evaluate: evaluatePartial,
  features: designBlock,
};

// ── messages (protocol.ts) ────────────────────────────────────────────────────────────

const envelope = { version: z.number() };

const executorHeartbeat = z.object({
  type: z.literal('executor-heartbeat'),
  ...envelope,
  executorId: subjectToken,
  slots: count,
  runningTasks: count,
  cachedBlocks: count,
  cachedBytes: count,
  rssBytes: count,
  jobs: strings,
  draining: z.boolean(),
  startedAt: finite,
  sentAt: finite,
});

const taskFinishedBase = { type: z.literal('task-finished'), ...envelope, executorId: subjectToken, jobId: nonEmpty, taskId: nonEmpty };
const taskFinished = z.discriminatedUnion('ok', [
  // `result` is checked by validateTaskResult once the receiver knows the op of the task.
  z.object({ ...taskFinishedBase, ok: z.literal(true), result: z.unknown() }),
  z.object({ ...taskFinishedBase, ok: z.literal(false), error: wireErrorSchema }),
]);

const taskAccepted = z.object({
  type: z.literal('task-accepted'),
  ...envelope,
  taskId: nonEmpty,
  accepted: z.boolean(),
  reason: z.string().optional(),
});

const fetchRange = z
  .object({ type: z.literal('fetch-range'), ...envelope, jobId: nonEmpty, file: nonEmpty, start: count, end: count })
  .refine((f) => f.start <= f.end, { error: 'expected start <= end', path: ['end'] });

const launchTask = z.object({
  type: z.literal('launch-task'),
  ...envelope,
  driverId: subjectToken,
  jobId: nonEmpty,
  taskId: nonEmpty,
  spec: taskSpecSchema,
});

const dropJob = z.object({ type: z.literal('drop-job'), ...envelope, jobId: nonEmpty });

const driverHeartbeat = z.object({ type: z.literal('driver-heartbeat'), ...envelope, driverId: subjectToken, jobs: strings, sentAt: finite });

const rangeData = z.object({ type: z.literal('range-data'), ...envelope, bytes: uint8Array });

const ack = z.object({ type: z.literal('ack'), ...envelope, ok: z.boolean(), error: wireErrorSchema.optional() });

const discoverExecutors = z.object({ type: z.literal('discover-executors'), ...envelope });

/** One schema per message type. */
export const messageSchemas: { readonly [K in MessageType]: z.ZodType<Extract<Message, { type: K }>> } = {
  'executor-heartbeat': executorHeartbeat,
  'task-finished': taskFinished,
  'task-accepted': taskAccepted,
  'fetch-range': fetchRange,
  'launch-task': launchTask,
  'drop-job': dropJob,
  'driver-heartbeat': driverHeartbeat,
  'range-data': rangeData,
  ack,
  'discover-executors': discoverExecutors,
};

// Each schema accepts every value of its TypeScript type and produces only such values:
// a field added to protocol.ts or tasks.ts without its schema fails the build here.
// Same<> alone misses an optional field the schema forgets (both sides stay assignable), so
// the shapes are also compared with every field made required.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Deep<T> = T extends ArrayBufferView
  ? T
  : T extends readonly (infer E)[]
    ? Deep<E>[]
    : T extends object
      ? { [K in keyof T]-?: Deep<T[K]> }
      : T;
type Same<A, B> = Mutual<A, B> extends true ? Mutual<Deep<A>, Deep<B>> : false;
type Proto<K extends MessageType> = Extract<Message, { type: K }>;
const schemaMatchesType: [
  Same<z.infer<typeof executorHeartbeat>, Proto<'executor-heartbeat'>>,
  Same<z.infer<typeof taskFinished>, Proto<'task-finished'>>,
  Same<z.infer<typeof taskAccepted>, Proto<'task-accepted'>>,
  Same<z.infer<typeof fetchRange>, Proto<'fetch-range'>>,
  Same<z.infer<typeof launchTask>, Proto<'launch-task'>>,
  Same<z.infer<typeof dropJob>, Proto<'drop-job'>>,
  Same<z.infer<typeof driverHeartbeat>, Proto<'driver-heartbeat'>>,
  Same<z.infer<typeof rangeData>, Proto<'range-data'>>,
  Same<z.infer<typeof ack>, Proto<'ack'>>,
  Same<z.infer<typeof discoverExecutors>, Proto<'discover-executors'>>,
  Same<z.infer<typeof taskSpecSchema>, TaskSpec>,
  Same<z.infer<typeof partitionLineageSchema>, PartitionLineage>,
  Same<z.infer<typeof partitionSourceSchema>, PartitionSource>,
  Same<z.infer<typeof csvOptionsSchema>, CsvOptions>,
  Same<z.infer<typeof encodingPlanSchema>, EncodingPlan>,
  Same<z.infer<typeof featureInput>, FeatureInput>,
  Same<z.infer<typeof fieldSchema>, Field>,
  Same<z.infer<typeof wireErrorSchema>, WireError>,
  Same<z.infer<typeof inferPartial>, InferPartial>,
  Same<z.infer<typeof columnStats>, ColumnStats>,
  Same<z.infer<typeof loadPartial>, LoadPartial>,
  Same<z.infer<typeof encodePartial>, EncodePartial>,
  Same<z.infer<typeof sparkSplitKeysPartial>, SparkSplitKeysPartial>,
  Same<z.infer<typeof summaryPartial>, SummaryPartial>,
  Same<z.infer<typeof gradientPartial>, GradientPartial>,
  Same<z.infer<typeof evaluatePartial>, EvaluatePartial>,
  Same<z.infer<typeof designBlock>, DesignBlock>,
] = [
  true, true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true, true, true, true, true, true,
];
void schemaMatchesType;

// ── parsing ───────────────────────────────────────────────────────────────────────────

const MESSAGE_TYPES: ReadonlySet<string> = new Set(Object.keys(messageSchemas));

function isMessageType(s: string): s is MessageType {
  return MESSAGE_TYPES.has(s);
}

/**
 * Validates a decoded value as a protocol message and returns a fresh, typed copy (unknown
 * fields dropped). Throws KindlingError 'E_PROTOCOL_VERSION' for another protocol version and
 * 'E_BAD_MESSAGE' for anything else wrong, naming the message type and field, e.g.
 * `launch-task: spec.lineage.source.end: expected number, received string`.
 */
export function parseMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badMessage(`message: expected an object, received ${describe(value)}`, '');
  }
  const version = 'version' in value ? value.version : undefined;
  const type = 'type' in value ? value.type : undefined;
  const typeName = typeof type === 'string' ? type : 'message';
  if (typeof version === 'number' && version !== PROTOCOL_VERSION) {
    throw new KindlingError(
      'E_PROTOCOL_VERSION',
      `${typeName}: protocol version ${version}, this side speaks version ${PROTOCOL_VERSION}`,
      { type: typeName, received: version, expected: PROTOCOL_VERSION },
    );
  }
  if (typeof type !== 'string') throw badMessage(`message: type: expected string, received ${describe(type)}`, 'type');
  if (!isMessageType(type)) throw badMessage(`message: type: unknown message type ${JSON.stringify(type.slice(0, 64))}`, 'type');
  return parseWith<Message>(messageSchemas[type], value, type);
}

/**
 * Validates the `result` of a successful TaskFinished against the partial its task's op
 * returns. Throws KindlingError 'E_BAD_MESSAGE' naming the field, e.g.
 * `task-finished result (gradient): gradSum: expected Float64Array, received array`.
 */
export function validateTaskResult<O extends TaskOp>(op: O, value: unknown): TaskResultByOp[O] {
  const schema: z.ZodType<TaskResultByOp[O]> = taskResultSchemas[op];
  return parseWith(schema, value, `task-finished result (${op})`);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = issues[0];
  if (first === undefined) throw badMessage(`${what}: invalid`, '');
  const path = formatPath(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const where = path === '' ? what : `${what}: ${path}`;
  throw badMessage(`${where}: ${describeIssue(first, valueAt(value, first.path))}${more}`, path);
}

function badMessage(message: string, path: string): KindlingError {
  return new KindlingError('E_BAD_MESSAGE', message, { path });
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, received ${describe(actual)}`;
    case 'custom':
      // Our custom checks are type checks (number, Float64Array…) or cross-field rules.
      return TYPE_CHECKS.has(issue.message) ? `${issue.message}, received ${describe(actual)}` : issue.message;
    case 'invalid_value':
    case 'invalid_format':
      return `${stripPrefix(issue.message)}, received ${preview(actual)}`;
    case 'invalid_union':
      return issue.message.startsWith('Invalid discriminator value. Expected ')
        ? `expected one of ${issue.message.slice('Invalid discriminator value. Expected '.length)}, received ${preview(actual)}`
        : stripPrefix(issue.message);
    default:
      return stripPrefix(issue.message);
  }
}

const TYPE_CHECKS: ReadonlySet<string> = new Set(['expected number', 'expected Float64Array', 'expected Int32Array', 'expected Uint8Array']);

function stripPrefix(message: string): string {
  return message.replace(/^Invalid (input|option): /, '');
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = Reflect.get(v, seg);
  }
  return v;
}

/** Short type description of a received value for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}

function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return describe(v);
}
