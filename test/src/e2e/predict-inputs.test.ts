/**
 * `predict` reads what a training job reads: the same rows as one CSV, as a folder of part
 * files, as gzip CSV and as Parquet written by DuckDB score to the same bits per row id (a
 * row's score does not depend on the partitioning), through the training job's input stages.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { DriverContext, parseJobSpecFile, predict, type PredictOptions } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';
import { bankCsv, bankJob } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-predict-inputs-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const job = join(scratch, 'bank');
await runLocal(await parseJobSpecFile(bankJob, { output: job }), 2);
const model = join(job, 'pipeline-model');

/** Predicts on `input` (CSV output) and returns row id → the rest of the line, from every part. */
async function scored(name: string, input: string, extra: Partial<PredictOptions> = {}): Promise<Map<string, string>> {
  const output = join(scratch, `scored-${name}`);
  const executor = new LocalExecutor({ threads: 2 });
  const driver = DriverContext.withExecutors([executor], { release: () => executor.close() });
  try {
    await predict({ model, input, output, format: 'csv', ...extra }, driver);
  } finally {
    await driver.close();
  }
  const out = new Map<string, string>();
  for (const part of readdirSync(output)
    .filter((f) => f.startsWith('part-'))
    .sort()) {
    const [, ...lines] = readFileSync(join(output, part), 'utf8').trimEnd().split('\n');
    for (const l of lines) out.set(l.slice(0, l.indexOf(',')), l.slice(l.indexOf(',') + 1));
  }
  return out;
}

t.test('predict: a folder of part files, gzip CSV and DuckDB Parquet score like the single CSV', async (t) => {
  const reference = await scored('csv', bankCsv);
  t.equal(reference.size, 11_162, 'every row scored');

  // The same rows as three part files, in path order, with Spark's marker files beside them.
  const [header, ...rows] = readFileSync(bankCsv, 'utf8').trimEnd().split('\n');
  const dir = join(scratch, 'parts');
  mkdirSync(dir);
  const cuts = [0, 4000, 8000, rows.length];
  cuts.slice(1).forEach((to, i) => writeFileSync(join(dir, `part-0000${i}.csv`), `${header}\n${rows.slice(cuts[i], to).join('\n')}\n`));
  writeFileSync(join(dir, '_SUCCESS'), '');
  t.same(await scored('dir', dir), reference, 'a folder of part files');

  const gz = join(scratch, 'bank.csv.gz');
  writeFileSync(gz, gzipSync(readFileSync(bankCsv)));
  t.same(await scored('gz', gz), reference, 'gzip CSV');

  const parquet = join(scratch, 'bank.parquet');
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(
    `COPY (SELECT * FROM read_csv('${bankCsv}', header=true, auto_type_candidates=['BIGINT','DOUBLE','VARCHAR'])) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`,
  );
  t.same(await scored('parquet', parquet), reference, 'Parquet written by DuckDB');
});
