/**
 * Input layouts end to end (local mode): a folder of part files, a glob, a list, a gzip file
 * and a Parquet file give the single CSV file's bits when the partitions hold the same rows
 * in the same order. The determinism contract combines partition sums in partition order, so
 * the comparison is between plans with the same partition boundaries: the part files are
 * cut where the single-file planner cuts, the gzip file is compared with one partition, and
 * the Parquet file's row groups match CSV part files of the same row counts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { plannedCuts, writeBankParquet, writeGzip, writePartFiles, writePartsByRows } from '../harness/input-fixtures.js';
import { bankCsv, bankJob } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-inputs-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
async function run(path: string | readonly string[], conf: Record<string, string> = {}): Promise<JobResult> {
  const spec = await parseJobSpecFile(bankJob, {
    output: join(scratch, `out-${n++}`),
    conf: { 'input.path': JSON.stringify(path), 'model.maxIter': '30', ...conf },
  });
  return runLocal(spec, 2);
}

function bits(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function same(t: Test, got: JobResult, want: JobResult, what: string): void {
  t.same(bits(got.coefficients), bits(want.coefficients), `${what}: coefficients bit-identical`);
  t.ok(Object.is(got.intercept, want.intercept), `${what}: intercept bit-identical`);
  t.same(got.metrics, want.metrics, `${what}: metrics identical`);
  t.equal(got.trainRows, want.trainRows, `${what}: same train rows`);
  t.equal(got.testRows, want.testRows, `${what}: same test rows`);
}

t.test('a folder of part files cut where the planner cuts gives the single file bits; so do a glob and a list', async (t) => {
  const cuts = await plannedCuts(bankCsv, 4);
  const dir = join(scratch, 'bank-parts');
  const parts = writePartFiles(bankCsv, cuts, dir);
  const single = await run(bankCsv, { 'input.partitions': '4' });
  same(t, await run(dir, { 'input.partitions': '4' }), single, 'folder');
  same(t, await run(dir), single, 'folder with the default partitioning (one partition per part file)');
  same(t, await run(join(dir, 'part-*.csv')), single, 'glob');
  // A list in any order reads the files in path order.
  same(t, await run([parts[2]!, join(dir, 'part-0000[01]-*.csv'), parts[3]!], { 'input.partitions': '4' }), single, 'list');
});

t.test('a gzip file gives the bits of the plain file read as one partition', async (t) => {
  const gz = writeGzip(bankCsv, join(scratch, 'bank.csv.gz'));
  const single = await run(bankCsv, { 'input.partitions': '1' });
  same(t, await run(gz), single, '.csv.gz');
  same(t, await run(gz, { 'input.partitions': '8' }), single, 'gzip stays one partition whatever input.partitions says');
  // Magic bytes win over the name: gzip data named .csv is still read as gzip.
  const disguised = writeGzip(bankCsv, join(scratch, 'bank-gzip.csv'));
  same(t, await run(disguised), single, 'gzip data in a .csv file');
});

t.test('bank.csv as Parquet (DuckDB) gives the bits of CSV part files holding the same rows as its row groups', async (t) => {
  const file = join(scratch, 'bank.parquet');
  const groups = await writeBankParquet(file, 4096);
  t.ok(groups.length >= 3, `DuckDB wrote ${groups.length} row groups (${groups.join(', ')} rows)`);
  const dir = join(scratch, 'bank-like-row-groups');
  writePartsByRows(dir, groups);
  const csv = await run(dir, { 'input.partitions': String(groups.length) });
  same(t, await run(file, { 'input.partitions': String(groups.length) }), csv, 'one row group per partition');
  same(t, await run(file, { 'input.format': 'parquet', 'input.partitions': String(groups.length) }), csv, 'input.format: parquet');
  // Several row groups grouped into one partition read as the rows of one CSV file.
  same(t, await run(file, { 'input.partitions': '1' }), await run(bankCsv, { 'input.partitions': '1' }), 'all row groups in one partition');
});

t.test('the CSV parser names the part file and its line of a malformed row', async (t) => {
  const dir = join(scratch, 'bad-parts');
  const parts = writePartsByRows(dir, [3000, 3000, 3000, 2162]);
  const lines = readFileSync(parts[2]!, 'utf8').split('\n');
  lines[1200] = lines[1200]!.split(',').slice(0, 5).join(','); // line 1201 of part-00002.csv
  writeFileSync(parts[2]!, lines.join('\n'));
  for (const partitions of ['4', '8']) {
    const err = await run(dir, { 'input.partitions': partitions }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
    );
    t.equal(err?.code, 'E_CSV_MALFORMED', `partitions ${partitions}: ${err?.message}`);
    t.match(err?.message ?? '', /part-00002\.csv:1201: expected 17 fields, found 5/);
    t.equal(err?.details['file'], parts[2], 'details name the file');
  }
});
