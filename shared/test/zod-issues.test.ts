import t from 'tap';
import { z } from 'zod';
import { KindlingError } from '../src/errors.js';
import { messageSchemas, parseMessage, taskResultSchemas, validateTaskResult } from '../src/message-schemas.js';
import { PROTOCOL_VERSION, type MessageType } from '../src/protocol.js';
import type { TaskOp } from '../src/tasks.js';
import {
  closestName,
  describeDocumentIssue,
  describeValueType,
  formatIssuePath,
  parseWithSchema,
  previewValue,
  showValue,
  suggestName,
  valueAtPath,
} from '../src/zod-issues.js';
import { evaluatePartial, gradientPartial, sampleMessages, splitKeysPartial } from './message-fixtures.js';

/** Deep copy that keeps typed arrays, edited. */
function mutate<T>(value: T, edit: (copy: any) => void): unknown {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

/** What a call throws, as the fields a caller sees. */
function thrown(fn: () => unknown): { code: string; message: string; details: unknown } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof KindlingError)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error('accepted');
}

const launch = sampleMessages.find((m) => m.type === 'launch-task')!;

// The codec's validators word their errors with their own copy of this module's wire voice
// today; the copy can go only if the texts are the same, so they are compared one by one.
t.test('zod-issues: parseWithSchema throws what parseMessage throws for every kind of bad message', async (t) => {
  const bad: unknown[] = [
    mutate(launch, (m) => {
      m.spec.lineage.source.end = '2000';
    }),
    mutate(launch, (m) => {
      m.spec.beta = [0.5, 1];
    }),
    mutate(launch, (m) => {
      m.spec.lineage.schema[1].type = 'decimal';
    }),
    mutate(launch, (m) => {
      m.spec.op = 'shell';
    }),
    mutate(launch, (m) => {
      m.spec.lineage.encoding.features[1].size = -1;
    }),
    mutate(launch, (m) => {
      m.spec.lineage.splitAssignment = [0, 1];
    }),
    mutate(launch, (m) => {
      m.spec.lineage.source.columnNames = ['a'];
    }),
    mutate(launch, (m) => {
      delete m.spec.lineage.csv.mode;
      m.jobId = 7;
    }),
    mutate(sampleMessages[1]!, (m) => {
      m.ok = 'yes';
    }),
    { type: 'drop-job', version: PROTOCOL_VERSION },
    { type: 'range-data', version: PROTOCOL_VERSION },
    { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 10, end: 5 },
    { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 1.5, end: 5 },
    { type: 'driver-heartbeat', version: PROTOCOL_VERSION, driverId: 'a.b', jobs: [], sentAt: 0 },
    { type: 'ack', version: PROTOCOL_VERSION, ok: false, error: { code: 'E_NOPE', name: 'X', message: 'm' } },
    { type: 'executor-heartbeat', version: PROTOCOL_VERSION, executorId: 'e', slots: 'many' },
  ];
  for (const value of bad) {
    const type = (value as { type: MessageType }).type;
    const expected = thrown(() => parseMessage(value));
    t.same(
      thrown(() => parseWithSchema<unknown>(messageSchemas[type], value, type)),
      expected,
      expected.message,
    );
  }
  t.match(
    thrown(() => parseWithSchema(messageSchemas['drop-job'], { type: 'drop-job', version: PROTOCOL_VERSION }, 'drop-job')),
    {
      code: 'E_BAD_MESSAGE',
      message: 'drop-job: jobId: expected string, received undefined',
      details: { path: 'jobId' },
    },
  );
});

t.test('zod-issues: parseWithSchema throws what validateTaskResult throws for bad partial results', async (t) => {
  const cases: [TaskOp, unknown][] = [
    ['gradient', { ...gradientPartial, gradSum: [0.1] }],
    ['gradient', evaluatePartial],
    ['evaluate', { ...evaluatePartial, negatives: new Float64Array(1) }],
    ['csv-load', { rowCount: 1, malformedCount: 0, columns: [{ kind: 'string', nullCount: 0, values: ['a'], counts: [] }] }],
    ['spark-split-keys', { ...splitKeysPartial, featureOffsets: new Float64Array(3) }],
    ['csv-infer', { rowCount: 1, malformedCount: 0, lineCount: 1, types: ['float'] }],
    ['encode', 'done'],
  ];
  for (const [op, value] of cases) {
    const expected = thrown(() => validateTaskResult(op, value));
    t.same(
      thrown(() => parseWithSchema<unknown>(taskResultSchemas[op], value, `task-finished result (${op})`)),
      expected,
      expected.message,
    );
  }
  t.strictSame(
    parseWithSchema(taskResultSchemas.gradient, gradientPartial, 'gradient'),
    gradientPartial,
    'a valid value comes back parsed',
  );
});

t.test('zod-issues: paths, values and types read as a user writes them', async (t) => {
  t.equal(formatIssuePath(['spec', 'lineage', 'schema', 1, 'type']), 'spec.lineage.schema[1].type');
  t.equal(formatIssuePath([0, 'a']), '[0].a');
  t.equal(formatIssuePath([]), '');
  t.equal(valueAtPath({ a: [{ b: 5 }] }, ['a', 0, 'b']), 5);
  t.equal(valueAtPath({ a: 1 }, ['a', 'b']), undefined, 'a path through a scalar leaves the data');
  t.same([null, [1], new Float64Array(1), NaN, 'x', undefined].map(describeValueType), [
    'null',
    'array',
    'Float64Array',
    'NaN',
    'string',
    'undefined',
  ]);
  t.equal(previewValue('x'.repeat(50)), JSON.stringify(`${'x'.repeat(40)}…`), 'long strings are cut at 40 characters');
  t.equal(previewValue(3), '3');
  t.equal(previewValue({}), 'object');
  t.equal(showValue('ten'), '"ten"');
  t.equal(showValue([0, 0]), '[0,0]');
  t.equal(showValue(Array.from({ length: 30 }, (_, i) => i)), 'a list of 30 items');
  t.equal(showValue({ a: 1 }), 'a mapping');
  t.equal(closestName('maxIters', ['maxIter', 'tol']), 'maxIter');
  t.equal(closestName('HEADER', ['header']), 'header', 'letter case is not a typo');
  t.equal(closestName('zzzzzz', ['maxIter', 'tol']), undefined);
  t.equal(suggestName('zzzzzz', ['maxIter', 'tol']), '; expected one of: maxIter, tol');
  t.equal(suggestName('zzzzzz', []), '');
});

t.test("zod-issues: a document issue is worded with the schema's own expectation and the value as written", async (t) => {
  const expect = (what: string) => ({ error: what });
  const schema = z.strictObject(
    {
      model: z.strictObject(
        {
          maxIter: z.number(expect('a positive integer')).int(expect('a positive integer')),
          kind: z.enum(['logistic', 'linear'], expect('one of "logistic", "linear"')),
        },
        expect('a mapping'),
      ),
      columns: z.union([z.literal('auto'), z.array(z.string(expect('a column name')), expect('a list'))], expect('"auto" or a list')),
    },
    expect('a mapping'),
  );
  const keys = (section: readonly (string | number)[]): readonly string[] =>
    section.join('.') === 'model' ? ['maxIter', 'kind'] : ['model', 'columns'];
  const first = (doc: unknown) => {
    const r = schema.safeParse(doc);
    if (r.success) throw new Error('accepted');
    return describeDocumentIssue(r.error.issues[0]!, doc, keys);
  };
  t.same(first({ model: { maxIter: 'ten', kind: 'linear' }, columns: 'auto' }), {
    path: ['model', 'maxIter'],
    text: 'expected a positive integer, got "ten"',
    atKey: false,
  });
  t.same(first({ model: { maxIters: 5, maxIter: 5, kind: 'linear' }, columns: 'auto' }), {
    path: ['model', 'maxIters'],
    text: 'unknown key, did you mean "maxIter"?',
    atKey: true,
  });
  t.same(first({ model: { maxIter: 5, kind: 'logistc' }, columns: 'auto' }), {
    path: ['model', 'kind'],
    text: 'expected one of "logistic", "linear", got "logistc"; did you mean "logistic"?',
    atKey: false,
  });
  t.same(first({ model: { kind: 'linear' }, columns: 'auto' }), {
    path: ['model', 'maxIter'],
    text: 'required, expected a positive integer',
    atKey: false,
  });
  t.same(
    first({ model: { maxIter: 5, kind: 'linear' }, columns: ['a', 7] }),
    {
      path: ['columns', 1],
      text: 'expected a column name, got 7',
      atKey: false,
    },
    'a bad list element is reported, not the union',
  );
});
