import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { readLogisticRegressionModel } from '../../src/artifacts/model-reader.js';
import {
  MATRIX_UDT,
  VECTOR_UDT,
  parquetMatrix,
  parquetVector,
  sparkField,
  sparkStruct,
  toParquetList,
  writeParquetFile,
} from '../../src/artifacts/spark-parquet.js';

const METADATA =
  '{"class":"org.apache.spark.ml.classification.LogisticRegressionModel","timestamp":1,' +
  '"sparkVersion":"3.5.0","uid":"logreg_1234567890ab","paramMap":{},"defaultParamMap":{}}\n';

/** Writes a model folder the way Spark would, with `row` as its single data row. */
async function sparkModel(dir: string, row: Record<string, unknown>, metadata = METADATA): Promise<void> {
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(path.join(dir, 'metadata/part-00000'), metadata);
  writeFileSync(path.join(dir, 'metadata/_SUCCESS'), '');
  writeFileSync(path.join(dir, 'data/_SUCCESS'), '');
  writeFileSync(path.join(dir, 'data/.part-00000.crc'), 'not parquet');
  const legacy = 'coefficients' in row;
  await writeParquetFile(
    path.join(dir, 'data/part-00000-0f0e-c000.snappy.parquet'),
    legacy
      ? {
          numClasses: { type: 'INT32' },
          numFeatures: { type: 'INT32' },
          intercept: { type: 'DOUBLE' },
          coefficients: parquetVector('SNAPPY'),
        }
      : {
          numClasses: { type: 'INT32' },
          numFeatures: { type: 'INT32' },
          interceptVector: parquetVector('SNAPPY'),
          coefficientMatrix: parquetMatrix('SNAPPY'),
          isMultinomial: { type: 'BOOLEAN' },
        },
    legacy
      ? sparkStruct([
          sparkField('numClasses', 'integer', false),
          sparkField('numFeatures', 'integer', false),
          sparkField('intercept', 'double', false),
          sparkField('coefficients', VECTOR_UDT, true),
        ])
      : sparkStruct([
          sparkField('numClasses', 'integer', false),
          sparkField('numFeatures', 'integer', false),
          sparkField('interceptVector', VECTOR_UDT, true),
          sparkField('coefficientMatrix', MATRIX_UDT, true),
          sparkField('isMultinomial', 'boolean', false),
        ]),
    [row],
    { rowGroupSize: 1 },
  );
}

const dense = { type: 1, values: toParquetList([0.75]) };

t.test("model-reader: reads a sparse row-major coefficient matrix (Spark's compressed form)", async (t) => {
  const dir = t.testdir({});
  await sparkModel(dir, {
    numClasses: 2,
    numFeatures: 5,
    interceptVector: dense,
    isMultinomial: false,
    coefficientMatrix: {
      type: 0,
      numRows: 1,
      numCols: 5,
      colPtrs: toParquetList([0, 2]),
      rowIndices: toParquetList([1, 4]),
      values: toParquetList([-0.5, 3]),
      isTransposed: true,
    },
  });
  const m = await readLogisticRegressionModel(dir);
  t.same(Array.from(m.coefficients), [0, -0.5, 0, 0, 3]);
  t.equal(m.intercept, 0.75);
  t.equal(m.uid, 'logreg_1234567890ab');
  t.equal(m.featureNames, undefined, 'no model.json, no names');
});

t.test('model-reader: reads a sparse column-major coefficient matrix', async (t) => {
  const dir = t.testdir({});
  await sparkModel(dir, {
    numClasses: 2,
    numFeatures: 4,
    interceptVector: dense,
    isMultinomial: false,
    coefficientMatrix: {
      type: 0,
      numRows: 1,
      numCols: 4,
      colPtrs: toParquetList([0, 0, 1, 1, 2]),
      rowIndices: toParquetList([0, 0]),
      values: toParquetList([2.5, -1]),
      isTransposed: false,
    },
  });
  t.same(Array.from((await readLogisticRegressionModel(dir)).coefficients), [0, 2.5, 0, -1]);
});

t.test('model-reader: reads the pre-2.1 layout (intercept + coefficients vector)', async (t) => {
  const dir = t.testdir({});
  await sparkModel(dir, {
    numClasses: 2,
    numFeatures: 3,
    intercept: -1.25,
    coefficients: { type: 0, size: 3, indices: toParquetList([2]), values: toParquetList([4]) },
  });
  const m = await readLogisticRegressionModel(dir);
  t.same(Array.from(m.coefficients), [0, 0, 4]);
  t.equal(m.intercept, -1.25);
  t.equal(m.numFeatures, 3);
});

t.test('model-reader: refuses folders that are not a binomial logistic regression model', async (t) => {
  const root = t.testdir({});
  const other = path.join(root, 'other');
  await sparkModel(
    other,
    {
      numClasses: 2,
      numFeatures: 1,
      interceptVector: dense,
      isMultinomial: false,
      coefficientMatrix: { type: 1, numRows: 1, numCols: 1, values: toParquetList([1]), isTransposed: true },
    },
    METADATA.replace('LogisticRegressionModel', 'LinearSVCModel'),
  );
  await t.rejects(readLogisticRegressionModel(other), {
    code: 'E_SCHEMA',
    message: /class is "org\.apache\.spark\.ml\.classification\.LinearSVCModel"/,
  });

  const multi = path.join(root, 'multi');
  await sparkModel(multi, {
    numClasses: 3,
    numFeatures: 1,
    interceptVector: dense,
    isMultinomial: true,
    coefficientMatrix: { type: 1, numRows: 3, numCols: 1, values: toParquetList([1, 2, 3]), isTransposed: true },
  });
  await t.rejects(readLogisticRegressionModel(multi), { code: 'E_SCHEMA', message: /multinomial/ });

  const mismatch = path.join(root, 'mismatch');
  await sparkModel(mismatch, {
    numClasses: 2,
    numFeatures: 2,
    interceptVector: dense,
    isMultinomial: false,
    coefficientMatrix: { type: 1, numRows: 1, numCols: 3, values: toParquetList([1, 2, 3]), isTransposed: true },
  });
  await t.rejects(readLogisticRegressionModel(mismatch), { code: 'E_SCHEMA', message: /1 × 3, expected 1 × 2/ });

  const badJson = path.join(root, 'bad-json');
  await sparkModel(
    badJson,
    {
      numClasses: 2,
      numFeatures: 1,
      interceptVector: dense,
      isMultinomial: false,
      coefficientMatrix: { type: 1, numRows: 1, numCols: 1, values: toParquetList([1]), isTransposed: true },
    },
    '{"class":\n',
  );
  await t.rejects(readLogisticRegressionModel(badJson), { code: 'E_SCHEMA', message: /metadata\/part-00000: line 1 is not JSON/ });

  rmSync(path.join(other, 'data'), { recursive: true });
  await t.rejects(readLogisticRegressionModel(path.join(root, 'missing')), { code: 'E_IO' });
  writeFileSync(path.join(badJson, 'metadata/part-00000'), METADATA);
  rmSync(path.join(badJson, 'data/part-00000-0f0e-c000.snappy.parquet'));
  await t.rejects(readLogisticRegressionModel(badJson), { code: 'E_IO', message: /has no part file/ });
});
