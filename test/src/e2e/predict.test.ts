/**
 * `predict` and `evaluate` through the TypeScript API on real files and real executors: the bank
 * job is trained once (predictions on), its saved pipeline-model/ folder then scores bank.csv.
 * Every test-split row's probability and prediction equal the job's own to the bit; one local
 * thread and three executor processes over NATS write byte-identical files; evaluate on exactly
 * the job's test rows reproduces the job's test metrics; bad models, inputs and outputs fail
 * before any work (or leave nothing behind) with errors naming file, line, column and value.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  DriverContext,
  evaluate,
  parseJobSpecFile,
  predict,
  silentLogger,
  type EvaluateOptions,
  type PredictOptions,
  type PredictResult,
} from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';
import { NatsTransport } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankCsv, bankJob, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-predict-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const db = await (await DuckDBInstance.create(':memory:')).connect();
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Runs `work` on a local driver with `threads` worker threads. */
async function onLocal<T>(threads: number, work: (d: DriverContext) => Promise<T>): Promise<T> {
  const executor = new LocalExecutor({ threads });
  const driver = DriverContext.withExecutors([executor], { release: () => executor.close() });
  try {
    return await work(driver);
  } finally {
    await driver.close();
  }
}
const predictLocal = (o: PredictOptions): Promise<PredictResult> => onLocal(1, (d) => predict(o, d));
const evaluateLocal = (o: EvaluateOptions) => onLocal(2, (d) => evaluate(o, d));

// The bank job with its default handleInvalid (error), and one that skips unseen categories.
const job = join(scratch, 'bank');
await runLocal(await parseJobSpecFile(bankJob, { output: job, conf: { 'output.predictions': 'true' } }), 2);
const model = join(job, 'pipeline-model');

/** A copy of bank.csv with line `line` (1-based, header = 1) replaced through `edit`. */
function editedBank(name: string, line: number, edit: (fields: string[], header: string[]) => void): string {
  const lines = readFileSync(bankCsv, 'utf8').split('\n');
  const header = lines[0]!.split(',');
  const fields = lines[line - 1]!.split(',');
  edit(fields, header);
  lines[line - 1] = fields.join(',');
  const file = join(scratch, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

t.test('predict: every test-split row scores to the bits of the job’s own predictions', async (t) => {
  const out = join(scratch, 'pred-local1');
  const r = await predictLocal({ model, input: bankCsv, output: out, keep: ['age', 'job'] });
  t.equal(r.rows, 11162);
  t.equal(r.skipped, 0);
  t.same(r.columns, ['rowId', 'rawPrediction', 'probability', 'prediction', 'predictedLabel', 'age', 'job']);
  t.ok(existsSync(join(out, '_SUCCESS')));
  const jobRows = await rows(`select rowId, probability, prediction from read_parquet('${job}/predictions/*.parquet') order by rowId`);
  const ours = new Map(
    (
      await rows(
        `select rowId, probability.values as p, rawPrediction.values as m, prediction, predictedLabel from read_parquet('${out}/*.parquet')`,
      )
    ).map((row) => [Number(row['rowId']), row]),
  );
  t.ok(jobRows.length > 3000, `${jobRows.length} test rows`);
  let same = 0;
  for (const j of jobRows) {
    const o = ours.get(Number(j['rowId']))!;
    const p = o['p'] as number[];
    const m = o['m'] as number[];
    if (
      Object.is(p[1], j['probability']) &&
      Object.is(o['prediction'], j['prediction']) &&
      Object.is(p[0], 1 / (1 + Math.exp(m[1]!))) &&
      Object.is(m[0], -m[1]!) &&
      o['predictedLabel'] === (j['prediction'] === 1 ? 'yes' : 'no')
    )
      same++;
  }
  t.equal(same, jobRows.length, 'probability, prediction, rawPrediction [-m, m] and predictedLabel of every row');
  const kept = await rows(`select age, job from read_parquet('${out}/*.parquet') where rowId = 0`);
  t.same(kept, [{ age: 59, job: 'admin.' }], 'kept columns pass through with their inferred types');
});

t.test('predict: one local thread and three executor processes write byte-identical files', async (t) => {
  const local = join(scratch, 'pred-local1-bytes');
  const cluster3 = join(scratch, 'pred-cluster3');
  await predictLocal({ model, input: bankCsv, output: local, keep: ['job'], partitions: 6 });
  const cluster = await LocalCluster.start(3);
  t.teardown(() => cluster.stop());
  const transport = await NatsTransport.connect(cluster.connectionOptions('predict-test'));
  try {
    const driver = await DriverContext.onCluster(transport, {
      logger: silentLogger,
      executorWaitMs: 10_000,
      cluster: { prefix: 'kindling', heartbeatMs: 250, executorTimeoutMs: 2000 },
    });
    try {
      await driver.backend!.waitForExecutors(3, 10_000);
      const r = await predict({ model, input: bankCsv, output: cluster3, keep: ['job'], partitions: 6 }, driver);
      t.equal(r.partitions, 6);
    } finally {
      await driver.close();
    }
  } finally {
    await transport.close();
  }
  const files = readdirSync(local).sort();
  t.same(readdirSync(cluster3).sort(), files);
  t.equal(files.filter((f) => f.endsWith('.parquet')).length, 6, 'one part per partition');
  for (const f of files) t.ok(readFileSync(join(local, f)).equals(readFileSync(join(cluster3, f))), `${f} byte-identical`);
});

t.test('predict --format csv: the same values, round-tripping to the same doubles', async (t) => {
  const out = join(scratch, 'pred-csv');
  const r = await predictLocal({ model, input: bankCsv, output: out, format: 'csv', keep: ['job'] });
  t.same(r.columns.slice(0, 7), [
    'rowId',
    'rawPrediction_0',
    'rawPrediction_1',
    'probability_0',
    'probability_1',
    'prediction',
    'predictedLabel',
  ]);
  const parquet = join(scratch, 'pred-local1');
  const diff = await rows(
    `select count(*)::int as n, count(*) filter (where c.probability_1 = p.probability.values[2] and c.rawPrediction_0 = p.rawPrediction.values[1]
       and c.prediction = p.prediction and c.predictedLabel = p.predictedLabel and c.job = p.job)::int as same
     from read_csv('${out}/*.csv', header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR']) c
     join read_parquet('${parquet}/*.parquet') p using (rowId)`,
  );
  t.same(diff, [{ n: 11162, same: 11162 }]);
});

t.test('predict: a multinomial model reproduces the job’s K-class probabilities', async (t) => {
  const iris = join(scratch, 'iris');
  await runLocal(await parseJobSpecFile(resolve(repoRoot, 'examples/iris-multinomial.yaml'), { output: iris }), 2);
  const out = join(scratch, 'iris-pred');
  const r = await predictLocal({ model: join(iris, 'pipeline-model'), input: resolve(repoRoot, 'examples/data/iris.csv'), output: out });
  t.equal(r.rows, 150);
  const jobRows = await rows(`select * from read_parquet('${iris}/predictions/*.parquet')`);
  const ours = new Map(
    (await rows(`select rowId, probability.values as p, prediction from read_parquet('${out}/*.parquet')`)).map((o) => [
      Number(o['rowId']),
      o,
    ]),
  );
  let same = 0;
  for (const j of jobRows) {
    const o = ours.get(Number(j['rowId']))!;
    const p = o['p'] as number[];
    if (p.length === 3 && [0, 1, 2].every((k) => Object.is(p[k], j[`probability_${k}`])) && Object.is(o['prediction'], j['prediction']))
      same++;
  }
  t.equal(same, jobRows.length, `all ${jobRows.length} test rows`);
  // evaluate over the job's test rows gives its MulticlassMetrics.
  const lines = readFileSync(resolve(repoRoot, 'examples/data/iris.csv'), 'utf8').split('\n');
  const testIds = new Set(jobRows.map((j) => Number(j['rowId'])));
  const file = join(scratch, 'iris-test-rows.csv');
  writeFileSync(file, [lines[0], ...lines.slice(1).filter((l, i) => l !== '' && testIds.has(i))].join('\n') + '\n');
  const ev = await evaluateLocal({ model: join(iris, 'pipeline-model'), input: file });
  const expected = JSON.parse(readFileSync(join(iris, 'metrics.json'), 'utf8')).test as Record<string, unknown>;
  t.equal(ev.family, 'multinomial');
  const m = ev.metrics as unknown as Record<string, unknown>;
  for (const k of [
    'count',
    'accuracy',
    'f1',
    'weightedPrecision',
    'weightedRecall',
    'hammingLoss',
    'confusionMatrix',
    'precisionByLabel',
  ]) {
    t.same(m[k], expected[k], `${k}`);
  }
  t.ok(Math.abs((m['logLoss'] as number) - (expected['logLoss'] as number)) < 1e-12, 'logLoss');
});

t.test('evaluate: on exactly the job’s test rows it reproduces the job’s test metrics', async (t) => {
  // The split is by row id, so the test rows are the ones in the job's predictions; bank.csv has
  // one record per line, so row id r is line r + 2. A file of those lines is the test split.
  const testIds = new Set((await rows(`select rowId from read_parquet('${job}/predictions/*.parquet')`)).map((r) => Number(r['rowId'])));
  const lines = readFileSync(bankCsv, 'utf8').split('\n');
  const file = join(scratch, 'bank-test-rows.csv');
  writeFileSync(file, [lines[0], ...lines.slice(1).filter((l, i) => l !== '' && testIds.has(i))].join('\n') + '\n');
  const r = await evaluateLocal({ model, input: file, output: join(scratch, 'eval') });
  const expected = JSON.parse(readFileSync(join(job, 'metrics.json'), 'utf8')).test as Record<string, number>;
  t.equal(r.rows, testIds.size);
  const m = r.metrics as unknown as Record<string, number>;
  for (const k of [
    'areaUnderROC',
    'areaUnderPR',
    'accuracy',
    'precision',
    'recall',
    'f1',
    'weightedPrecision',
    'weightedRecall',
    'weightedF1',
    'count',
  ]) {
    t.ok(Object.is(m[k], expected[k]), `${k}: ${m[k]} = ${expected[k]}`);
  }
  // The log-loss sum adds the same per-row terms in other partial sums (the job had 4 partitions
  // over the whole file), so only its last bits may differ.
  t.ok(Math.abs(m['logLoss']! - expected['logLoss']!) < 1e-12, `logLoss ${m['logLoss']} ≈ ${expected['logLoss']}`);
  const written = JSON.parse(readFileSync(join(scratch, 'eval', 'metrics.json'), 'utf8'));
  t.equal(written.metrics.areaUnderROC, expected['areaUnderROC']);
});

t.test('errors: missing feature columns fail before any work, naming the columns and the input', async (t) => {
  const lines = readFileSync(bankCsv, 'utf8').split('\n');
  const drop = (l: string): string =>
    l
      .split(',')
      .filter((_, i) => i !== 5 && i !== 11)
      .join(',');
  const file = join(scratch, 'no-balance.csv');
  writeFileSync(file, lines.map(drop).join('\n'));
  const out = join(scratch, 'never');
  const err = (await predictLocal({ model, input: file, output: out }).catch((e: unknown) => e)) as Error & { code: string };
  t.equal(err.code, 'E_SCHEMA');
  t.match(err.message, /no-balance\.csv: the model's feature columns 'balance', 'duration' are not in the input/);
  t.notOk(existsSync(out), 'no output folder');
  // The label is optional for predict, not for evaluate.
  const noLabel = join(scratch, 'no-label.csv');
  writeFileSync(noLabel, lines.map((l) => l.split(',').slice(0, 16).join(',')).join('\n'));
  const ok = await predictLocal({ model, input: noLabel, output: join(scratch, 'no-label-pred') });
  t.equal(ok.rows, 11162, 'predict scores rows without a label');
  const e2 = await evaluateLocal({ model, input: noLabel }).catch((e: unknown) => e as Error);
  t.match((e2 as Error).message, /label column 'deposit' is not in the input; evaluate needs it/);
});

t.test('errors: an unseen category under handleInvalid error names file, line, column and value; nothing is written', async (t) => {
  const file = editedBank('astronaut.csv', 5000, (f) => (f[1] = 'astronaut'));
  const out = join(scratch, 'astronaut-pred');
  const err = (await predictLocal({ model, input: file, output: out }).catch((e: unknown) => e)) as {
    code: string;
    message: string;
    details: Record<string, unknown>;
  };
  t.equal(err.code, 'E_INVALID_VALUE');
  t.match(err.message, /astronaut\.csv:5000: column 'job' has value 'astronaut', not seen when the StringIndexer was fitted/);
  t.match(err.details, { line: 5000, column: 'job', value: 'astronaut' });
  t.notOk(existsSync(out), 'no output folder after the failure');
  t.same(
    readdirSync(scratch).filter((f) => f.startsWith('.astronaut-pred')),
    [],
    'no staging folder left',
  );
  // A model fitted with handleInvalid skip drops the row and counts it; keep scores it in the extra bucket.
  for (const mode of ['skip', 'keep'] as const) {
    const trained = join(scratch, `bank-${mode}`);
    await runLocal(await parseJobSpecFile(bankJob, { output: trained, conf: { 'pipeline.stringIndexer.handleInvalid': mode } }), 2);
    const r = await predictLocal({ model: join(trained, 'pipeline-model'), input: file, output: join(scratch, `astronaut-${mode}`) });
    t.same([r.rows, r.skipped], mode === 'skip' ? [11161, 1] : [11162, 0], `handleInvalid ${mode}`);
  }
  // evaluate: a label value the model never saw is named.
  const maybe = editedBank('maybe.csv', 10, (f) => (f[16] = 'maybe'));
  const e2 = (await evaluateLocal({ model, input: maybe }).catch((e: unknown) => e)) as Error & { code: string };
  t.equal(e2.code, 'E_LABEL');
  t.match(e2.message, /maybe\.csv:10: label column 'deposit' has value 'maybe'; it is not among the fitted label classes/);
});

t.test('errors: a numeric feature that does not parse names file, line and column', async (t) => {
  const file = editedBank('bad-age.csv', 77, (f) => (f[0] = 'old'));
  const err = (await predictLocal({ model, input: file, output: join(scratch, 'bad-age') }).catch((e: unknown) => e)) as Error & {
    code: string;
  };
  t.equal(err.code, 'E_CSV_MALFORMED');
  t.match(err.message, /bad-age\.csv:77/);
  t.match(err.message, /age/);
  t.match(err.message, /"old"/);
});

t.test('errors: a model folder that is missing or not a pipeline, an existing output folder', async (t) => {
  const missing = (await predictLocal({ model: join(scratch, 'nope'), input: bankCsv, output: join(scratch, 'x1') }).catch(
    (e: unknown) => e,
  )) as Error;
  t.match(missing.message, /nope/);
  const lr = (await predictLocal({ model: join(job, 'model'), input: bankCsv, output: join(scratch, 'x2') }).catch(
    (e: unknown) => e,
  )) as Error & {
    code: string;
  };
  t.equal(lr.code, 'E_SCHEMA');
  t.match(lr.message, /not a PipelineModel/);
  const existing = join(scratch, 'pred-local1');
  const before = readdirSync(existing).sort();
  const exists = (await predictLocal({ model, input: bankCsv, output: existing }).catch((e: unknown) => e)) as Error & { code: string };
  t.equal(exists.code, 'E_OUTPUT');
  t.match(exists.message, /already exists; use --mode overwrite/);
  t.same(readdirSync(existing).sort(), before, 'the existing folder is untouched');
  const replaced = await predictLocal({ model, input: bankCsv, output: existing, mode: 'overwrite' });
  t.same(replaced.columns, ['rowId', 'rawPrediction', 'probability', 'prediction', 'predictedLabel'], 'overwrite replaces it');
});
