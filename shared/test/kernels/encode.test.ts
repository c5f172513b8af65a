import t from 'tap';
import {
  dictionaryFromValues,
  sharedFloat64,
  sharedInt32,
  sharedUint8,
  type ColumnBatch,
  type DesignBlock,
  type Schema,
} from '../../src/columnar/index.js';
import { encodePartition } from '../../src/kernels/index.js';
import { placeFeatureInputs, splitDraw } from '../../src/ml/index.js';
import type { EncodingPlan, FeatureInput } from '../../src/tasks.js';

const GLOBAL_JOBS = ['management', 'blue-collar', 'technician'];
const PARTITION_DICT = ['technician', 'management', 'pilot', 'blue-collar'];
// Rows 100..105: management, technician, blue-collar, pilot (unseen), null, management.
const JOB_CODES = [1, 0, 3, 2, -1, 1];
const DEPOSIT = ['yes', 'no', 'no', 'yes', 'no', 'yes'];
const AGE = [30, 40, 50, 60, 70, 80];
const BALANCE = [1.5, -2, 3, 4, 5, 6];

const SCHEMA: Schema = [
  { name: 'job', type: 'string' },
  { name: 'age', type: 'int' },
  { name: 'deposit', type: 'string' },
  { name: 'balance', type: 'double' },
  { name: 'flag', type: 'int' },
];

interface BatchInput {
  rows: number[];
  balanceNulls?: number[];
  deposit?: string[];
  flag?: number[];
  flagNulls?: number[];
}

/** A ColumnBatch of the chosen fixture rows (indices into the arrays above). */
function makeBatch({ rows, balanceNulls = [], deposit = DEPOSIT, flag, flagNulls = [] }: BatchInput): ColumnBatch {
  const n = rows.length;
  const f64 = (vals: number[]): Float64Array => {
    const a = sharedFloat64(n);
    a.set(vals);
    return a;
  };
  const nulls = (which: number[]): Uint8Array | null => {
    if (which.length === 0) return null;
    const a = sharedUint8(n);
    rows.forEach((r, i) => (a[i] = which.includes(r) ? 1 : 0));
    return a;
  };
  const depositValues = [...new Set(deposit)];
  const jobCodes = sharedInt32(n);
  jobCodes.set(rows.map((r) => JOB_CODES[r]!));
  const depositCodes = sharedInt32(n);
  depositCodes.set(rows.map((r) => depositValues.indexOf(deposit[r]!)));
  return {
    schema: SCHEMA,
    numRows: n,
    rowIds: f64(rows.map((r) => 100 + r)),
    columns: [
      { kind: 'string', codes: jobCodes, dict: dictionaryFromValues(PARTITION_DICT) },
      { kind: 'numeric', values: f64(rows.map((r) => AGE[r]!)), nulls: null },
      { kind: 'string', codes: depositCodes, dict: dictionaryFromValues(depositValues) },
      { kind: 'numeric', values: f64(rows.map((r) => BALANCE[r]!)), nulls: nulls(balanceNulls) },
      { kind: 'numeric', values: f64(rows.map((r) => flag?.[r] ?? 0)), nulls: nulls(flagNulls) },
    ],
  };
}

interface PlanInput {
  handleInvalid?: 'error' | 'skip' | 'keep';
  dropLast?: boolean;
  numericHandleInvalid?: 'error' | 'skip';
  trainFraction?: number;
  numericLabel?: boolean;
  jobColumn?: number;
}

function makePlan({
  handleInvalid = 'error',
  dropLast = true,
  numericHandleInvalid = 'error',
  trainFraction = 1,
  numericLabel = false,
  jobColumn = 0,
}: PlanInput = {}): EncodingPlan {
  const { features, numFeatures } = placeFeatureInputs([
    { kind: 'onehot', column: jobColumn, name: 'job', labels: GLOBAL_JOBS, handleInvalid, dropLast },
    { kind: 'numeric', column: 1, name: 'age' },
    { kind: 'numeric', column: 3, name: 'balance' },
  ]);
  return {
    label: numericLabel
      ? { kind: 'numeric', column: 4, name: 'flag' }
      : { kind: 'string', column: 2, name: 'deposit', labels: ['no', 'yes'] },
    features: features as FeatureInput[],
    numFeatures,
    numericHandleInvalid,
    split: { seed: 2018, trainFraction },
  };
}

const rowsOf = (b: DesignBlock) => ({
  rowIds: [...b.rowIds],
  label: [...b.label],
  categorical: [...b.categorical],
  numeric: [...b.numeric],
});

t.test('encode: maps partition codes to global one-hot indices and drops the last category', async (t) => {
  const { train, test, partial } = encodePartition(makeBatch({ rows: [0, 1, 2, 5] }), makePlan(), 'bank.csv');
  t.same(partial, { trainRows: 4, testRows: 0, skippedRows: 0 });
  t.equal(test.numRows, 0);
  t.same(rowsOf(train), {
    rowIds: [100, 101, 102, 105],
    label: [1, 0, 0, 1],
    // management → slot 0, technician is the dropped last label → -1, blue-collar → slot 1.
    categorical: [0, -1, 1, 0],
    numeric: [30, 1.5, 40, -2, 50, 3, 80, 6],
  });
  t.equal(train.numNumeric, 2);
  t.equal(train.numCategorical, 1);
  for (const a of [train.rowIds, train.label, train.numeric, train.categorical]) {
    t.ok(a.buffer instanceof SharedArrayBuffer, 'SharedArrayBuffer-backed');
  }
  t.equal(train.numeric.length, 8, 'exactly sized');
});

t.test('encode: without dropLast the last label gets its own slot', async (t) => {
  const { train } = encodePartition(makeBatch({ rows: [0, 1, 2] }), makePlan({ dropLast: false }), 'bank.csv');
  t.same([...train.categorical], [0, 2, 1]);
});

t.test('encode: handleInvalid error names the file, row id, column and value', async (t) => {
  t.throws(() => encodePartition(makeBatch({ rows: [0, 3] }), makePlan(), 'bank.csv'), {
    code: 'E_INVALID_VALUE',
    message: /bank\.csv: data record 104 \(row id 103\): column 'job' has value 'pilot'/,
    details: { file: 'bank.csv', rowId: 103, column: 'job', value: 'pilot' },
  });
  t.throws(() => encodePartition(makeBatch({ rows: [4] }), makePlan(), 'bank.csv'), {
    code: 'E_INVALID_VALUE',
    message: /data record 105 \(row id 104\): column 'job' has a null value/,
  });
});

t.test('encode: handleInvalid skip drops and counts rows with null or unseen values', async (t) => {
  const { train, partial } = encodePartition(makeBatch({ rows: [0, 1, 2, 3, 4, 5] }), makePlan({ handleInvalid: 'skip' }), 'f');
  t.same(partial, { trainRows: 4, testRows: 0, skippedRows: 2 });
  t.same([...train.rowIds], [100, 101, 102, 105]);
});

t.test('encode: handleInvalid keep uses index labels.length, dropped when it is the last category', async (t) => {
  const all = { rows: [0, 1, 2, 3, 4] };
  const dropped = encodePartition(makeBatch(all), makePlan({ handleInvalid: 'keep' }), 'f').train;
  // Categories: management, blue-collar, technician, __unknown; dropLast drops __unknown.
  t.same([...dropped.categorical], [0, 2, 1, -1, -1]);
  const kept = encodePartition(makeBatch(all), makePlan({ handleInvalid: 'keep', dropLast: false }), 'f').train;
  t.same([...kept.categorical], [0, 2, 1, 3, 3]);
});

t.test('encode: null numeric inputs fail, or are skipped when asked', async (t) => {
  const batch = makeBatch({ rows: [0, 1, 2], balanceNulls: [1] });
  t.throws(() => encodePartition(batch, makePlan(), 'bank.csv'), {
    code: 'E_INVALID_VALUE',
    message: /data record 102 \(row id 101\): numeric column 'balance' is null/,
  });
  const { train, partial } = encodePartition(batch, makePlan({ numericHandleInvalid: 'skip' }), 'bank.csv');
  t.same([...train.rowIds], [100, 102]);
  t.equal(partial.skippedRows, 1);
});

t.test('encode: labels must be one of two classes or exactly 0 and 1', async (t) => {
  const maybe = makeBatch({ rows: [0, 1], deposit: ['yes', 'maybe'] });
  t.throws(() => encodePartition(maybe, makePlan(), 'bank.csv'), {
    code: 'E_LABEL',
    message: /data record 102 \(row id 101\): label column 'deposit' has value 'maybe'/,
    details: { column: 'deposit', value: 'maybe', rowId: 101 },
  });
  const ok = encodePartition(makeBatch({ rows: [0, 1, 2], flag: [1, 0, 1] }), makePlan({ numericLabel: true }), 'f');
  t.same([...ok.train.label], [1, 0, 1]);
  t.throws(() => encodePartition(makeBatch({ rows: [0, 1], flag: [1, 2] }), makePlan({ numericLabel: true }), 'f'), {
    code: 'E_LABEL',
    message: /\(row id 101\): label column 'flag' has value 2/,
  });
  t.throws(() => encodePartition(makeBatch({ rows: [0, 1], flag: [1, 0], flagNulls: [0] }), makePlan({ numericLabel: true }), 'f'), {
    code: 'E_LABEL',
    message: /\(row id 100\): label column 'flag' has a null value/,
  });
});

t.test('encode: multinomial plans take K string classes and integer class indices 0..K-1', async (t) => {
  const three = {
    ...makePlan(),
    label: { kind: 'string' as const, column: 2, name: 'deposit', labels: ['no', 'yes', 'maybe'] },
    numClasses: 3,
  };
  const ok = encodePartition(makeBatch({ rows: [0, 1, 2], deposit: ['maybe', 'yes', 'no'] }), three, 'f');
  t.same([...ok.train.label], [2, 1, 0], 'StringIndexer order gives the class index');
  const numeric = { ...makePlan({ numericLabel: true }), numClasses: 3 };
  t.same([...encodePartition(makeBatch({ rows: [0, 1, 2], flag: [2, 0, 1] }), numeric, 'f').train.label], [2, 0, 1]);
  for (const bad of [2.5, -1, 3]) {
    t.throws(
      () => encodePartition(makeBatch({ rows: [0, 1], flag: [1, bad] }), numeric, 'iris.csv'),
      {
        code: 'E_LABEL',
        message: new RegExp(
          `iris\\.csv: data record 102 \\(row id 101\\): label column 'flag' has value ${bad}; a numeric label must be an integer class index 0\\.\\.2`,
        ),
        details: { column: 'flag', value: bad, rowId: 101 },
      },
      `label ${bad} is refused with its record`,
    );
  }
});

t.test('encode: a categorical input on a numeric column is a schema error', async (t) => {
  t.throws(() => encodePartition(makeBatch({ rows: [0] }), makePlan({ jobColumn: 1 }), 'f'), { code: 'E_SCHEMA', message: /'job'/ });
});

t.test('encode: the split depends only on the seed and the row id, not on partitioning', async (t) => {
  const n = 2000;
  const ones = (len: number): Float64Array => {
    const a = sharedFloat64(len);
    a.fill(1);
    return a;
  };
  const batchOf = (from: number, to: number): ColumnBatch => {
    const ids = sharedFloat64(to - from);
    for (let i = from; i < to; i++) ids[i - from] = i;
    return {
      schema: [
        { name: 'y', type: 'int' },
        { name: 'x', type: 'double' },
      ],
      numRows: to - from,
      rowIds: ids,
      columns: [
        { kind: 'numeric', values: ones(to - from), nulls: null },
        { kind: 'numeric', values: ones(to - from), nulls: null },
      ],
    };
  };
  const plan: EncodingPlan = {
    label: { kind: 'numeric', column: 0, name: 'y' },
    features: [{ kind: 'numeric', column: 1, name: 'x' }],
    numFeatures: 1,
    numericHandleInvalid: 'error',
    split: { seed: 7, trainFraction: 0.7 },
  };
  const whole = encodePartition(batchOf(0, n), plan, 'f');
  const a = encodePartition(batchOf(0, 777), plan, 'f');
  const b = encodePartition(batchOf(777, n), plan, 'f');
  t.same([...a.train.rowIds, ...b.train.rowIds], [...whole.train.rowIds]);
  t.same([...a.test.rowIds, ...b.test.rowIds], [...whole.test.rowIds]);
  const expected = Array.from({ length: n }, (_, i) => i).filter((i) => splitDraw(7, i) < 0.7);
  t.same([...whole.train.rowIds], expected);
  t.equal(whole.partial.trainRows + whole.partial.testRows, n);
});

t.test('encode: a Spark-compat split assignment replaces the hash split', async (t) => {
  const batch = makeBatch({ rows: [0, 1, 2, 5] });
  const { train, test, partial } = encodePartition(batch, makePlan({ trainFraction: 1 }), 'f', Uint8Array.of(1, 0, 255, 0));
  t.same([...train.rowIds], [101, 105]);
  t.same([...test.rowIds], [100]);
  t.same(partial, { trainRows: 2, testRows: 1, skippedRows: 0 }, 'a row in neither split is not a skipped row');
  t.throws(() => encodePartition(batch, makePlan(), 'f', Uint8Array.of(0, 0)), { code: 'E_INTERNAL', message: /2 entries/ });
  t.throws(() => encodePartition(batch, makePlan(), 'f', Uint8Array.of(0, 0, 7, 0)), { code: 'E_INTERNAL', message: /row id 102 is 7/ });
});
