/**
 * `kindling predict` and `kindling evaluate` as a user runs them: the built binary
 * (cli/dist/src/main.js) in a child process, on a model the bank job saved. The Parquet output
 * is read back with DuckDB (an independent reader): Spark's columns and types, and values that
 * hold together (labels, probabilities, row ids, kept columns). Usage mistakes exit 2 with the
 * usage hint before any work; an existing output folder exits 1 and is left alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseJobSpecFile } from '@kindling/coordinator';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankCsv, bankJob, cliMain, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-predict-cli-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

function kindling(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliMain, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const db = await (await DuckDBInstance.create(':memory:')).connect();
const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
  (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];

const job = join(scratch, 'bank');
await runLocal(await parseJobSpecFile(bankJob, { output: job }), 2);
const model = join(job, 'pipeline-model');

t.test('kindling predict writes Spark-shaped Parquet that DuckDB reads back', async (t) => {
  const out = join(scratch, 'scored');
  const r = await kindling([
    'predict',
    '--model',
    model,
    '--master',
    'local[2]',
    bankCsv,
    '--output',
    out,
    '--keep',
    'job,age',
    '--no-progress',
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^scored 11162 rows of bank\.csv in [\d.]+ s/);
  t.match(r.stdout, /columns: rowId, rawPrediction, probability, prediction, predictedLabel, job, age/);
  t.match(r.stdout, new RegExp(`output: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(parquet\\)`));
  t.ok(readdirSync(out).includes('_SUCCESS'));
  const schema = await rows(
    `select column_name as name, column_type as type from (describe select * from read_parquet('${out}/*.parquet'))`,
  );
  const vector = 'STRUCT("type" TINYINT, size INTEGER, indices INTEGER[], "values" DOUBLE[])';
  t.same(schema, [
    { name: 'rowId', type: 'BIGINT' },
    { name: 'rawPrediction', type: vector },
    { name: 'probability', type: vector },
    { name: 'prediction', type: 'DOUBLE' },
    { name: 'predictedLabel', type: 'VARCHAR' },
    { name: 'job', type: 'VARCHAR' },
    { name: 'age', type: 'INTEGER' },
  ]);
  const [summary] = await rows(`
    select count(*)::int as n, count(distinct rowId)::int as ids, min(rowId)::int as lo, max(rowId)::int as hi,
           count(*) filter (where probability.type = 1 and len(probability."values") = 2 and abs(probability."values"[1] + probability."values"[2] - 1) < 1e-15)::int as probs,
           count(*) filter (where rawPrediction."values"[1] = -rawPrediction."values"[2])::int as margins,
           count(*) filter (where (prediction = 1) = (probability."values"[2] > 0.5))::int as thresholded,
           count(*) filter (where predictedLabel = case when prediction = 1 then 'yes' else 'no' end)::int as labelled
    from read_parquet('${out}/*.parquet')`);
  t.same(summary, { n: 11162, ids: 11162, lo: 0, hi: 11161, probs: 11162, margins: 11162, thresholded: 11162, labelled: 11162 });
  const [first] = await rows(`select job, age from read_parquet('${out}/*.parquet') where rowId = 0`);
  t.same(first, { job: 'admin.', age: 59 }, 'the first data line of bank.csv: 59,admin.,…');

  const again = await kindling(['predict', '--model', model, '--master', 'local[1]', bankCsv, '--output', out, '--no-progress']);
  t.equal(again.code, 1, 'an existing output folder is a failure, not a usage error');
  t.match(again.stderr, /already exists; use --mode overwrite/);
  t.equal(readdirSync(out).length, 5, 'left as it was');
});

t.test('kindling predict --master nats://… writes the same bytes as local mode', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const local = join(scratch, 'scored-local-csv');
  const remote = join(scratch, 'scored-nats-csv');
  const common = ['--model', model, bankCsv, '--format', 'csv', '--keep', 'job', '--conf', 'input.partitions=5', '--no-progress'];
  const a = await kindling(['predict', ...common, '--master', 'local[1]', '--output', local]);
  t.equal(a.code, 0, a.stderr);
  const b = await kindling(['predict', ...common, '--master', cluster.url, '--executor-wait', '10000', '--output', remote]);
  t.equal(b.code, 0, b.stderr);
  t.match(b.stdout, /scored 11162 rows of bank\.csv .*5 partitions/);
  const files = readdirSync(local).sort();
  t.same(readdirSync(remote).sort(), files);
  t.equal(files.filter((f) => f.endsWith('.csv')).length, 5);
  for (const f of files) t.ok(readFileSync(join(local, f)).equals(readFileSync(join(remote, f))), `${f} byte-identical`);
});

t.test('kindling evaluate prints the job’s metric table and --json', async (t) => {
  const r = await kindling(['evaluate', '--model', model, '--master', 'local[2]', bankCsv, '--no-progress']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /bank\.csv: 11162 rows \(binomial, labels no, yes\)/);
  for (const m of ['areaUnderROC', 'areaUnderPR', 'accuracy', 'precision', 'recall', 'f1', 'weightedF1', 'logLoss'])
    t.match(r.stdout, new RegExp(`\\n${m} +0\\.\\d{6}\\n`));
  t.match(r.stdout, /\ncount +11162\n/);
  const j = await kindling(['evaluate', '--model', model, '--master', 'local[1]', bankCsv, '--json', '--no-progress']);
  t.equal(j.code, 0, j.stderr);
  const parsed = JSON.parse(j.stdout) as { rows: number; metrics: Record<string, number> };
  t.equal(parsed.rows, 11162);
  t.ok(parsed.metrics['areaUnderROC']! > 0.85 && parsed.metrics['areaUnderROC']! < 0.95);
});

t.test('usage mistakes exit 2 with the usage hint before any work', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['no --output', ['predict', '--model', model, bankCsv], /required option '--output <dir>' not specified/],
    ['no --model', ['predict', bankCsv, '--output', join(scratch, 'u1')], /required option '--model <dir>' not specified/],
    [
      'a missing model folder',
      ['predict', '--model', join(scratch, 'nope'), bankCsv, '--output', join(scratch, 'u2')],
      /nope: no such folder/,
    ],
    [
      'a bad format',
      ['predict', '--model', model, bankCsv, '--output', join(scratch, 'u3'), '--format', 'json'],
      /Allowed choices are parquet, csv/,
    ],
    ['a bad master', ['predict', '--model', model, bankCsv, '--output', join(scratch, 'u4'), '--master', 'local[0]'], /--master/],
    ['an empty --keep name', ['predict', '--model', model, bankCsv, '--output', join(scratch, 'u5'), '--keep', 'job,'], /--keep/],
    [
      'a bad mode',
      ['predict', '--model', model, bankCsv, '--output', join(scratch, 'u6'), '--mode', 'append'],
      /Allowed choices are error, overwrite/,
    ],
    [
      'an unknown --conf key',
      ['predict', '--model', model, bankCsv, '--output', join(scratch, 'u7'), '--conf', 'model.maxIter=3'],
      /unknown key/,
    ],
    ['evaluate without an input', ['evaluate', '--model', model], /missing required argument 'input'/],
  ];
  for (const [what, args, message] of cases) {
    const r = await kindling(args);
    t.equal(r.code, 2, `${what}: exit 2`);
    t.match(r.stderr, message, `${what}: ${r.stderr.trim().split('\n')[0]}`);
  }
  const bad = await kindling(cases[0]![1]);
  t.match(bad.stderr, /kindling predict --help shows every option/, 'the usage hint');
  t.same(
    readdirSync(scratch).filter((f) => /^u\d$/.test(f)),
    [],
    'no output folder was created',
  );
  const help = await kindling(['predict', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: kindling predict \[options\] <input>/);
  for (const f of [
    '--model <dir>',
    '--output <dir>',
    '--format <format>',
    '--keep <columns>',
    '--mode <mode>',
    '--master <url>',
    '--conf <key=value>',
    '--nats-tls-ca <file>',
  ])
    t.match(help.stdout, f);
});
