/**
 * The reference pipeline's four steps as separate `kindling` runs (docs/pipeline-steps.md), each
 * reading the previous one's files: convert (load) → submit with model.type none (fit the
 * feature pipeline, write features and the test split) → submit with input.format features
 * (train from the saved features) → evaluate the saved model on the saved test split. The
 * trained model and every metric must be the one-run `kindling submit`'s, bit for bit, also when
 * a memory budget evicts the feature blocks and they are read again from their parts. Also:
 * vectors Spark-style tools write (DuckDB here: dense structs, optional list elements) train,
 * and bad features folders fail naming the file and the column, with nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { DriverContext, EventBus, parseJobSpecFile } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';
import { bankCsv, bankJob, cliMain, repoRoot } from '../harness/paths.js';

const kindling = (...args: string[]) => spawnSync(process.execPath, [cliMain, ...args], { cwd: repoRoot, encoding: 'utf8' });
// bank.csv is one partition by default: three make the per-partition merges part of what is compared.
const common = ['--master', 'local[2]', '--no-ui', '--no-progress', '--no-event-log', '--log-level', 'warn'];
const submit = (output: string, ...conf: string[]) =>
  kindling('submit', ...common, bankJob, '--output', output, ...conf.flatMap((c) => ['--conf', c]));

interface RunJson {
  training: { coefficients: number[]; intercept: number; objectiveHistory: number[] };
}
const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const noStaging = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.'));

t.test('pipeline steps: load, fit, train from features, evaluate on the test split give the one-run job bit for bit', async (t) => {
  const dir = t.testdir({});
  const one = join(dir, 'one');
  const r0 = submit(one, 'input.partitions=3', 'output.testSplit=true');
  t.equal(r0.status, 0, r0.stderr);

  // 1. Load: CSV → Parquet, one part per partition.
  const load = join(dir, 'load');
  const r1 = kindling('convert', bankCsv, '--output', load, '--master', 'local[2]', '--conf', 'input.partitions=3');
  t.equal(r1.status, 0, r1.stderr);

  // 2. Fit without training.
  const fit = join(dir, 'fit');
  const r2 = submit(fit, `input.path=${load}`, 'model.type=none', 'output.testSplit=true');
  t.equal(r2.status, 0, r2.stderr);
  t.match(r2.stdout, /fitted the feature pipeline \(\d+ features\).*no model trained/);
  t.ok(existsSync(join(fit, '_SUCCESS')));
  t.notOk(existsSync(join(fit, 'model')), 'no model is trained');
  t.notOk(existsSync(join(fit, 'predictions')), 'nothing is scored');
  const stages = readdirSync(join(fit, 'pipeline-model', 'stages'));
  t.ok(stages.length > 0 && stages.every((s) => !/LogisticRegression/.test(s)), 'the fitted stages, without a classifier');
  t.same(readdirSync(join(fit, 'features', 'train')).filter((f) => f.endsWith('.parquet')).length, 3, 'one features part per partition');
  const refused = kindling('predict', '--model', join(fit, 'pipeline-model'), bankCsv, '--output', join(dir, 'scored'));
  t.not(refused.status, 0, 'a pipeline without a classifier cannot score');
  t.match(refused.stderr, /last stage must be a LogisticRegressionModel/);

  // 3. Train from the saved features: no feature pipeline runs.
  const train = join(dir, 'train');
  const r3 = submit(train, 'input.format=features', `input.path=${join(fit, 'features')}`);
  t.equal(r3.status, 0, r3.stderr);
  const a = json<RunJson>(join(one, 'run.json')).training;
  const b = json<RunJson>(join(train, 'run.json')).training;
  t.same(b.coefficients, a.coefficients, 'the same coefficients');
  t.equal(b.intercept, a.intercept, 'the same intercept');
  t.same(b.objectiveHistory, a.objectiveHistory, 'the same objective history');
  t.equal(readFileSync(join(train, 'metrics.json'), 'utf8'), readFileSync(join(one, 'metrics.json'), 'utf8'), 'the same metrics.json');
  for (const p of readdirSync(join(one, 'predictions')).filter((f) => f.endsWith('.parquet'))) {
    t.same(readFileSync(join(train, 'predictions', p)), readFileSync(join(one, 'predictions', p)), `predictions/${p} byte for byte`);
  }
  t.same(
    json<object>(join(train, 'pipeline-model', 'pipeline.json')),
    json<object>(join(one, 'pipeline-model', 'pipeline.json')),
    'the whole PipelineModel, feature stages from the features footer',
  );

  // The test split written by the fit run and by the one-run job hold the same rows.
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRows();
  const testRows = json<{ testRows: number }>(join(one, 'metrics.json')).testRows;
  t.equal(Number((await rows(`SELECT count(*) FROM '${fit}/test-split/*.parquet'`))[0]![0]), testRows, 'every test row');
  const diff = await rows(`SELECT count(*) FROM ((FROM '${fit}/test-split/*.parquet') EXCEPT ALL (FROM '${one}/test-split/*.parquet'))`);
  t.equal(Number(diff[0]![0]), 0, 'the fit run writes the same test split');
  const cols = (await rows(`DESCRIBE SELECT * FROM '${fit}/test-split/*.parquet'`)).map((x) => x[0]);
  t.equal(cols[0], 'rowId');
  t.ok(
    ['contact', 'day', 'month', 'default'].every((c) => cols.includes(c)),
    'dropped columns are kept: every input column',
  );

  // 3b. The same training under a memory budget far below its blocks: feature blocks are
  // evicted and read again from their parts (the plan names features-load as their producer).
  const executor = new LocalExecutor({ threads: 2, memoryBytes: 64 * 1024 });
  const driver = DriverContext.withExecutors([executor], { events: new EventBus(), release: () => executor.close() });
  try {
    const spec = await parseJobSpecFile(bankJob, {
      output: join(dir, 'train-budget'),
      conf: { 'input.format': 'features', 'input.path': join(fit, 'features') },
    });
    const bounded = await driver.runJob(spec);
    const stats = executor.memoryStats();
    t.ok(stats.evictions > 0 && stats.rebuilds > 0, `blocks evicted (${stats.evictions}) and rebuilt from their parts (${stats.rebuilds})`);
    t.same([...bounded.coefficients], a.coefficients, 'the same coefficients under the budget');
    t.equal(bounded.intercept, a.intercept, 'the same intercept under the budget');
  } finally {
    await driver.close();
  }

  // 4. Evaluate the trained pipeline on the saved test split: the job's own test metrics.
  const r4 = kindling(
    'evaluate',
    '--master',
    'local[2]',
    '--model',
    join(train, 'pipeline-model'),
    join(fit, 'test-split'),
    '--output',
    join(dir, 'eval'),
  );
  t.equal(r4.status, 0, r4.stderr);
  const jobTest = json<{ test: Record<string, unknown> }>(join(one, 'metrics.json')).test;
  const evaluated = json<{ metrics: Record<string, unknown> }>(join(dir, 'eval', 'metrics.json')).metrics;
  for (const [k, v] of Object.entries(jobTest)) t.same(evaluated[k], v, `test ${k} bit for bit`);
});

t.test('pipeline steps: training from saved features keeps the bits for multinomial, weighted and spark-2.3 jobs', async (t) => {
  const dir = t.testdir({});
  const bank = readFileSync(bankCsv, 'utf8').trimEnd().split('\n');
  const weighted = join(dir, 'weighted.csv');
  writeFileSync(weighted, [`${bank[0]},w`, ...bank.slice(1).map((l, i) => `${l},${((i + 1) % 4) + 0.5}`)].join('\n') + '\n');
  const jobs: Array<{ name: string; file: string; conf: string[] }> = [
    { name: 'multinomial (iris)', file: join(repoRoot, 'examples/iris-multinomial.yaml'), conf: [] },
    { name: 'weighted', file: bankJob, conf: [`input.path=${weighted}`, 'pipeline.weight=w', 'input.partitions=2'] },
    { name: 'compat spark-2.3 (tutorial)', file: join(repoRoot, 'examples/spark-tutorial.yaml'), conf: [] },
  ];
  for (const job of jobs) {
    const run = (output: string, ...conf: string[]) => {
      const r = kindling('submit', ...common, job.file, '--output', output, ...[...job.conf, ...conf].flatMap((c) => ['--conf', c]));
      t.equal(r.status, 0, `${job.name}: ${r.stderr}`);
    };
    const one = join(dir, `${job.name}-one`);
    const fit = join(dir, `${job.name}-fit`);
    const train = join(dir, `${job.name}-train`);
    run(one);
    run(fit, 'model.type=none');
    run(train, 'input.format=features', `input.path=${join(fit, 'features')}`);
    t.same(
      json<RunJson>(join(train, 'run.json')).training,
      json<RunJson>(join(one, 'run.json')).training,
      `${job.name}: the same training record`,
    );
    t.equal(
      readFileSync(join(train, 'metrics.json'), 'utf8'),
      readFileSync(join(one, 'metrics.json'), 'utf8'),
      `${job.name}: the same metrics.json`,
    );
  }
});

/** Writes `select` as one Parquet file with DuckDB. */
async function duckParquet(file: string, select: string): Promise<void> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
}

const dense = (values: string) => `{'type': 1::TINYINT, 'size': NULL::INTEGER, 'indices': NULL::INTEGER[], 'values': ${values}::DOUBLE[]}`;
const rowsOf = (n: number, d: number, seed: number) =>
  `SELECT (hash(i + ${seed}) % 2)::DOUBLE AS label, ${dense(`[${Array.from({ length: d }, (_, j) => `((hash(i * ${j + 3} + ${seed}) % 1000) / 1000.0 + (hash(i + ${seed}) % 2) * ${j === 0 ? 0.8 : 0.1})`).join(', ')}]`)} AS features FROM range(${n}) t(i)`;

t.test('pipeline steps: vectors another tool wrote (dense VectorUDT structs) train with every slot numeric', async (t) => {
  const dir = t.testdir({ features: { train: {}, test: {} } });
  await duckParquet(join(dir, 'features', 'train', 'part-00000.parquet'), rowsOf(400, 3, 1));
  await duckParquet(join(dir, 'features', 'train', 'part-00001.parquet'), rowsOf(300, 3, 2));
  // An empty part (a partition with no rows of this split) knows no vector size.
  await duckParquet(join(dir, 'features', 'train', 'part-00002.parquet'), rowsOf(0, 3, 5));
  await duckParquet(join(dir, 'features', 'test', 'part-00000.parquet'), rowsOf(200, 3, 3));
  const out = join(dir, 'out');
  const run = kindling(
    'submit',
    ...common,
    '--json',
    bankJob,
    '--output',
    out,
    '--conf',
    'input.format=features',
    '--conf',
    `input.path=${join(dir, 'features')}`,
  );
  t.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { trainRows: number; testRows: number; metrics: { test: { areaUnderROC: number } } };
  t.equal(result.trainRows, 700);
  t.equal(result.testRows, 200);
  t.ok(result.metrics.test.areaUnderROC > 0.7, `the label is learnt (test AUC ${result.metrics.test.areaUnderROC})`);
  t.equal(json<RunJson>(join(out, 'run.json')).training.coefficients.length, 3, 'one coefficient per slot');
  t.ok(existsSync(join(out, 'model', 'metadata', 'part-00000')), 'the LogisticRegressionModel is saved');
  t.notOk(existsSync(join(out, 'pipeline-model')), 'no PipelineModel: the files record no feature pipeline');
});

t.test('pipeline steps: a bad features folder fails naming the file and the column, with nothing written', async (t) => {
  const cases: Array<{ name: string; train: string[]; test: string[]; message: RegExp }> = [
    {
      name: 'no vector column',
      train: [`SELECT 1.0::DOUBLE AS label, 0.5::DOUBLE AS x FROM range(3)`],
      test: [rowsOf(3, 2, 1)],
      message: /train\/part-00000\.parquet: no vector column 'features'/,
    },
    {
      name: 'no label column',
      train: [rowsOf(3, 2, 1)],
      test: [`SELECT ${dense('[1.0, 2.0]')} AS features FROM range(3)`],
      message: /test\/part-00000\.parquet: no label column 'label'/,
    },
    {
      name: 'vectors of different sizes across files',
      train: [rowsOf(5, 2, 1)],
      test: [rowsOf(5, 3, 2)],
      message:
        /test\/part-00000\.parquet: column 'features' holds vectors of size 3, but .*train\/part-00000\.parquet holds vectors of size 2/,
    },
    {
      name: 'vectors of different sizes within a file',
      train: [`SELECT 0.0::DOUBLE AS label, ${dense('[1.0, 2.0]')} AS features UNION ALL SELECT 1.0, ${dense('[1.0]')}`],
      test: [rowsOf(3, 2, 1)],
      message: /train\/part-00000\.parquet, row 2: column 'features' holds a vector of size 1, expected 2/,
    },
    {
      name: 'a label that is not a class index',
      train: [`SELECT 0.5::DOUBLE AS label, ${dense('[1.0, 2.0]')} AS features`],
      test: [rowsOf(3, 2, 1)],
      message: /train\/part-00000\.parquet, row 1: label column 'label' is 0\.5/,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const dir = t.testdir({});
      for (const split of ['train', 'test'] as const) {
        mkdirSync(join(dir, 'features', split), { recursive: true });
        for (const [i, sql] of c[split].entries()) await duckParquet(join(dir, 'features', split, `part-0000${i}.parquet`), sql);
      }
      const out = join(dir, 'out');
      const r = submit(out, 'input.format=features', `input.path=${join(dir, 'features')}`);
      t.equal(r.status, 1, 'a data error exits 1, as the other bad inputs');
      t.match(r.stderr, c.message);
      t.notOk(existsSync(out), 'no output folder');
      t.same(noStaging(dir), [], 'no staging folder left');
    });
  }

  await t.test('a folder without test/', async (t) => {
    const dir = t.testdir({ features: { train: {} } });
    await duckParquet(join(dir, 'features', 'train', 'part-00000.parquet'), rowsOf(3, 2, 1));
    const r = submit(join(dir, 'out'), 'input.format=features', `input.path=${join(dir, 'features')}`);
    t.equal(r.status, 1);
    t.match(r.stderr, /features\/test does not exist/);
    t.notOk(existsSync(join(dir, 'out')));
  });

  await t.test('a features input cannot be fitted again', async (t) => {
    const r = submit(join(t.testdir({}), 'out'), 'input.format=features', 'model.type=none');
    t.equal(r.status, 2, 'a job-spec error exits 2');
    t.match(r.stderr, /model\.type: a features input is already fitted/);
  });
});
