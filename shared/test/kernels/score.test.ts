import t from 'tap';
import { dictionaryFromValues, sharedFloat64, sharedInt32, sharedUint8, type ColumnBatch, type Schema } from '../../src/columnar/index.js';
import { encodePartition, evaluateBlock, evaluateMulticlassBlock, scorePartition, type ScoreModel } from '../../src/kernels/index.js';
import { buildFeatureLayout, placeFeatureInputs } from '../../src/ml/index.js';
import type { EncodingPlan } from '../../src/tasks.js';

const SCHEMA: Schema = [
  { name: 'job', type: 'string' },
  { name: 'age', type: 'double' },
  { name: 'deposit', type: 'string' },
  { name: 'balance', type: 'double' },
];
// Rows 100..105: management, technician, blue-collar, pilot (unseen at fit time), null, management.
const PARTITION_DICT = ['technician', 'management', 'pilot', 'blue-collar'];
const JOB_CODES = [1, 0, 3, 2, -1, 1];

function batch(balanceNulls: number[] = []): ColumnBatch {
  const f64 = (v: number[]): Float64Array => {
    const a = sharedFloat64(v.length);
    a.set(v);
    return a;
  };
  const codes = sharedInt32(6);
  codes.set(JOB_CODES);
  const deposit = sharedInt32(6);
  deposit.set([0, 1, 1, 0, 1, 0]);
  let nulls: Uint8Array | null = null;
  if (balanceNulls.length > 0) {
    nulls = sharedUint8(6);
    for (const r of balanceNulls) nulls[r] = 1;
  }
  return {
    schema: SCHEMA,
    numRows: 6,
    rowIds: f64([100, 101, 102, 103, 104, 105]),
    columns: [
      { kind: 'string', codes, dict: dictionaryFromValues(PARTITION_DICT) },
      { kind: 'numeric', values: f64([30, 40.5, 50, 60, 70, 80]), nulls: null },
      { kind: 'string', codes: deposit, dict: dictionaryFromValues(['yes', 'no']) },
      { kind: 'numeric', values: f64([1.5, -2, 3, 4, 5, 6]), nulls },
    ],
  };
}

function plan(handleInvalid: 'error' | 'skip' | 'keep', numClasses?: number): EncodingPlan {
  const { features, numFeatures } = placeFeatureInputs([
    { kind: 'onehot', column: 0, name: 'job', labels: ['management', 'blue-collar', 'technician'], handleInvalid, dropLast: true },
    { kind: 'numeric', column: 1, name: 'age' },
    { kind: 'numeric', column: 3, name: 'balance' },
  ]);
  return {
    label: { kind: 'string', column: 2, name: 'deposit', labels: ['no', 'yes'] },
    ...(numClasses !== undefined ? { numClasses } : {}),
    features,
    numFeatures,
    numericHandleInvalid: 'error',
    // Train fraction 0: every row goes to the test block, as `kindling evaluate` encodes.
    split: { seed: 7, trainFraction: 0 },
  };
}

const BETA = Float64Array.of(0.31, -1.7, 0.0123, 0.9, -0.0071);

t.test('score: binomial scores are the evaluate kernel bits, with rawPrediction [-m, m] and probability [p0, p1]', async (t) => {
  const p = plan('keep');
  t.equal(p.numFeatures, 5, 'job: 3 labels + the keep bucket − dropLast = 3 slots, then age and balance');
  const model: ScoreModel = { family: 'binomial', beta: BETA, intercepts: Float64Array.of(-0.25), threshold: 0.5 };
  const s = scorePartition(batch(), p, model, [], 'bank.csv');
  const { test } = encodePartition(batch(), p, 'bank.csv');
  const e = evaluateBlock(test, buildFeatureLayout(p.features).numericIndex, BETA, -0.25, {
    score: 'margin',
    threshold: 0.5,
    predictions: true,
  });
  t.equal(s.count, 6);
  t.equal(s.skipped, 0);
  t.same([...s.rowIds], [...e.predictions!.rowIds]);
  for (let r = 0; r < 6; r++) {
    t.ok(Object.is(s.probability[2 * r + 1], e.predictions!.probability[r]), `p1 of row ${r} has the evaluate kernel's bits`);
    t.ok(Object.is(s.prediction[r], e.predictions!.prediction[r]), `prediction of row ${r}`);
    const m = s.rawPrediction[2 * r + 1]!;
    t.ok(Object.is(s.rawPrediction[2 * r], -m));
    t.ok(Object.is(s.probability[2 * r], 1 / (1 + Math.exp(m))));
  }
});

t.test('score: an unseen category under handleInvalid error names the column, value and row', async (t) => {
  const model: ScoreModel = { family: 'binomial', beta: BETA.slice(0, 4), intercepts: Float64Array.of(0), threshold: 0.5 };
  const err = t.throws(() => scorePartition(batch(), plan('error'), model, [], 'new.csv')) as unknown as {
    code: string;
    message: string;
    details: Record<string, unknown>;
  };
  t.equal(err.code, 'E_INVALID_VALUE');
  t.match(err.message, /new\.csv: data record 104 \(row id 103\): column 'job' has value 'pilot', not seen/);
  t.same(err.details, { file: 'new.csv', rowId: 103, column: 'job', value: 'pilot' });
});

t.test('score: skip drops rows with unseen or null categories and counts them; kept columns follow the kept rows', async (t) => {
  const model: ScoreModel = { family: 'binomial', beta: BETA.slice(0, 4), intercepts: Float64Array.of(0), threshold: 0.5 };
  const s = scorePartition(batch([1]), { ...plan('skip'), numericHandleInvalid: 'skip' }, model, [0, 3], 'new.csv');
  t.same([...s.rowIds], [100, 102, 105], 'pilot (103), null (104) and the null balance (101) are dropped');
  t.equal(s.skipped, 3);
  const job = s.columns[0]!;
  const balance = s.columns[1]!;
  t.equal(job.kind, 'string');
  if (job.kind === 'string')
    t.same(
      [...job.codes].map((c) => job.dictionary[c]),
      ['management', 'blue-collar', 'management'],
    );
  t.equal(balance.kind, 'numeric');
  if (balance.kind === 'numeric') t.same([...balance.values], [1.5, 3, 6]);
  const err = t.throws(() => scorePartition(batch([1]), plan('error'), model, [], 'new.csv')) as unknown as Error;
  t.match(err.message, /numeric column 'balance' is null/);
});

t.test('score: multinomial margins and probabilities are the evaluate-multiclass kernel bits', async (t) => {
  const p = plan('keep', 3);
  const K = 3;
  const beta = Float64Array.from({ length: K * p.numFeatures }, (_, i) => Math.sin(i + 1) / 3);
  const intercepts = Float64Array.of(0.1, -0.2, 0.05);
  const s = scorePartition(batch(), p, { family: 'multinomial', beta, intercepts, threshold: 0.5 }, [], 'iris.csv');
  const { test } = encodePartition(
    batch(),
    { ...p, label: { kind: 'string', column: 2, name: 'deposit', labels: ['no', 'yes', 'maybe'] } },
    'x',
  );
  const e = evaluateMulticlassBlock(test, buildFeatureLayout(p.features).numericIndex, beta, intercepts, true);
  t.equal(s.numClasses, 3);
  t.equal(s.rawPrediction.length, 18);
  for (let i = 0; i < 18; i++) t.ok(Object.is(s.probability[i], e.predictions!.probability[i]), `probability ${i}`);
  t.same([...s.prediction], [...e.predictions!.prediction]);
});
