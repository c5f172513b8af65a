/**
 * PipelineModel folders laid out the way Spark saves them — metadata lines as Spark's
 * DefaultParamsWriter writes them (Scala uids, only explicitly set params in paramMap, the rest
 * in defaultParamMap) and stage data written by an independent Parquet writer (DuckDB) — load
 * with readPipelineModel: the tutorial's per-column 3.x pipeline, a multi-column 3.x indexer and
 * encoder, a 2.3 pipeline (`labels`, OneHotEncoderEstimator's model, the legacy OneHotEncoder),
 * and a multinomial LR.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readPipelineModel } from '@kindling/coordinator';
import t from 'tap';

let duck: DuckDBConnection;
t.before(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kindling-spark-pm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Stage {
  readonly cls: string;
  readonly uid: string;
  readonly paramMap: Record<string, unknown>;
  readonly defaultParamMap?: Record<string, unknown>;
  /** A DuckDB SELECT giving the stage's one data row (absent: no data folder). */
  readonly data?: string;
}

function metadataLine(cls: string, uid: string, sparkVersion: string, paramMap: unknown, defaults: unknown): string {
  return `${JSON.stringify({ class: cls, timestamp: 1700000000000, sparkVersion, uid, paramMap, defaultParamMap: defaults })}\n`;
}

async function sparkPipeline(dir: string, sparkVersion: string, stages: readonly Stage[]): Promise<void> {
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  writeFileSync(
    path.join(dir, 'metadata/part-00000'),
    metadataLine(
      'org.apache.spark.ml.PipelineModel',
      'PipelineModel_4b9bd03f7ab0',
      sparkVersion,
      { stageUids: stages.map((s) => s.uid) },
      {},
    ),
  );
  writeFileSync(path.join(dir, 'metadata/_SUCCESS'), '');
  for (const [i, s] of stages.entries()) {
    const stageDir = path.join(dir, 'stages', `${i}_${s.uid}`);
    mkdirSync(path.join(stageDir, 'metadata'), { recursive: true });
    writeFileSync(
      path.join(stageDir, 'metadata/part-00000'),
      metadataLine(s.cls, s.uid, sparkVersion, s.paramMap, s.defaultParamMap ?? {}),
    );
    writeFileSync(path.join(stageDir, 'metadata/_SUCCESS'), '');
    if (s.data !== undefined) {
      mkdirSync(path.join(stageDir, 'data'), { recursive: true });
      writeFileSync(path.join(stageDir, 'data/_SUCCESS'), '');
      const file = path.join(stageDir, 'data/part-00000-6a2b5c1e-0000-c000.snappy.parquet');
      await duck.run(`COPY (${s.data}) TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
    }
  }
}

const SI = 'org.apache.spark.ml.feature.StringIndexerModel';
const OHE = 'org.apache.spark.ml.feature.OneHotEncoderModel';
const VA = 'org.apache.spark.ml.feature.VectorAssembler';
const LR = 'org.apache.spark.ml.classification.LogisticRegressionModel';

function binomialLr(uid: string, coefficients: number[], intercept: number): Stage {
  const d = coefficients.length;
  return {
    cls: LR,
    uid,
    paramMap: { maxIter: 10, featuresCol: 'features', labelCol: 'label' },
    defaultParamMap: { threshold: 0.5, family: 'auto', predictionCol: 'prediction' },
    data:
      `SELECT 2::INTEGER AS numClasses, ${d}::INTEGER AS numFeatures, ` +
      `{'type': 1::TINYINT, 'size': NULL::INTEGER, 'indices': NULL::INTEGER[], 'values': [${intercept}]::DOUBLE[]} AS interceptVector, ` +
      `{'type': 1::TINYINT, 'numRows': 1, 'numCols': ${d}, 'colPtrs': NULL::INTEGER[], 'rowIndices': NULL::INTEGER[], ` +
      `'values': [${coefficients.join(', ')}]::DOUBLE[], 'isTransposed': true} AS coefficientMatrix, false AS isMultinomial`,
  };
}

t.test('Spark 3.x tutorial pipeline: per-column StringIndexer + OneHotEncoder, label indexer, assembler, LR', async (t) => {
  const dir = tempDir(t);
  await sparkPipeline(dir, '3.5.0', [
    {
      cls: SI,
      uid: 'StringIndexer_1a2b3c4d5e6f',
      paramMap: { inputCol: 'job', outputCol: 'jobIndex' },
      defaultParamMap: { handleInvalid: 'error', stringOrderType: 'frequencyDesc', outputCol: 'StringIndexer_1a2b3c4d5e6f__output' },
      data: "SELECT [['management', 'blue-collar', 'technician']] AS labelsArray",
    },
    {
      cls: OHE,
      uid: 'OneHotEncoder_aa11bb22cc33',
      paramMap: { inputCols: ['jobIndex'], outputCols: ['jobclassVec'] },
      defaultParamMap: { handleInvalid: 'error', dropLast: true },
      data: 'SELECT [3]::INTEGER[] AS categorySizes',
    },
    {
      cls: SI,
      uid: 'StringIndexer_999999999999',
      paramMap: { inputCol: 'deposit', outputCol: 'label' },
      defaultParamMap: { handleInvalid: 'error', stringOrderType: 'frequencyDesc' },
      data: "SELECT [['no', 'yes']] AS labelsArray",
    },
    { cls: VA, uid: 'VectorAssembler_123412341234', paramMap: { inputCols: ['jobclassVec', 'age', 'balance'], outputCol: 'features' } },
    binomialLr('LogisticRegression_abcdefabcdef', [0.25, -1.5, 0.001, 3e-7], -0.75),
  ]);
  const m = await readPipelineModel(dir);
  t.equal(m.uid, 'PipelineModel_4b9bd03f7ab0');
  t.equal(m.sparkVersion, '3.5.0');
  t.strictSame(m.inputSchema, [
    { name: 'job', type: 'string' },
    { name: 'age', type: 'double' },
    { name: 'balance', type: 'double' },
    { name: 'deposit', type: 'string' },
  ]);
  t.strictSame(m.encoding.features, [
    {
      kind: 'onehot',
      column: 0,
      name: 'job',
      labels: ['management', 'blue-collar', 'technician'],
      handleInvalid: 'error',
      dropLast: true,
      offset: 0,
      size: 2,
    },
    { kind: 'numeric', column: 1, name: 'age' },
    { kind: 'numeric', column: 2, name: 'balance' },
  ]);
  t.strictSame(m.encoding.label, { kind: 'string', column: 3, name: 'deposit', labels: ['no', 'yes'] });
  t.equal(m.encoding.numFeatures, 4);
  t.strictSame(m.labelValues, ['no', 'yes']);
  t.strictSame(
    m.featureNames,
    ['jobclassVec_management', 'jobclassVec_blue-collar', 'age', 'balance'],
    "VectorAssembler's attribute names",
  );
  t.equal(m.stringOrderType, 'frequencyDesc');
  t.equal(m.classifier.family, 'binomial');
  if (m.classifier.family === 'binomial') {
    t.strictSame(Array.from(m.classifier.model.coefficients), [0.25, -1.5, 0.001, 3e-7]);
    t.equal(m.classifier.model.intercept, -0.75);
    t.equal(m.classifier.model.uid, 'LogisticRegression_abcdefabcdef');
  }
});

t.test('Spark 3.x multi-column StringIndexer and OneHotEncoder, handleInvalid keep', async (t) => {
  const dir = tempDir(t);
  await sparkPipeline(dir, '3.5.0', [
    {
      cls: SI,
      uid: 'strIdx_000000000001',
      paramMap: {
        inputCols: ['job', 'marital'],
        outputCols: ['jobIdx', 'maritalIdx'],
        handleInvalid: 'keep',
        stringOrderType: 'alphabetAsc',
      },
      data: "SELECT [['admin', 'blue'], ['married', 'single', 'divorced']] AS labelsArray",
    },
    {
      cls: OHE,
      uid: 'oneHotEncoder_000000000002',
      paramMap: { inputCols: ['jobIdx', 'maritalIdx'], outputCols: ['jobVec', 'maritalVec'], dropLast: false },
      data: 'SELECT [3, 4]::INTEGER[] AS categorySizes',
    },
    {
      cls: VA,
      uid: 'vecAssembler_000000000003',
      paramMap: { inputCols: ['maritalVec', 'x', 'jobVec'], outputCol: 'features', handleInvalid: 'skip' },
    },
    binomialLr('logreg_000000000004', [1, 2, 3, 4, 5, 6, 7, 8], 0.5),
  ]);
  const m = await readPipelineModel(dir);
  t.strictSame(
    m.encoding.features.map((f) => (f.kind === 'onehot' ? [f.name, f.handleInvalid, f.dropLast, f.offset, f.size] : [f.name])),
    [['marital', 'keep', false, 0, 4], ['x'], ['job', 'keep', false, 5, 3]],
  );
  t.equal(m.encoding.numericHandleInvalid, 'skip');
  t.equal(m.stringOrderType, 'alphabetAsc');
  t.strictSame(m.encoding.label, { kind: 'numeric', column: 3, name: 'label' }, 'no label indexer: the label column is numeric');
  t.strictSame(m.featureNames.slice(0, 5), ['maritalVec_married', 'maritalVec_single', 'maritalVec_divorced', 'maritalVec___unknown', 'x']);
});

t.test('Spark 2.3: StringIndexerModel `labels`, OneHotEncoderEstimator model, legacy OneHotEncoder transformer', async (t) => {
  const dir = tempDir(t);
  await sparkPipeline(dir, '2.3.0', [
    {
      cls: SI,
      uid: 'StringIndexer_4f8a9d2c1b3e',
      paramMap: { inputCol: 'job', outputCol: 'jobIndex' },
      data: "SELECT ['a', 'b', 'c'] AS labels",
    },
    {
      cls: OHE,
      uid: 'OneHotEncoderEstimator_4f8a9d2c1b3f',
      paramMap: { inputCols: ['jobIndex'], outputCols: ['jobclassVec'] },
      data: 'SELECT [3]::INTEGER[] AS categorySizes',
    },
    {
      cls: SI,
      uid: 'StringIndexer_4f8a9d2c1b40',
      paramMap: { inputCol: 'loan', outputCol: 'loanIndex' },
      data: "SELECT ['no', 'yes'] AS labels",
    },
    // The pre-3.0 transformer: no data, category count from the indexer's labels.
    {
      cls: 'org.apache.spark.ml.feature.OneHotEncoder',
      uid: 'OneHotEncoder_4f8a9d2c1b41',
      paramMap: { inputCol: 'loanIndex', outputCol: 'loanVec', dropLast: true },
    },
    {
      cls: SI,
      uid: 'StringIndexer_4f8a9d2c1b42',
      paramMap: { inputCol: 'deposit', outputCol: 'label' },
      data: "SELECT ['no', 'yes'] AS labels",
    },
    { cls: VA, uid: 'VectorAssembler_4f8a9d2c1b43', paramMap: { inputCols: ['jobclassVec', 'loanVec', 'age'], outputCol: 'features' } },
    binomialLr('LogisticRegression_4f8a9d2c1b44', [0.5, 0.25, -1, 0.125], 2),
  ]);
  const m = await readPipelineModel(dir);
  t.equal(m.sparkVersion, '2.3.0');
  t.strictSame(
    m.encoding.features.map((f) => (f.kind === 'onehot' ? [f.name, f.labels, f.size] : [f.name])),
    [['job', ['a', 'b', 'c'], 2], ['loan', ['no', 'yes'], 1], ['age']],
  );
  t.strictSame(m.labelValues, ['no', 'yes']);
  t.equal(m.encoding.numericHandleInvalid, 'error', 'an assembler without handleInvalid (2.3) fails on nulls, as Spark 2.3 does');
});

t.test('multinomial LogisticRegressionModel as the last stage', async (t) => {
  const dir = tempDir(t);
  await sparkPipeline(dir, '3.5.0', [
    {
      cls: SI,
      uid: 'strIdx_a',
      paramMap: { inputCol: 'species', outputCol: 'label' },
      data: "SELECT [['setosa', 'versicolor', 'virginica']] AS labelsArray",
    },
    { cls: VA, uid: 'vecAssembler_b', paramMap: { inputCols: ['x', 'y'], outputCol: 'features' } },
    {
      cls: LR,
      uid: 'logreg_c',
      paramMap: { family: 'multinomial' },
      data:
        `SELECT 3::INTEGER AS numClasses, 2::INTEGER AS numFeatures, ` +
        `{'type': 1::TINYINT, 'size': NULL::INTEGER, 'indices': NULL::INTEGER[], 'values': [0.1, 0.2, -0.3]::DOUBLE[]} AS interceptVector, ` +
        `{'type': 1::TINYINT, 'numRows': 3, 'numCols': 2, 'colPtrs': NULL::INTEGER[], 'rowIndices': NULL::INTEGER[], ` +
        `'values': [1, 2, 3, 4, 5, 6]::DOUBLE[], 'isTransposed': true} AS coefficientMatrix, true AS isMultinomial`,
    },
  ]);
  const m = await readPipelineModel(dir);
  t.equal(m.classifier.family, 'multinomial');
  t.equal(m.encoding.numClasses, 3);
  t.strictSame(m.labelValues, ['setosa', 'versicolor', 'virginica']);
  if (m.classifier.family === 'multinomial') {
    t.strictSame(Array.from(m.classifier.model.coefficientMatrix), [1, 2, 3, 4, 5, 6]);
    t.strictSame(Array.from(m.classifier.model.interceptVector), [0.1, 0.2, -0.3]);
    t.strictSame(m.classifier.model.labels, ['setosa', 'versicolor', 'virginica']);
  }
});

t.test('a pipeline whose last stage is not a LogisticRegressionModel (the tutorial fits LR outside the pipeline)', async (t) => {
  const dir = tempDir(t);
  await sparkPipeline(dir, '3.5.0', [{ cls: VA, uid: 'vecAssembler_b', paramMap: { inputCols: ['x'], outputCol: 'features' } }]);
  await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: /the last stage must be a LogisticRegressionModel/ });
});
