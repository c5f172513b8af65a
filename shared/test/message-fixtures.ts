/**
 * Sample protocol messages, one or more of every type, with typed arrays where the protocol
 * carries them; shared by the codec, schema and transport tests.
 */
import { PROTOCOL_VERSION, type Message } from '../src/protocol.js';
import type { EvaluatePartial, GradientPartial, JobPlan, SparkSplitKeysPartial } from '../src/tasks.js';

const v = PROTOCOL_VERSION;

/** A job plan with every optional part present (schema, encoding, compat split). */
export const plan: JobPlan = {
  version: 4,
  files: [
    { path: '/data/bank/part-0.csv.gz', size: 1_000, format: 'csv', compression: 'gzip' },
    { path: '/data/bank/part-1.parquet', size: 5_000_000, format: 'parquet', compression: 'none', footerStart: 4_999_000 },
  ],
  csv: { header: true, delimiter: ';', quote: '"', escape: '"', nullValue: 'NA', mode: 'DROPMALFORMED', inferSchema: true },
  columnNames: ['age', 'job', 'y'],
  partitions: [
    { file: 0, start: 0, end: 1_000, firstRowId: 0, firstLine: 2, dataStart: 20 },
    { file: 1, start: 4, end: 2_000_000, firstRowId: 12_345, rowGroups: [0, 2], splitAssignment: new Uint8Array([0, 1, 255, 0]) },
  ],
  schema: [
    { name: 'age', type: 'int' },
    { name: 'job', type: 'string' },
    { name: 'y', type: 'string' },
  ],
  encoding: {
    label: { kind: 'string', column: 2, name: 'y', labels: ['no', 'yes'] },
    features: [
      { kind: 'numeric', column: 0, name: 'age' },
      {
        kind: 'onehot',
        column: 1,
        name: 'job',
        labels: ['admin.', 'technician', 'services'],
        handleInvalid: 'keep',
        dropLast: true,
        offset: 1,
        size: 3,
      },
    ],
    numFeatures: 4,
    numericHandleInvalid: 'error',
    split: { seed: 42, trainFraction: 0.8 },
  },
};

export const gradientPartial: GradientPartial = {
  count: 10,
  lossSum: 6.5,
  gradSum: new Float64Array([0.1, -0.2, 0, 1e308]),
  interceptGradSum: -0.5,
};

export const evaluatePartial: EvaluatePartial = {
  count: 3,
  scores: new Float64Array([0.9, 0.4]),
  positives: new Float64Array([1, 0]),
  negatives: new Float64Array([1, 1]),
  tp: 1,
  fp: 1,
  tn: 1,
  fn: 0,
  logLossSum: 1.75,
  predictions: {
    rowIds: new Float64Array([5, 6, 7]),
    label: new Float64Array([1, 0, 0]),
    probability: new Float64Array([0.9, 0.9, 0.4]),
    prediction: new Float64Array([1, 1, 0]),
  },
};

export const splitKeysPartial: SparkSplitKeysPartial = {
  count: 2,
  rowIds: new Float64Array([0, 1]),
  label: new Float64Array([1, 0]),
  numFeatures: 4,
  featureOffsets: new Int32Array([0, 2, 3]),
  featureIndices: new Int32Array([0, 2, 1]),
  featureValues: new Float64Array([31, 1, 1]),
  columns: [
    { kind: 'numeric', values: new Float64Array([31, NaN]), nulls: new Uint8Array([0, 1]) },
    { kind: 'string', codes: new Int32Array([0, 1]), dictionary: ['admin.', 'services'] },
  ],
};

/** At least one message of every type. */
export const sampleMessages: readonly Message[] = [
  {
    type: 'executor-heartbeat',
    version: v,
    executorId: 'executor-0',
    slots: 2,
    runningTasks: 1,
    cachedBlocks: 7,
    cachedBytes: 123_456_789,
    rssBytes: 987_654_321,
    jobs: ['job-a', 'job-b'],
    draining: false,
    startedAt: 1_700_000_000_000,
    sentAt: 1_700_000_001_234,
  },
  {
    type: 'tasks-finished',
    version: v,
    executorId: 'executor-0',
    jobId: 'job-a',
    outcomes: [
      { taskId: 't-1', partition: 0, ok: true, result: gradientPartial },
      { taskId: 't-2', partition: 1, ok: true, result: evaluatePartial },
    ],
  },
  {
    type: 'tasks-finished',
    version: v,
    executorId: 'executor-0',
    jobId: 'job-a',
    outcomes: [{ taskId: 't-3', partition: 1, ok: true, result: splitKeysPartial }],
  },
  {
    type: 'tasks-finished',
    version: v,
    executorId: 'executor-1',
    jobId: 'job-a',
    outcomes: [
      {
        taskId: 't-4',
        partition: 0,
        ok: false,
        error: {
          code: 'E_CSV_MALFORMED',
          name: 'CsvParseError',
          message: 'bad quote at line 3',
          details: { file: '/data/bank.csv', line: 3, column: 4 },
        },
      },
    ],
  },
  { type: 'tasks-accepted', version: v, accepted: true },
  {
    type: 'tasks-accepted',
    version: v,
    accepted: true,
    outcomes: [
      { taskId: 't-5', partition: 0, ok: true, result: gradientPartial, kernelMs: 0.25, blocks: [{ name: 'train', bytes: 4096 }] },
      { taskId: 't-6', partition: 1, ok: false, error: { code: 'E_INTERNAL', name: 'KindlingError', message: 'no encoding' } },
    ],
  },
  {
    type: 'tasks-accepted',
    version: v,
    accepted: false,
    error: { code: 'E_PLAN_MISSING', name: 'KindlingError', message: 'no plan of job-a' },
  },
  { type: 'fetch-range', version: v, jobId: 'job-a', file: '/data/bank.csv', start: 0, end: 4096 },
  { type: 'register-plan', version: v, driverId: 'driver-1', jobId: 'job-a', plan },
  {
    type: 'launch-tasks',
    version: v,
    driverId: 'driver-1',
    jobId: 'job-a',
    planVersion: 3,
    batch: { op: 'gradient', params: { beta: new Float64Array([0.5, -1.25, 0, 3e-300]), intercept: -0.75 } },
    tasks: [
      { taskId: 't-1', partition: 0 },
      { taskId: 't-2', partition: 1 },
    ],
  },
  {
    type: 'launch-tasks',
    version: v,
    driverId: 'driver-1',
    jobId: 'job-a',
    planVersion: 3,
    batch: {
      op: 'evaluate',
      params: {
        split: 'test',
        beta: new Float64Array([1, 2, 3, 4]),
        intercept: 0.1,
        score: 'probability',
        threshold: 0.5,
        predictions: true,
      },
    },
    tasks: [{ taskId: 't-3', partition: 1 }],
  },
  {
    type: 'launch-tasks',
    version: v,
    driverId: 'driver-1',
    jobId: 'job-a',
    planVersion: 3,
    batch: { op: 'spark-split-keys', params: { keyColumns: [0, 2] } },
    tasks: [{ taskId: 't-4', partition: 0 }],
  },
  {
    type: 'launch-tasks',
    version: v,
    driverId: 'driver-1',
    jobId: 'job-a',
    planVersion: 1,
    batch: { op: 'csv-infer', params: {} },
    tasks: [{ taskId: 't-0', partition: 0 }],
  },
  { type: 'drop-job', version: v, jobId: 'job-a' },
  { type: 'driver-heartbeat', version: v, driverId: 'driver-1', jobs: ['job-a'], sentAt: 1_700_000_002_000 },
  { type: 'range-data', version: v, bytes: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  { type: 'ack', version: v, ok: true },
  { type: 'ack', version: v, ok: false, error: { code: 'E_IO', name: 'Error', message: 'disk full' } },
  { type: 'discover-executors', version: v },
];

/** Every typed array inside a value, with its path, for bit-exact comparisons. */
export function typedArraysOf(value: unknown, path = ''): [string, ArrayBufferView][] {
  if (ArrayBuffer.isView(value)) return [[path, value]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v2]) => typedArraysOf(v2, `${path}.${k}`));
}

/** The bytes of a typed array (bit-exact: -0 and NaN payloads included). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
