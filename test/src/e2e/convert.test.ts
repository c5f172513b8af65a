/**
 * `kindling convert` (the built CLI) on real files: bank.csv written as Parquet reads back in
 * DuckDB with the same values and Spark's inferred types, a training job on the converted folder
 * gives the CSV job's coefficients and metrics bit for bit (one part file per CSV partition, so
 * the partitions match), and a bad input fails before anything is written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { bankCsv, bankJob, cliMain, repoRoot } from '../harness/paths.js';

const kindling = (...args: string[]) => spawnSync(process.execPath, [cliMain, ...args], { cwd: repoRoot, encoding: 'utf8' });

t.test('convert: CSV to Parquet, read back by DuckDB, and a job on it gives the CSV job bits', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'bank-parquet');
  const r = kindling('convert', bankCsv, '--output', out, '--master', 'local[2]', '--json');
  t.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { rows: number; partitions: number; schema: Array<{ name: string; type: string }> };
  t.equal(result.rows, 11_162);
  t.match(result.schema, [
    { name: 'age', type: 'int' },
    { name: 'job', type: 'string' },
  ]);
  t.ok(existsSync(join(out, '_SUCCESS')));
  t.equal(readdirSync(out).filter((f) => f.endsWith('.parquet')).length, result.partitions, 'one part file per partition');

  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRows();
  const types = await rows(`DESCRIBE SELECT * FROM '${out}/*.parquet'`);
  t.same(
    types.slice(0, 3).map((x) => [x[0], x[1]]),
    [
      ['age', 'INTEGER'],
      ['job', 'VARCHAR'],
      ['marital', 'VARCHAR'],
    ],
    "Spark's inferred types as Parquet types",
  );
  const csvSql = `SELECT * FROM read_csv('${bankCsv}', header=true, auto_type_candidates=['INTEGER','VARCHAR'])`;
  const diff = await rows(`SELECT count(*) FROM ((${csvSql}) EXCEPT ALL (SELECT * FROM '${out}/*.parquet'))`);
  t.equal(Number(diff[0]![0]), 0, 'every CSV row is in the Parquet output');
  t.equal(Number((await rows(`SELECT count(*) FROM '${out}/*.parquet'`))[0]![0]), 11_162);

  const job = (input: string, output: string) => {
    execFileSync(
      process.execPath,
      [cliMain, 'submit', '--master', 'local[2]', bankJob, '--no-ui', '--no-progress', '--conf', `input.path=${input}`, '--output', output],
      {
        cwd: repoRoot,
        stdio: 'pipe',
      },
    );
    const run = JSON.parse(readFileSync(join(output, 'run.json'), 'utf8')) as { training: { coefficients: number[]; intercept: number } };
    return { metrics: readFileSync(join(output, 'metrics.json'), 'utf8'), ...run.training };
  };
  const fromCsv = job(bankCsv, join(dir, 'job-csv'));
  const fromParquet = job(out, join(dir, 'job-parquet'));
  t.same(fromParquet.coefficients, fromCsv.coefficients, 'the same coefficients');
  t.equal(fromParquet.intercept, fromCsv.intercept);
  t.equal(fromParquet.metrics.replace(/"job": "[^"]*"/, ''), fromCsv.metrics.replace(/"job": "[^"]*"/, ''), 'the same metrics.json');
});

t.test('convert: a bad input or flag fails before anything is written', async (t) => {
  const dir = t.testdir({});
  const bad = join(dir, 'ragged.csv');
  writeFileSync(bad, 'a,b\n1,2\n3\n');
  const out = join(dir, 'out');
  const r = kindling('convert', bad, '--output', out);
  t.equal(r.status, 1, 'a data error exits 1');
  t.match(r.stderr, /ragged\.csv.*3/, 'names the file and line');
  t.notOk(existsSync(out), 'no output folder');
  t.same(
    readdirSync(dir).filter((f) => f.startsWith('.')),
    [],
    'no staging folder left',
  );
  const usage = kindling('convert', bankCsv, '--output', out, '--conf', 'input.format=xml');
  t.equal(usage.status, 2);
  t.match(usage.stderr, /input\.format=xml.*expected auto, csv or parquet/);
  t.equal(kindling('convert', bankCsv).status, 2, '--output is required');
});
