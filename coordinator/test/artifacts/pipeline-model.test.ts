import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readPipelineModel } from '../../src/artifacts/pipeline-model-reader.js';
import { writePipelineModel } from '../../src/artifacts/pipeline-model-writer.js';
import { readParquetFile } from '../../src/artifacts/spark-parquet.js';
import { binomialPipeline, multinomialPipeline } from './pipeline-model-fixtures.js';

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kindling-pm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Bit patterns, so -0 vs 0 and every last bit count. */
function bits(a: Float64Array): string[] {
  return Array.from(new BigUint64Array(Float64Array.from(a).buffer), (b) => b.toString(16));
}

function metadataOf(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
}

t.test('binomial pipeline: save → load gives the same PipelineModelData, coefficients bit for bit', async (t) => {
  const dir = path.join(tempDir(t), 'pipeline-model');
  const data = binomialPipeline();
  await writePipelineModel(dir, data);
  const loaded = await readPipelineModel(dir);
  t.equal(loaded.classifier.family, 'binomial');
  if (loaded.classifier.family !== 'binomial' || data.classifier.family !== 'binomial') return;
  t.same(bits(loaded.classifier.model.coefficients), bits(data.classifier.model.coefficients));
  t.ok(Object.is(loaded.classifier.model.intercept, data.classifier.model.intercept));
  const { classifier: a, ...restLoaded } = loaded;
  const { classifier: b, ...restData } = data;
  t.strictSame(restLoaded, restData);
  const { coefficients: _c1, ...ma } = a.model as typeof data.classifier.model;
  const { coefficients: _c2, ...mb } = b.model;
  t.strictSame(ma, mb);
});

t.test('multinomial pipeline with a numeric label: round trip, matrix and intercepts bit for bit', async (t) => {
  const dir = tempDir(t);
  const data = multinomialPipeline();
  await writePipelineModel(dir, data);
  const loaded = await readPipelineModel(dir);
  if (loaded.classifier.family !== 'multinomial' || data.classifier.family !== 'multinomial') {
    t.fail('expected a multinomial classifier');
    return;
  }
  t.same(bits(loaded.classifier.model.coefficientMatrix), bits(data.classifier.model.coefficientMatrix));
  t.same(bits(loaded.classifier.model.interceptVector), bits(data.classifier.model.interceptVector));
  t.strictSame(loaded.encoding, data.encoding);
  t.strictSame(loaded.labelValues, ['0', '1', '2']);
  // No label StringIndexer for a numeric label: SI, OHE, VA, LR.
  t.strictSame(
    readdirSync(path.join(dir, 'stages')).map((n) => n.split('_')[1]),
    ['StringIndexer', 'OneHotEncoder', 'VectorAssembler', 'LogisticRegression'],
  );
});

t.test('the layout is Spark’s: PipelineModel metadata, stage folders named <i>_<uid>, data where Spark has it', async (t) => {
  const dir = tempDir(t);
  await writePipelineModel(dir, binomialPipeline(), { timestamp: 42 });
  const meta = metadataOf(path.join(dir, 'metadata/part-00000'));
  t.strictSame(Object.keys(meta), ['class', 'timestamp', 'sparkVersion', 'uid', 'paramMap', 'defaultParamMap']);
  t.equal(meta['class'], 'org.apache.spark.ml.PipelineModel');
  t.equal(meta['timestamp'], 42);
  const stageUids = (meta['paramMap'] as { stageUids: string[] }).stageUids;
  // SI job, OHE job, SI marital, OHE marital, SI label, VA, LR (the tutorial's order).
  t.equal(stageUids.length, 7);
  t.strictSame(
    readdirSync(path.join(dir, 'stages')).sort(),
    stageUids.map((u, i) => `${i}_${u}`),
  );
  t.equal(stageUids[6], 'LogisticRegression_aaaaaaaaaaaa', 'the last stage is the LR model with its own uid');
  const si = path.join(dir, 'stages', `0_${stageUids[0]}`);
  const { rows, footer } = await readParquetFile(
    path.join(
      si,
      'data',
      readdirSync(path.join(si, 'data')).find((n) => n.endsWith('.parquet'))!,
    ),
  );
  t.same(rows, [{ labelsArray: { list: [{ element: { list: [{ element: 'admin' }, { element: 'blue' }, { element: 'techn' }] } }] } }]);
  t.match(footer['org.apache.spark.sql.parquet.row.metadata'], /"labelsArray"/);
  t.notOk(readdirSync(path.join(dir, 'stages', `5_${stageUids[5]}`)).includes('data'), 'VectorAssembler has no data');
});

t.test('same data and timestamp → identical bytes', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  await writePipelineModel(a, binomialPipeline(), { timestamp: 1 });
  await writePipelineModel(b, binomialPipeline(), { timestamp: 1 });
  const files = (root: string): string[] =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      .sort();
  t.strictSame(files(a), files(b));
  for (const f of files(a)) t.ok(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), f);
});
