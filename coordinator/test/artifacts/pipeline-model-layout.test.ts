/**
 * The PipelineModel folder against Spark's writers, field by field, and every way a folder can
 * be wrong. Field names come from apache/spark (3.5):
 * - ml/util/ReadWrite.scala, DefaultParamsWriter.getMetadataToSave: class, timestamp,
 *   sparkVersion, uid, paramMap, defaultParamMap (in that order);
 * - ml/Pipeline.scala, SharedReadWrite.saveImpl: PipelineModel paramMap {"stageUids": [...]},
 *   stage folders `stages/<idx zero-padded to the digits of the stage count>_<uid>` (getStagePath);
 * - ml/feature/StringIndexer.scala: params inputCol(s), outputCol(s), handleInvalid,
 *   stringOrderType; StringIndexModelWriter data `labelsArray` (3.0+), `labels` before;
 * - ml/feature/OneHotEncoder.scala: params inputCols, outputCols, handleInvalid, dropLast;
 *   OneHotEncoderModelWriter data `categorySizes`;
 * - ml/feature/VectorAssembler.scala: params inputCols, outputCol, handleInvalid (2.4+); no data.
 */
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { writeLogisticRegressionModel } from '../../src/artifacts/model-writer.js';
import { writeParquetTable } from '../../src/artifacts/parquet-table-writer.js';
import { readPipelineModel } from '../../src/artifacts/pipeline-model-reader.js';
import { writePipelineModel } from '../../src/artifacts/pipeline-model-writer.js';
import { binomialPipeline } from './pipeline-model-fixtures.js';

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kindling-pml-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function metadataOf(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
}

async function saved(t: { teardown: (fn: () => void) => void }, sparkVersion = '3.5.0'): Promise<{ dir: string; stages: string[] }> {
  const dir = tempDir(t);
  await writePipelineModel(dir, binomialPipeline(sparkVersion), { timestamp: 7 });
  return { dir, stages: readdirSync(path.join(dir, 'stages')).sort() };
}

const CORE = ['class', 'timestamp', 'sparkVersion', 'uid', 'paramMap', 'defaultParamMap'];

t.test('every stage has Spark’s metadata fields for its type (3.x)', async (t) => {
  const { dir, stages } = await saved(t);
  const meta = stages.map((s) => metadataOf(path.join(dir, 'stages', s, 'metadata/part-00000')));
  for (const m of meta) t.strictSame(Object.keys(m).slice(0, 6), CORE, `${String(m['class'])} core keys in Spark's order`);
  t.strictSame(
    meta.map((m) => m['class']),
    [
      'org.apache.spark.ml.feature.StringIndexerModel',
      'org.apache.spark.ml.feature.OneHotEncoderModel',
      'org.apache.spark.ml.feature.StringIndexerModel',
      'org.apache.spark.ml.feature.OneHotEncoderModel',
      'org.apache.spark.ml.feature.StringIndexerModel',
      'org.apache.spark.ml.feature.VectorAssembler',
      'org.apache.spark.ml.classification.LogisticRegressionModel',
    ],
  );
  t.strictSame(meta[0]!['paramMap'], { inputCol: 'job', outputCol: 'jobIndex', handleInvalid: 'error', stringOrderType: 'frequencyDesc' });
  t.strictSame(meta[2]!['paramMap'], {
    inputCol: 'marital',
    outputCol: 'maritalIndex',
    handleInvalid: 'keep',
    stringOrderType: 'frequencyDesc',
  });
  t.strictSame(Object.keys(meta[0]!['defaultParamMap'] as object).sort(), ['handleInvalid', 'outputCol', 'stringOrderType']);
  t.strictSame(meta[1]!['paramMap'], { inputCols: ['jobIndex'], outputCols: ['jobclassVec'], handleInvalid: 'error', dropLast: true });
  t.strictSame(meta[3]!['paramMap'], {
    inputCols: ['maritalIndex'],
    outputCols: ['maritalclassVec'],
    handleInvalid: 'error',
    dropLast: false,
  });
  t.strictSame(meta[4]!['paramMap'], { inputCol: 'deposit', outputCol: 'label', handleInvalid: 'error', stringOrderType: 'frequencyDesc' });
  t.strictSame(meta[5]!['paramMap'], {
    inputCols: ['jobclassVec', 'maritalclassVec', 'age', 'balance'],
    outputCol: 'features',
    handleInvalid: 'error',
  });
  t.match(meta[6]!['paramMap'], { maxIter: 10, labelCol: 'label', featuresCol: 'features' });
  for (const s of stages) t.equal(readFileSync(path.join(dir, 'stages', s, 'metadata/_SUCCESS'), 'utf8'), '', `${s} metadata/_SUCCESS`);
  t.equal(readFileSync(path.join(dir, 'metadata/_SUCCESS'), 'utf8'), '');
  const pipeline = JSON.parse(readFileSync(path.join(dir, 'pipeline.json'), 'utf8')) as Record<string, unknown>;
  t.match(pipeline, { format: 'kindling.pipeline-model/1', class: 'org.apache.spark.ml.PipelineModel', drop: ['day'] });
});

t.test('a 2.x pipeline has no assembler handleInvalid (Spark 2.3 rejects it) and OneHotEncoderEstimator uids', async (t) => {
  const { dir, stages } = await saved(t, '2.3.0');
  t.match(stages[1], /^1_OneHotEncoderEstimator_[0-9a-f]{12}$/);
  const va = metadataOf(path.join(dir, 'stages', stages[5]!, 'metadata/part-00000'));
  t.strictSame(va['paramMap'], { inputCols: ['jobclassVec', 'maritalclassVec', 'age', 'balance'], outputCol: 'features' });
  const loaded = await readPipelineModel(dir);
  t.strictSame(loaded.encoding, binomialPipeline('2.3.0').encoding, '2.x labels column loads');
});

t.test('given a job output folder, it reads pipeline-model/ inside', async (t) => {
  const out = tempDir(t);
  await writePipelineModel(path.join(out, 'pipeline-model'), binomialPipeline());
  t.equal((await readPipelineModel(out)).uid, 'PipelineModel_0123456789ab');
});

t.test('errors name the folder or file', async (t) => {
  await t.test('a bare LogisticRegressionModel folder', async (t) => {
    const dir = tempDir(t);
    const data = binomialPipeline();
    if (data.classifier.family !== 'binomial') throw new Error('fixture');
    await writeLogisticRegressionModel(dir, data.classifier.model);
    await t.rejects(readPipelineModel(dir), {
      code: 'E_SCHEMA',
      message: new RegExp(`^${path.join(dir, 'metadata/part-00000')}: this is a LogisticRegressionModel, not a PipelineModel`),
    });
  });
  await t.test('a folder that is no model at all, and one that does not exist', async (t) => {
    const dir = tempDir(t);
    await t.rejects(readPipelineModel(dir), { code: 'E_IO', message: new RegExp(`${dir} is not a PipelineModel folder`) });
    await t.rejects(readPipelineModel(path.join(dir, 'nope')), { code: 'E_IO', message: /does not exist/ });
  });
  await t.test('a missing stage folder', async (t) => {
    const { dir, stages } = await saved(t);
    rmSync(path.join(dir, 'stages', stages[3]!), { recursive: true });
    await t.rejects(readPipelineModel(dir), {
      code: 'E_IO',
      message: new RegExp(`missing stage folder ${path.join(dir, 'stages', stages[3]!)}`),
    });
  });
  await t.test('corrupt metadata JSON', async (t) => {
    const { dir, stages } = await saved(t);
    const file = path.join(dir, 'stages', stages[2]!, 'metadata/part-00000');
    writeFileSync(file, '{"class": "org.apache.spark.ml.feature.StringIndexerModel",\n');
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: new RegExp(`^${file}: line 1 is not JSON`) });
    writeFileSync(path.join(dir, 'metadata/part-00000'), '[1,2]\n');
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: /metadata\/part-00000: line 1 is not a JSON object/ });
  });
  await t.test('an unsupported stage class', async (t) => {
    const { dir, stages } = await saved(t);
    const file = path.join(dir, 'stages', stages[5]!, 'metadata/part-00000');
    const meta = metadataOf(file);
    writeFileSync(file, `${JSON.stringify({ ...meta, class: 'org.apache.spark.ml.feature.StandardScalerModel' })}\n`);
    await t.rejects(readPipelineModel(dir), {
      code: 'E_SCHEMA',
      message: new RegExp(`^${file}: stage class "org.apache.spark.ml.feature.StandardScalerModel" is not supported`),
    });
  });
  await t.test('stage data of the wrong shape', async (t) => {
    const { dir, stages } = await saved(t);
    const dataDir = path.join(dir, 'stages', stages[1]!, 'data');
    const file = path.join(
      dataDir,
      readdirSync(dataDir).find((n) => n.endsWith('.parquet'))!,
    );
    await writeParquetTable(file, [{ name: 'categorySizes', type: 'int-array', values: [[3, 4]] }]);
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: new RegExp(`^${file}: 2 category sizes for 1 input columns`) });
    await writeParquetTable(file, [{ name: 'categorySizes', type: 'int-array', values: [[9]] }]);
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: /categorySizes says 9 categories for jobclassVec/ });
    await writeParquetTable(file, [{ name: 'sizes', type: 'int-array', values: [[3]] }]);
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: new RegExp(`^${file}: has no categorySizes column`) });
    const siDir = path.join(dir, 'stages', stages[0]!, 'data');
    const si = path.join(
      siDir,
      readdirSync(siDir).find((n) => n.endsWith('.parquet'))!,
    );
    await writeParquetTable(si, [{ name: 'labelsArray', type: 'string-array', values: [['a'], ['b']] }]);
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: new RegExp(`^${si}: expected exactly one row, found 2`) });
  });
  await t.test('a stage data folder without a part file', async (t) => {
    const { dir, stages } = await saved(t);
    const dataDir = path.join(dir, 'stages', stages[0]!, 'data');
    for (const n of readdirSync(dataDir)) if (n.endsWith('.parquet')) renameSync(path.join(dataDir, n), path.join(dataDir, `_${n}`));
    await t.rejects(readPipelineModel(dir), { code: 'E_IO', message: new RegExp(`folder ${dataDir} has no part file`) });
  });
  await t.test('pipeline.json that disagrees with the stages', async (t) => {
    const { dir } = await saved(t);
    const file = path.join(dir, 'pipeline.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { encoding: { features: { labels?: string[] }[] } };
    doc.encoding.features[0]!.labels = ['admin', 'techn', 'blue'];
    writeFileSync(file, JSON.stringify(doc));
    await t.rejects(readPipelineModel(dir), {
      code: 'E_SCHEMA',
      message: new RegExp(`^${file}: disagrees with the Spark stages: labels or slots of job`),
    });
    writeFileSync(file, '{"inputSchema": 3}');
    await t.rejects(readPipelineModel(dir), { code: 'E_SCHEMA', message: new RegExp(`^${file}`) });
  });
});
