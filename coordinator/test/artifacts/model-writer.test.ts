import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import parquet from '@dsnp/parquetjs';
import t from 'tap';
import { readLogisticRegressionModel } from '../../src/artifacts/model-reader.js';
import {
  LOGISTIC_REGRESSION_MODEL_CLASS,
  writeLogisticRegressionModel,
  type LogisticRegressionModelData,
} from '../../src/artifacts/model-writer.js';

/** Values whose bits are easy to lose: -0, subnormal, extremes, non-terminating fractions. */
const COEFFICIENTS = Float64Array.from([0.1, -0, 5e-324, 1.7976931348623157e308, -1 / 3, 123456789.12345679, 0, -2.2250738585072014e-308]);

function model(overrides: Partial<LogisticRegressionModelData> = {}): LogisticRegressionModelData {
  return {
    uid: 'LogisticRegression_0123456789ab',
    numFeatures: COEFFICIENTS.length,
    coefficients: COEFFICIENTS,
    intercept: -2.5e-7,
    featureNames: ['job_admin', 'job_blue', 'age', 'balance', 'duration', 'campaign', 'pdays', 'previous'],
    params: { maxIter: 10, regParam: 0, elasticNetParam: 0.5, tol: 1e-6, fitIntercept: true, featuresCol: 'features', labelCol: 'label' },
    sparkVersion: '3.5.0',
    timestamp: 1700000000123,
    ...overrides,
  };
}

function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

t.test('model-writer: a saved model reads back with bit-identical coefficients and intercept', async (t) => {
  const dir = path.join(t.testdir({}), 'model');
  await writeLogisticRegressionModel(dir, model());
  const loaded = await readLogisticRegressionModel(dir);
  t.equal(loaded.uid, 'LogisticRegression_0123456789ab');
  t.equal(loaded.numFeatures, 8);
  t.ok(bytes(loaded.coefficients).equals(bytes(COEFFICIENTS)), 'coefficient bits equal');
  t.ok(Object.is(loaded.coefficients[1], -0), 'negative zero keeps its sign');
  t.ok(Object.is(loaded.intercept, -2.5e-7), 'intercept equal');
  t.same(loaded.featureNames, model().featureNames);
  t.equal(loaded.metadata['class'], LOGISTIC_REGRESSION_MODEL_CLASS);
});

t.test("model-writer: the folder has Spark's layout and a one-line metadata JSON", async (t) => {
  const dir = path.join(t.testdir({}), 'model');
  await writeLogisticRegressionModel(dir, model());
  t.same(readdirSync(dir).sort(), ['data', 'metadata', 'model.json']);
  t.same(readdirSync(path.join(dir, 'metadata')).sort(), ['_SUCCESS', 'part-00000']);
  t.same(readdirSync(path.join(dir, 'data')).sort(), ['_SUCCESS', 'part-00000-LogisticRegression_0123456789ab.snappy.parquet']);

  const text = readFileSync(path.join(dir, 'metadata/part-00000'), 'utf8');
  t.equal(text.split('\n').length, 2, 'one line ending with a newline');
  const meta = JSON.parse(text) as Record<string, unknown>;
  t.same(Object.keys(meta), ['class', 'timestamp', 'sparkVersion', 'uid', 'paramMap', 'defaultParamMap']);
  t.equal(meta['class'], 'org.apache.spark.ml.classification.LogisticRegressionModel');
  t.equal(meta['timestamp'], 1700000000123);
  t.equal(meta['sparkVersion'], '3.5.0');
  t.equal(meta['uid'], 'LogisticRegression_0123456789ab');
  t.same(meta['paramMap'], model().params);
  t.match(meta['defaultParamMap'], { maxIter: 100, regParam: 0, threshold: 0.5, family: 'auto', maxBlockSizeInMB: 0 });
  // Spark's DoubleParam decoder rejects JSON integers: doubles must carry a decimal point.
  t.match(text, '"regParam":0.0,');
  t.match(text, '"elasticNetParam":0.5,');
  t.match(text, '"maxIter":10,');
  t.match(text, '"maxBlockSizeInMB":0.0');
});

t.test('model-writer: the Parquet footer carries the Spark schema with the UDT classes', async (t) => {
  const dir = path.join(t.testdir({}), 'model');
  await writeLogisticRegressionModel(dir, model());
  const file = path.join(dir, 'data/part-00000-LogisticRegression_0123456789ab.snappy.parquet');
  const reader = await parquet.ParquetReader.openFile(file);
  t.teardown(() => reader.close());
  const footer = reader.getMetadata();
  t.equal(footer['org.apache.spark.version'], '3.5.0');
  const schema = JSON.parse(String(footer['org.apache.spark.sql.parquet.row.metadata'])) as {
    type: string;
    fields: { name: string; nullable: boolean; type: { type?: string; class?: string; pyClass?: string } }[];
  };
  t.equal(schema.type, 'struct');
  t.same(
    schema.fields.map((f) => f.name),
    ['numClasses', 'numFeatures', 'interceptVector', 'coefficientMatrix', 'isMultinomial'],
  );
  t.match(schema.fields[2], {
    nullable: true,
    type: { type: 'udt', class: 'org.apache.spark.ml.linalg.VectorUDT', pyClass: 'pyspark.ml.linalg.VectorUDT' },
  });
  t.match(schema.fields[3], {
    nullable: true,
    type: { type: 'udt', class: 'org.apache.spark.ml.linalg.MatrixUDT', pyClass: 'pyspark.ml.linalg.MatrixUDT' },
  });
  t.match(schema.fields[0], { type: 'integer', nullable: false });

  t.equal(Number(reader.getRowCount()), 1);
  const row = (await reader.getCursor().next()) as Record<string, any>;
  t.equal(row['numClasses'], 2);
  t.equal(row['numFeatures'], 8);
  t.equal(row['isMultinomial'], false);
  t.match(row['interceptVector'], { type: 1, size: null, indices: null });
  t.same(
    row['interceptVector'].values.list.map((e: { element: number }) => e.element),
    [-2.5e-7],
  );
  t.match(row['coefficientMatrix'], { type: 1, numRows: 1, numCols: 8, colPtrs: null, rowIndices: null, isTransposed: true });
  t.equal(row['coefficientMatrix'].values.list.length, 8);
  const codec = reader.metadata?.row_groups[0]?.columns[0]?.meta_data?.codec;
  t.equal(codec, 1, 'SNAPPY compression (Thrift codec 1)');
});

t.test('model-writer: model.json gives coefficients by feature name', async (t) => {
  const dir = path.join(t.testdir({}), 'model');
  await writeLogisticRegressionModel(
    dir,
    model({
      numFeatures: 3,
      coefficients: Float64Array.from([1.5, -2, 0.25]),
      featureNames: ['age', 'job_x', 'age'],
      extra: { trainingRows: 42 },
    }),
  );
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  t.match(json, { uid: 'LogisticRegression_0123456789ab', numFeatures: 3, intercept: -2.5e-7, extra: { trainingRows: 42 } });
  t.same(json['coefficients'], { age: 1.5, job_x: -2, 'age#2': 0.25 }, 'a repeated name keeps its value');
  t.same(json['featureNames'], ['age', 'job_x', 'age']);
  t.same(json['coefficientVector'], [1.5, -2, 0.25]);
  const meta = JSON.parse(readFileSync(path.join(dir, 'metadata/part-00000'), 'utf8')) as Record<string, unknown>;
  t.equal(meta['trainingRows'], 42, "extra keys join the metadata line, as Spark's extraMetadata");
});

t.test('model-writer: defaults follow the Spark version the model claims', async (t) => {
  const dir = path.join(t.testdir({}), 'model');
  await writeLogisticRegressionModel(dir, model({ sparkVersion: '2.3.0' }));
  const meta = JSON.parse(readFileSync(path.join(dir, 'metadata/part-00000'), 'utf8')) as { defaultParamMap: object };
  t.notOk('maxBlockSizeInMB' in meta.defaultParamMap, 'no param Spark 2.3 does not know');
});

t.test('model-writer: inconsistent models are refused before anything is written', async (t) => {
  const root = t.testdir({});
  await t.rejects(writeLogisticRegressionModel(path.join(root, 'a'), model({ numFeatures: 7 })), { code: 'E_INTERNAL' });
  await t.rejects(writeLogisticRegressionModel(path.join(root, 'b'), model({ featureNames: ['x'] })), { code: 'E_INTERNAL' });
  await t.rejects(writeLogisticRegressionModel(path.join(root, 'c'), model({ uid: '../evil' })), { code: 'E_INTERNAL' });
  await t.rejects(writeLogisticRegressionModel(path.join(root, 'd'), model({ extra: { uid: 'x' } })), { code: 'E_INTERNAL' });
  t.notOk(existsSync(path.join(root, 'a')));
});
