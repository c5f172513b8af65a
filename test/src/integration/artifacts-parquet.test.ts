/**
 * Every Parquet artifact kind read back by an independent reader (DuckDB): the column-wise table
 * writer (strings, nulls, arrays, dense vectors), the PipelineModel's stage data (StringIndexer
 * labelsArray / labels, OneHotEncoder categorySizes, the LR model), predictions and features.
 * Values must come back exactly and the footer must keep Spark's schema JSON.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PredictionsWriter, writeFeaturesPart, writeParquetTable, writePipelineModel, type PipelineModelData } from '@kindling/coordinator';
import t from 'tap';

let connection: DuckDBConnection;
t.before(async () => {
  const db = await DuckDBInstance.create(':memory:');
  connection = await db.connect();
});

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kindling-duck-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function rows(file: string, select = '*'): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(`SELECT ${select} FROM read_parquet('${file.replace(/'/g, "''")}')`);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

async function footer(file: string): Promise<Record<string, string>> {
  const reader = await connection.runAndReadAll(
    `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${file.replace(/'/g, "''")}')`,
  );
  return Object.fromEntries((reader.getRowObjectsJS() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
}

function onlyParquet(dir: string): string {
  const name = readdirSync(dir).find((n) => n.endsWith('.parquet'));
  if (name === undefined) throw new Error(`no Parquet file in ${dir}`);
  return path.join(dir, name);
}

t.test('writeParquetTable: every column kind reads back exactly in DuckDB, Spark schema in the footer', async (t) => {
  const file = path.join(tempDir(t), 'table.parquet');
  const probability = Float64Array.from([0.1, 0.9, 1 / 3, 2 / 3, 5e-324, 1 - 5e-324]);
  await writeParquetTable(
    file,
    [
      { name: 'rowId', type: 'long', values: Float64Array.from([0, 1, 2 ** 40]) },
      { name: 'score', type: 'double', values: Float64Array.from([0.1 + 0.2, -0, Math.PI]) },
      { name: 'n', type: 'int', values: Int32Array.from([-7, 0, 2147483647]), nulls: Uint8Array.from([0, 1, 0]) },
      { name: 'ok', type: 'boolean', values: [true, false, true] },
      { name: 'job', type: 'string', values: ['admin.', null, 'ünïcødé ✓'] },
      { name: 'probability', type: 'vector', size: 2, values: probability },
      { name: 'sizes', type: 'int-array', values: [[3], [], [1, 2]] },
      { name: 'labels', type: 'string-array', values: [['a', null], ['b'], []] },
      { name: 'labelsArray', type: 'string-array-array', values: [[['no', 'yes'], []], [[null]], []] },
    ],
    { codec: 'GZIP', rowGroupSize: 2, sparkVersion: '3.5.0' },
  );
  const got = await rows(file);
  t.equal(got.length, 3);
  t.strictSame(
    got.map((r) => r['rowId']),
    [0n, 1n, BigInt(2 ** 40)],
  );
  t.ok(Object.is(got[1]!['score'], -0) && got[0]!['score'] === 0.1 + 0.2 && got[2]!['score'] === Math.PI, 'doubles exact, -0 kept');
  t.strictSame(
    got.map((r) => r['n']),
    [-7, null, 2147483647],
  );
  t.strictSame(
    got.map((r) => r['ok']),
    [true, false, true],
  );
  t.strictSame(
    got.map((r) => r['job']),
    ['admin.', null, 'ünïcødé ✓'],
  );
  t.strictSame(
    got.map((r) => r['probability']),
    [
      { type: 1, size: null, indices: null, values: [0.1, 0.9] },
      { type: 1, size: null, indices: null, values: [1 / 3, 2 / 3] },
      { type: 1, size: null, indices: null, values: [5e-324, 1 - 5e-324] },
    ],
  );
  t.strictSame(
    got.map((r) => r['sizes']),
    [[3], [], [1, 2]],
  );
  t.strictSame(
    got.map((r) => r['labels']),
    [['a', null], ['b'], []],
  );
  t.strictSame(
    got.map((r) => r['labelsArray']),
    [[['no', 'yes'], []], [[null]], []],
  );
  const meta = await footer(file);
  t.equal(meta['org.apache.spark.version'], '3.5.0');
  const schema = JSON.parse(meta['org.apache.spark.sql.parquet.row.metadata']!) as {
    fields: { name: string; type: unknown; nullable: boolean }[];
  };
  t.strictSame(
    schema.fields.map((f) => [f.name, f.nullable]),
    [
      ['rowId', false],
      ['score', false],
      ['n', true],
      ['ok', false],
      ['job', true],
      ['probability', true],
      ['sizes', true],
      ['labels', true],
      ['labelsArray', true],
    ],
  );
  t.match(schema.fields[5]!.type, { type: 'udt', class: 'org.apache.spark.ml.linalg.VectorUDT' });
  t.strictSame(schema.fields[8]!.type, {
    type: 'array',
    elementType: { type: 'array', elementType: 'string', containsNull: true },
    containsNull: true,
  });
});

t.test('writeParquetTable: an empty table is a valid file with the schema', async (t) => {
  const file = path.join(tempDir(t), 'empty.parquet');
  await writeParquetTable(file, [
    { name: 'id', type: 'string', values: [] },
    { name: 'p', type: 'vector', size: 3, values: new Float64Array(0) },
  ]);
  t.strictSame(await rows(file), []);
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
  t.strictSame(
    (reader.getRowObjectsJS() as { column_name: string }[]).map((r) => r.column_name),
    ['id', 'p'],
  );
});

function bankLike(sparkVersion: string): PipelineModelData {
  const featureNames = ['job_admin', 'job_blue', 'job_techn', 'age'];
  return {
    uid: 'PipelineModel_0123456789ab',
    inputSchema: [
      { name: 'age', type: 'int' },
      { name: 'job', type: 'string' },
      { name: 'deposit', type: 'string' },
    ],
    drop: [],
    encoding: {
      label: { kind: 'string', column: 2, name: 'deposit', labels: ['no', 'yes'] },
      features: [
        {
          kind: 'onehot',
          column: 1,
          name: 'job',
          labels: ['admin', 'blue', 'techn'],
          handleInvalid: 'keep',
          dropLast: true,
          offset: 0,
          size: 3,
        },
        { kind: 'numeric', column: 0, name: 'age' },
      ],
      numFeatures: 4,
      numericHandleInvalid: 'error',
      split: { seed: 1, trainFraction: 0.7 },
    },
    labelValues: ['no', 'yes'],
    featureNames,
    classifier: {
      family: 'binomial',
      model: {
        uid: 'LogisticRegression_aaaaaaaaaaaa',
        numFeatures: 4,
        coefficients: Float64Array.from([0.1 + 0.2, -1 / 3, 7e-300, 2.5]),
        intercept: -Math.E,
        featureNames,
        params: { maxIter: 10 },
        sparkVersion,
      },
    },
    sparkVersion,
  };
}

t.test('PipelineModel stage data reads in DuckDB: labelsArray (3.x), labels (2.x), categorySizes, LR coefficients', async (t) => {
  for (const sparkVersion of ['3.5.0', '2.3.0']) {
    const dir = tempDir(t);
    await writePipelineModel(dir, bankLike(sparkVersion), { timestamp: 1 });
    const stages = readdirSync(path.join(dir, 'stages')).sort();
    const si = onlyParquet(path.join(dir, 'stages', stages[0]!, 'data'));
    if (sparkVersion === '3.5.0') t.strictSame(await rows(si), [{ labelsArray: [['admin', 'blue', 'techn']] }], 'SI labelsArray');
    else t.strictSame(await rows(si), [{ labels: ['admin', 'blue', 'techn'] }], 'SI labels (2.x)');
    const ohe = onlyParquet(path.join(dir, 'stages', stages[1]!, 'data'));
    t.strictSame(await rows(ohe), [{ categorySizes: [4] }], 'keep adds the unknown category');
    const label = onlyParquet(path.join(dir, 'stages', stages[2]!, 'data'));
    t.strictSame(await rows(label), [sparkVersion === '3.5.0' ? { labelsArray: [['no', 'yes']] } : { labels: ['no', 'yes'] }]);
    const lr = onlyParquet(path.join(dir, 'stages', stages[4]!, 'data'));
    const [model] = await rows(lr);
    t.match(model, { numClasses: 2, numFeatures: 4, isMultinomial: false });
    t.strictSame((model!['coefficientMatrix'] as { values: number[] }).values, [0.1 + 0.2, -1 / 3, 7e-300, 2.5]);
    t.strictSame((model!['interceptVector'] as { values: number[] }).values, [-Math.E]);
    const meta = await footer(si);
    t.match(meta['org.apache.spark.sql.parquet.row.metadata'], sparkVersion === '3.5.0' ? /"labelsArray"/ : /"labels"/);
  }
});

t.test('predictions and features part files read in DuckDB with exact values', async (t) => {
  const dir = tempDir(t);
  const writer = await PredictionsWriter.open(path.join(dir, 'predictions'));
  await writer.writePart(0, {
    rowIds: Float64Array.from([3, 9, 12]),
    label: Float64Array.from([0, 1, 1]),
    probability: Float64Array.from([0.25, 1 / 3, 0.999]),
    prediction: Float64Array.from([0, 0, 1]),
  });
  await writer.close();
  t.strictSame(await rows(path.join(dir, 'predictions', 'part-00000.parquet')), [
    { rowId: 3n, label: 0, probability: 0.25, prediction: 0 },
    { rowId: 9n, label: 1, probability: 1 / 3, prediction: 0 },
    { rowId: 12n, label: 1, probability: 0.999, prediction: 1 },
  ]);

  const file = await writeFeaturesPart(
    path.join(dir, 'features'),
    0,
    {
      numRows: 2,
      rowIds: Float64Array.from([5, 6]),
      label: Float64Array.from([1, 0]),
      numeric: Float64Array.from([41, 0]),
      numNumeric: 1,
      categorical: Int32Array.from([1, -1]),
      numCategorical: 1,
    },
    [3],
    4,
  );
  t.strictSame(await rows(file), [
    { rowId: 5n, label: 1, features: { type: 0, size: 4, indices: [1, 3], values: [1, 41] } },
    { rowId: 6n, label: 0, features: { type: 0, size: 4, indices: [], values: [] } },
  ]);
  t.match((await footer(file))['org.apache.spark.sql.parquet.row.metadata'], /org\.apache\.spark\.ml\.linalg\.VectorUDT/);
});
