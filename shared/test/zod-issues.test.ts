import t from 'tap';
import { z } from 'zod';
import { KindlingError } from '../src/errors.js';
import { parseMessage, PROTOCOL_VERSION, validateTaskResult } from '../src/protocol.js';
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

const registration = sampleMessages.find((m) => m.type === 'register-plan')!;

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

// The codec's validators (protocol.ts) word every error through parseWithSchema; these are
// the texts a peer's bad message produces, one per kind of problem.
t.test('zod-issues: parseWithSchema names the message, the field and the problem', async (t) => {
  const cases: Array<[unknown, string | RegExp]> = [
    [{ type: 'drop-job', version: PROTOCOL_VERSION }, 'drop-job: jobId: expected string, received undefined'],
    [{ type: 'range-data', version: PROTOCOL_VERSION }, 'range-data: bytes: expected Uint8Array, received undefined'],
    [
      { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 10, end: 5 },
      'fetch-range: end: expected start <= end',
    ],
    [{ type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 1.5, end: 5 }, /^fetch-range: start: /],
    [
      { type: 'driver-heartbeat', version: PROTOCOL_VERSION, driverId: 'a.b', jobs: [], sentAt: 0 },
      /^driver-heartbeat: driverId: expected a subject token/,
    ],
    [{ type: 'ack', version: PROTOCOL_VERSION, ok: false, error: { code: 'E_NOPE', name: 'X', message: 'm' } }, /^ack: error\.code: /],
    [
      { type: 'executor-heartbeat', version: PROTOCOL_VERSION, executorId: 'e', slots: 'many' },
      /^executor-heartbeat: slots: expected number, received string \(and \d+ more problems\)$/,
    ],
    [
      mutate(registration, (m) => {
        m.plan.partitions[0].end = '2000';
      }),
      'register-plan: plan.partitions[0].end: expected number, received string',
    ],
  ];
  for (const [value, message] of cases) {
    const got = thrown(() => parseMessage(value));
    t.equal(got.code, 'E_BAD_MESSAGE');
    if (typeof message === 'string') t.equal(got.message, message);
    else t.match(got.message, message);
  }
  const schema = z.object({ a: z.number(), b: z.array(z.string()) });
  t.match(
    thrown(() => parseWithSchema(schema, { a: 'x', b: [1] }, 'thing')),
    {
      code: 'E_BAD_MESSAGE',
      message: 'thing: a: expected number, received string (and 1 more problem)',
      details: { path: 'a' },
    },
  );
  t.strictSame(
    parseWithSchema(schema, { a: 1, b: ['x'], extra: true }, 'thing'),
    { a: 1, b: ['x'] },
    'a valid value comes back parsed, unknown keys dropped',
  );
});

t.test("zod-issues: task results are checked against their op's schema", async (t) => {
  t.match(
    thrown(() => validateTaskResult('gradient', { ...gradientPartial, gradSum: [0.1] })).message,
    'tasks-finished result (gradient): gradSum: expected Float64Array, received array',
  );
  t.match(
    thrown(() => validateTaskResult('csv-infer', { rowCount: 1, malformedCount: 0, lineCount: 1, types: ['float'] })).message,
    /^tasks-finished result \(csv-infer\): types\[0\]: /,
  );
  t.match(
    thrown(() => validateTaskResult('evaluate', { ...evaluatePartial, negatives: new Float64Array(1) })).message,
    'expected scores, positives and negatives of equal length',
  );
  t.match(
    thrown(() => validateTaskResult('spark-split-keys', { ...splitKeysPartial, featureOffsets: new Float64Array(3) })).message,
    'featureOffsets: expected Int32Array, received Float64Array',
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
