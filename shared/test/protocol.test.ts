import t from 'tap';
import { KindlingError } from '../src/errors.js';
import { parseMessage, PROTOCOL_VERSION, validateTaskResult } from '../src/protocol.js';
import { lineageOf, type LoadPartial } from '../src/tasks.js';
import { evaluatePartial, gradientPartial, plan, sampleMessages, splitKeysPartial } from './message-fixtures.js';

/** Deep copy that keeps typed arrays (structuredClone does). */
function mutate<T>(value: T, edit: (copy: any) => void): unknown {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

/** The assertions rejects() needs (a structural slice of tap's Test). */
interface Asserts {
  ok(...args: any[]): unknown;
  equal(...args: any[]): unknown;
  match(...args: any[]): unknown;
  fail(...args: any[]): unknown;
}

function rejects(t: Asserts, value: unknown, code: string, message: string | RegExp, what: string): void {
  try {
    parseMessage(value);
    t.fail(`${what}: accepted`);
  } catch (err) {
    t.ok(err instanceof KindlingError, `${what}: a KindlingError`);
    t.equal((err as KindlingError).code, code, `${what}: code`);
    if (typeof message === 'string') t.equal((err as Error).message, message, `${what}: message`);
    else t.match((err as Error).message, message, `${what}: message`);
  }
}

const launch = sampleMessages.find((m) => m.type === 'launch-tasks')!;
const registration = sampleMessages.find((m) => m.type === 'register-plan')!;
const finished = sampleMessages.find((m) => m.type === 'tasks-finished')!;

t.test('protocol: every sample message parses into an equal fresh copy', async (t) => {
  for (const msg of sampleMessages) {
    const parsed = parseMessage(msg);
    t.strictSame(parsed, msg, `${msg.type} equal`);
    t.not(parsed, msg, `${msg.type} is a copy`);
  }
});

t.test('protocol: unknown fields from a newer peer are dropped, not refused', async (t) => {
  const parsed = parseMessage({ type: 'drop-job', version: PROTOCOL_VERSION, jobId: 'j', futureField: 1 });
  t.strictSame(parsed, { type: 'drop-job', version: PROTOCOL_VERSION, jobId: 'j' });
});

t.test('protocol: a wrong field type is reported with the message type and the field path', async (t) => {
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.partitions[1].end = '2000';
    }),
    'E_BAD_MESSAGE',
    'register-plan: plan.partitions[1].end: expected number, received string',
    'string end',
  );
  rejects(
    t,
    mutate(launch, (m) => {
      m.batch.params.beta = [0.5, 1];
    }),
    'E_BAD_MESSAGE',
    /^launch-tasks: batch(\.params\.beta)?: /,
    'plain array beta',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.schema[1].type = 'decimal';
    }),
    'E_BAD_MESSAGE',
    /^register-plan: plan\.schema\[1\]\.type: expected one of .*received "decimal"$/,
    'bad column type',
  );
  rejects(
    t,
    mutate(launch, (m) => {
      m.batch.op = 'shell';
    }),
    'E_BAD_MESSAGE',
    /^launch-tasks: batch/,
    'unknown op',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.encoding.features[1].size = -1;
    }),
    'E_BAD_MESSAGE',
    /^register-plan: plan\.encoding\.features\[1\]\.size: /,
    'negative size',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.partitions[1].splitAssignment = [0, 1];
    }),
    'E_BAD_MESSAGE',
    'register-plan: plan.partitions[1].splitAssignment: expected Uint8Array, received array',
    'split assignment',
  );
  rejects(
    t,
    mutate(launch, (m) => {
      m.tasks = [];
    }),
    'E_BAD_MESSAGE',
    /^launch-tasks: tasks: /,
    'empty batch',
  );
});

t.test('protocol: a missing field is reported by name', async (t) => {
  rejects(
    t,
    { type: 'drop-job', version: PROTOCOL_VERSION },
    'E_BAD_MESSAGE',
    'drop-job: jobId: expected string, received undefined',
    'jobId',
  );
  rejects(
    t,
    { type: 'range-data', version: PROTOCOL_VERSION },
    'E_BAD_MESSAGE',
    'range-data: bytes: expected Uint8Array, received undefined',
    'bytes',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      delete m.plan.csv.mode;
    }),
    'E_BAD_MESSAGE',
    /^register-plan: plan\.csv\.mode: /,
    'csv mode',
  );
});

t.test('protocol: another protocol version is refused as such', async (t) => {
  rejects(
    t,
    { type: 'executor-heartbeat', version: PROTOCOL_VERSION + 1 },
    'E_PROTOCOL_VERSION',
    `executor-heartbeat: protocol version ${PROTOCOL_VERSION + 1}, this side speaks version ${PROTOCOL_VERSION}`,
    'newer',
  );
  rejects(t, { type: 'some-future-type', version: 0 }, 'E_PROTOCOL_VERSION', /protocol version 0/, 'older, unknown type');
  rejects(
    t,
    { type: 'drop-job', version: '1', jobId: 'j' },
    'E_BAD_MESSAGE',
    'drop-job: version: expected number, received string',
    'string version',
  );
});

t.test('protocol: values that are not messages are refused', async (t) => {
  rejects(t, 'hello', 'E_BAD_MESSAGE', 'message: expected an object, received string', 'string');
  rejects(t, null, 'E_BAD_MESSAGE', 'message: expected an object, received null', 'null');
  rejects(t, [1, 2], 'E_BAD_MESSAGE', 'message: expected an object, received array', 'array');
  rejects(t, { version: PROTOCOL_VERSION }, 'E_BAD_MESSAGE', 'message: type: expected string, received undefined', 'no type');
  rejects(t, { type: 'rm-rf', version: PROTOCOL_VERSION }, 'E_BAD_MESSAGE', 'message: type: unknown message type "rm-rf"', 'unknown type');
});

t.test('protocol: cross-field and format rules hold', async (t) => {
  rejects(
    t,
    { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 10, end: 5 },
    'E_BAD_MESSAGE',
    'fetch-range: end: expected start <= end',
    'range order',
  );
  rejects(
    t,
    { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 1.5, end: 5 },
    'E_BAD_MESSAGE',
    /^fetch-range: start: /,
    'fractional offset',
  );
  rejects(
    t,
    { type: 'driver-heartbeat', version: PROTOCOL_VERSION, driverId: 'a.b', jobs: [], sentAt: 0 },
    'E_BAD_MESSAGE',
    /^driver-heartbeat: driverId: expected a subject token/,
    'subject token',
  );
  rejects(
    t,
    { type: 'ack', version: PROTOCOL_VERSION, ok: false, error: { code: 'E_NOPE', name: 'X', message: 'm' } },
    'E_BAD_MESSAGE',
    /^ack: error\.code: /,
    'unknown error code',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.files[1].size = 10;
    }),
    'E_BAD_MESSAGE',
    'register-plan: plan.partitions: expected every partition to name one of the files and end within its size',
    'partition past the file',
  );
  rejects(
    t,
    mutate(finished, (m) => {
      m.outcomes[0].ok = 'yes';
    }),
    'E_BAD_MESSAGE',
    /^tasks-finished: outcomes\[0\]\.ok: /,
    'ok flag',
  );
});

t.test('protocol: validateTaskResult checks the partial of each op', async (t) => {
  t.strictSame(validateTaskResult('gradient', gradientPartial), gradientPartial);
  t.strictSame(validateTaskResult('evaluate', evaluatePartial), evaluatePartial);
  // Integer counts travel in the narrowest unsigned array (kernels/evaluate.ts resultColumns).
  for (const Counts of [Uint8Array, Uint16Array, Uint32Array]) {
    const narrow = { ...evaluatePartial, positives: Counts.of(1, 0), negatives: Counts.of(1, 1) };
    t.strictSame(validateTaskResult('evaluate', narrow), narrow, `${Counts.name} counts`);
  }
  t.strictSame(validateTaskResult('spark-split-keys', splitKeysPartial), splitKeysPartial);
  t.strictSame(validateTaskResult('csv-infer', { rowCount: 3, malformedCount: 0, lineCount: 4, types: ['int', null] }), {
    rowCount: 3,
    malformedCount: 0,
    lineCount: 4,
    types: ['int', null],
  });
  // Statistics of an empty or NaN-holding column are not finite: they must pass.
  const load: LoadPartial = {
    rowCount: 2,
    malformedCount: 1,
    columns: [
      { kind: 'numeric', count: 0, nullCount: 2, min: Infinity, max: -Infinity, mean: NaN, m2: 0 },
      { kind: 'string', nullCount: 0, values: ['a', 'b'], counts: [1, 1] },
    ],
  };
  t.strictSame(validateTaskResult('csv-load', load), load);
  t.strictSame(validateTaskResult('encode', { trainRows: 5, testRows: 1, skippedRows: 0 }), { trainRows: 5, testRows: 1, skippedRows: 0 });
  t.strictSame(validateTaskResult('summarize', { count: 2, mean: [1, 0.5], m2: [0, 0.5], labelCounts: [1, 1] }), {
    count: 2,
    mean: [1, 0.5],
    m2: [0, 0.5],
    labelCounts: [1, 1],
  });

  const cases: [Parameters<typeof validateTaskResult>[0], unknown, string | RegExp][] = [
    [
      'gradient',
      { ...gradientPartial, gradSum: [0.1] },
      'tasks-finished result (gradient): gradSum: expected Float64Array, received array',
    ],
    ['gradient', evaluatePartial, /^tasks-finished result \(gradient\): lossSum: expected number, received undefined/],
    [
      'evaluate',
      { ...evaluatePartial, negatives: new Float64Array(1) },
      'tasks-finished result (evaluate): expected scores, positives and negatives of equal length',
    ],
    [
      'evaluate',
      { ...evaluatePartial, positives: Int8Array.of(1, 0) },
      'tasks-finished result (evaluate): positives: expected Float64Array, Uint8Array, Uint16Array or Uint32Array',
    ],
    [
      'csv-load',
      { ...load, columns: [{ kind: 'string', nullCount: 0, values: ['a'], counts: [] }] },
      'tasks-finished result (csv-load): columns[0].counts: expected one count per value',
    ],
    ['summarize', { count: 1, mean: [1], m2: [0], labelCounts: [1] }, /^tasks-finished result \(summarize\): labelCounts/],
    ['csv-infer', { rowCount: 1, malformedCount: 0, lineCount: 1, types: ['float'] }, /^tasks-finished result \(csv-infer\): types\[0\]: /],
    [
      'spark-split-keys',
      { ...splitKeysPartial, featureOffsets: new Float64Array(3) },
      'tasks-finished result (spark-split-keys): featureOffsets: expected Int32Array, received Float64Array',
    ],
    ['encode', 'done', 'tasks-finished result (encode): expected object, received string'],
  ];
  for (const [op, value, message] of cases) {
    try {
      validateTaskResult(op, value);
      t.fail(`${op}: accepted`);
    } catch (err) {
      t.equal((err as KindlingError).code, 'E_BAD_MESSAGE', `${op}: code`);
      if (typeof message === 'string') t.equal((err as Error).message, message, `${op}: message`);
      else t.match((err as Error).message, message, `${op}: message`);
    }
  }
});

t.test('protocol: a parsed plan and launch keep their typed arrays, and the plan gives each partition its lineage', async (t) => {
  const parsed = parseMessage(registration);
  t.equal(parsed.type, 'register-plan');
  if (parsed.type !== 'register-plan') return;
  t.ok(parsed.plan.partitions[1]!.splitAssignment instanceof Uint8Array, 'splitAssignment is a Uint8Array');
  t.strictSame(parsed.plan, plan);
  const lineage = lineageOf(parsed.plan, 1);
  t.strictSame(lineage.source, {
    file: '/data/bank/part-1.parquet',
    index: 1,
    start: 4,
    end: 2_000_000,
    numColumns: 3,
    columnNames: ['age', 'job', 'y'],
    fileSize: 5_000_000,
    format: 'parquet',
    compression: 'none',
    rowGroups: [0, 2],
    footerStart: 4_999_000,
  });
  t.equal(lineage.firstRowId, 12_345);
  t.equal(lineage.firstLine, undefined);
  t.equal(lineageOf(parsed.plan, 0).source.dataStart, 20, 'a gzip partition knows where its records start');
  t.equal(lineageOf(parsed.plan, 0).firstLine, 2);
  t.strictSame(lineage.encoding, plan.encoding);
  t.throws(() => lineageOf(parsed.plan, 2), /has 2 partitions/);
  const l = parseMessage(launch);
  if (l.type === 'launch-tasks' && l.batch.op === 'gradient') t.ok(l.batch.params.beta instanceof Float64Array, 'beta is a Float64Array');
  else t.fail('wrong launch');
});

t.test('protocol: a plan naming its design-block producer carries that op’s params, checked on the wire', async (t) => {
  const params = {
    trainPartitions: 1,
    columns: { features: 'features', label: 'label' },
    layout: null,
    numClasses: null,
  };
  const good = mutate(registration, (m) => {
    m.plan.designProducer = { op: 'features-load', params };
  });
  t.strictSame((parseMessage(good) as typeof registration).plan.designProducer, { op: 'features-load', params });
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.designProducer = { op: 'features-load', params: { ...params, trainPartitions: -1 } };
    }),
    'E_BAD_MESSAGE',
    /register-plan: plan\.designProducer\.params: not the params of features-load/,
    'bad producer params',
  );
  rejects(
    t,
    mutate(registration, (m) => {
      m.plan.designProducer = { op: 'csv-load', params: {} };
    }),
    'E_BAD_MESSAGE',
    /plan\.designProducer\.op/,
    'an op that produces no design blocks',
  );
});
