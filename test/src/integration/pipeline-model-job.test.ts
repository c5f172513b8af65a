/**
 * A training job saves the whole fitted pipeline: the bank job and the iris multinomial job in
 * local mode write `<output>/pipeline-model/` beside `model/`, readPipelineModel loads it with
 * the job's own transforms and the very same coefficients as `model/`, DuckDB reads its stage
 * data, and a second run with another thread count writes the same bytes (timestamps aside).
 */
import { readdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  parseJobSpecFile,
  readLogisticRegressionModel,
  readMultinomialModel,
  readPipelineModel,
  type JobResult,
} from '@kindling/coordinator';
import t from 'tap';
import { bankJob, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-pm-job-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** File bytes with the metadata lines' timestamps blanked (they record when the job ran). */
function content(file: string): string {
  return readFileSync(file, 'latin1').replace(/"timestamp":\d+/g, '"timestamp":0');
}

const runs = new Map<string, { output: string; result: JobResult }>();
t.before(async () => {
  for (const threads of [1, 2]) {
    const output = join(scratch, `bank-${threads}`);
    runs.set(`bank-${threads}`, { output, result: await runLocal(await parseJobSpecFile(bankJob, { output }), threads) });
  }
  const output = join(scratch, 'iris');
  const iris = await parseJobSpecFile(resolve(repoRoot, 'examples/iris-multinomial.yaml'), { output });
  runs.set('iris', { output, result: await runLocal(iris, 2) });
});

t.test('bank job: pipeline-model/ holds the job’s transforms and the same LR as model/', async (t) => {
  const { output, result } = runs.get('bank-2')!;
  const pm = await readPipelineModel(output);
  const lr = await readLogisticRegressionModel(join(output, 'model'));
  t.equal(pm.classifier.family, 'binomial');
  if (pm.classifier.family !== 'binomial') return;
  t.equal(bits(pm.classifier.model.coefficients), bits(lr.coefficients), 'coefficients bit for bit');
  t.ok(Object.is(pm.classifier.model.intercept, lr.intercept));
  t.equal(pm.classifier.model.uid, lr.uid, 'the last stage is the model/ model');
  t.strictSame(pm.featureNames, result.featureNames);
  t.strictSame(pm.drop, ['contact', 'day', 'month', 'default']);
  t.strictSame(pm.labelValues, ['no', 'yes']);
  t.strictSame(pm.encoding.label, {
    kind: 'string',
    column: pm.inputSchema.findIndex((f) => f.name === 'deposit'),
    name: 'deposit',
    labels: ['no', 'yes'],
  });
  t.strictSame(
    pm.inputSchema.map((f) => f.name),
    [
      'age',
      'job',
      'marital',
      'education',
      'default',
      'balance',
      'housing',
      'loan',
      'contact',
      'day',
      'month',
      'duration',
      'campaign',
      'pdays',
      'previous',
      'poutcome',
      'deposit',
    ],
  );
  const job = pm.encoding.features[0];
  t.match(job, { kind: 'onehot', name: 'job', offset: 0, size: 11 });
  // Stage list: SI + OHE for job, marital, education, housing, loan, poutcome; the label SI; VA; LR.
  const stages = readdirSync(join(output, 'pipeline-model', 'stages')).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
  t.equal(stages.length, 15);
  t.match(stages[0], /^00_StringIndexer_[0-9a-f]{12}$/, 'two-digit stage indices for 15 stages, as Spark pads them');
  t.match(stages[14], /^14_LogisticRegression_/);

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const dataDir = join(output, 'pipeline-model', 'stages', stages[0]!, 'data');
  const parquet = join(
    dataDir,
    readdirSync(dataDir).find((n) => n.endsWith('.parquet'))!,
  );
  const got = (await duck.runAndReadAll(`SELECT labelsArray FROM read_parquet('${parquet}')`)).getRowObjectsJS();
  t.strictSame(got, [{ labelsArray: [job?.kind === 'onehot' ? [...job.labels] : []] }], 'DuckDB reads the job labels');
});

t.test('bank job: 1 and 2 threads write the same pipeline-model bytes (timestamps aside)', async (t) => {
  const a = join(runs.get('bank-1')!.output, 'pipeline-model');
  const b = join(runs.get('bank-2')!.output, 'pipeline-model');
  t.strictSame(files(a), files(b));
  for (const f of files(a)) t.equal(content(join(a, f)), content(join(b, f)), f);
});

t.test('iris multinomial job: pipeline-model/ has the multinomial LR of model/ and a numeric-or-string label', async (t) => {
  const { output } = runs.get('iris')!;
  const pm = await readPipelineModel(join(output, 'pipeline-model'));
  const m = await readMultinomialModel(join(output, 'model'));
  t.equal(pm.classifier.family, 'multinomial');
  if (pm.classifier.family !== 'multinomial') return;
  t.equal(pm.classifier.model.numClasses, m.numClasses);
  t.equal(bits(pm.classifier.model.coefficientMatrix), bits(m.coefficientMatrix));
  t.equal(bits(pm.classifier.model.interceptVector), bits(m.interceptVector));
  t.equal(pm.encoding.numClasses, m.numClasses);
  t.equal(pm.labelValues.length, m.numClasses);

  // model/'s data file (MatrixUDT, VectorUDT) through DuckDB: the same doubles, row-major (isTransposed).
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const dataDir = join(output, 'model', 'data');
  const parquet = join(
    dataDir,
    readdirSync(dataDir).find((n) => n.endsWith('.parquet'))!,
  );
  const [row] = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${parquet}')`)).getRowObjectsJS() as {
    numClasses: number;
    isMultinomial: boolean;
    coefficientMatrix: { numRows: number; values: number[]; isTransposed: boolean };
    interceptVector: { values: number[] };
  }[];
  t.match(row, { numClasses: m.numClasses, isMultinomial: true, coefficientMatrix: { numRows: m.numClasses, isTransposed: true } });
  t.strictSame(row!.coefficientMatrix.values, Array.from(m.coefficientMatrix));
  t.strictSame(row!.interceptVector.values, Array.from(m.interceptVector));
});
