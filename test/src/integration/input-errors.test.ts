/**
 * Bad inputs of every layout: each fails before any task runs with an error that names the
 * file (or folder, or glob) and what is wrong with it, and leaves nothing at the output path.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { EventBus, parseJobSpec } from '@kindling/coordinator';
import { bankCsv } from '../harness/paths.js';
import { duckdb, writeBankParquet, writePartsByRows } from '../harness/input-fixtures.js';
import { runLocal } from '../harness/run-local.js';

const dir = mkdtempSync(join(tmpdir(), 'kindling-bad-inputs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bank = readFileSync(bankCsv);

let n = 0;
async function rejects(t: Test, input: object, code: string, pattern: RegExp): Promise<void> {
  const out = join(dir, `out-${n++}`);
  const spec = parseJobSpec({ name: 'bad', input, pipeline: { label: 'deposit' }, model: { maxIter: 3 }, output: { path: out } }, dir);
  const events = new EventBus();
  let tasks = 0;
  events.on('stage-submitted', () => void tasks++);
  const err = await runLocal(spec, 2, events).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  t.equal(err?.code, code, `${code}: ${err?.message}`);
  t.match(err?.message ?? '', pattern);
  t.equal(tasks, 0, 'no stage was submitted: nothing ran');
  t.notOk(existsSync(out), 'no output folder is left behind');
  t.notOk(
    readdirSync(dir).some((f) => f.includes('staging')),
    'no staging folder is left behind',
  );
}

t.test('a folder with no data files names the folder', async (t) => {
  const empty = join(dir, 'spark-out');
  mkdirSync(join(empty, '_temporary', '0'), { recursive: true });
  writeFileSync(join(empty, '_SUCCESS'), '');
  writeFileSync(join(empty, '._SUCCESS.crc'), 'x');
  writeFileSync(join(empty, '_temporary', '0', 'part-00000.csv'), bank);
  writeFileSync(join(empty, 'part-00001.csv'), '');
  await rejects(
    t,
    { path: 'spark-out' },
    'E_IO',
    /spark-out: the folder has no data files \(\d+ hidden, bookkeeping or empty file\(s\) skipped\)/,
  );
});

t.test('a glob that matches nothing names the glob', async (t) => {
  await rejects(t, { path: 'data/2026-*/part-*.csv' }, 'E_IO', /data\/2026-\*\/part-\*\.csv: the glob matched no data files/);
});

t.test('files with different headers: the differing file is named, with expected and found columns', async (t) => {
  const parts = join(dir, 'mixed-headers');
  const [, second] = writePartsByRows(parts, [100, 100, 100]);
  const text = readFileSync(second!, 'utf8');
  writeFileSync(second!, text.replace(/^age,job/, 'age,occupation'));
  await rejects(
    t,
    { path: 'mixed-headers' },
    'E_CSV_HEADER',
    /part-00001\.csv: its header differs from .*part-00000\.csv: expected columns \[age, job, .*\], found \[age, occupation, /,
  );
});

t.test('a truncated gzip file is named', async (t) => {
  const gz = gzipSync(bank);
  writeFileSync(join(dir, 'cut.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  await rejects(t, { path: 'cut.csv.gz' }, 'E_INPUT_FORMAT', /cut\.csv\.gz: cannot decompress: the gzip stream is truncated/);
  const bad = Buffer.from(gz);
  bad.fill(0x41, 2000, 2100);
  writeFileSync(join(dir, 'corrupt.csv.gz'), bad);
  await rejects(t, { path: 'corrupt.csv.gz' }, 'E_INPUT_FORMAT', /corrupt\.csv\.gz: cannot decompress: /);
});

t.test('an unsupported compression is named', async (t) => {
  writeFileSync(join(dir, 'bank.csv.bz2'), Buffer.concat([Buffer.from('BZh91AY&SY'), bank.subarray(0, 100)]));
  await rejects(t, { path: 'bank.csv.bz2' }, 'E_INPUT_FORMAT', /bank\.csv\.bz2: unsupported compression \(bzip2\)/);
  writeFileSync(join(dir, 'bank.csv.zst'), Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), bank.subarray(0, 100)]));
  await rejects(t, { path: 'bank.csv.zst' }, 'E_INPUT_FORMAT', /bank\.csv\.zst: unsupported compression \(zstd\)/);
});

t.test('a .parquet file without PAR1 magic is not read as CSV', async (t) => {
  writeFileSync(join(dir, 'fake.parquet'), bank);
  await rejects(t, { path: 'fake.parquet' }, 'E_INPUT_FORMAT', /fake\.parquet is not a Parquet file: no PAR1 magic/);
  await rejects(t, { path: bankCsv, format: 'parquet' }, 'E_INPUT_FORMAT', /bank\.csv is not a Parquet file/);
});

t.test('a Parquet file with a LIST column names the file and the column', async (t) => {
  const file = join(dir, 'lists.parquet');
  await duckdb(`COPY (SELECT i AS age, [i, i + 1] AS visits, 'yes' AS deposit FROM range(10) t(i)) TO '${file}' (FORMAT parquet)`);
  await rejects(t, { path: 'lists.parquet' }, 'E_INPUT_FORMAT', /lists\.parquet: column "visits" has an unsupported Parquet type \(LIST\)/);
  const blob = join(dir, 'blob.parquet');
  await duckdb(`COPY (SELECT i AS age, 'x'::BLOB AS raw, 'yes' AS deposit FROM range(10) t(i)) TO '${blob}' (FORMAT parquet)`);
  await rejects(
    t,
    { path: 'blob.parquet' },
    'E_INPUT_FORMAT',
    /blob\.parquet: column "raw" has an unsupported Parquet type \(BYTE_ARRAY without/,
  );
});

t.test('Parquet files of one input with different schemas: the differing file is named', async (t) => {
  const folder = join(dir, 'pq-parts');
  mkdirSync(folder);
  await writeBankParquet(join(folder, 'part-0.parquet'), 4096);
  await duckdb(
    `COPY (SELECT * REPLACE (age::DOUBLE AS age) FROM read_csv('${bankCsv}', header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) ` +
      `TO '${join(folder, 'part-1.parquet')}' (FORMAT parquet)`,
  );
  await rejects(
    t,
    { path: 'pq-parts' },
    'E_SCHEMA',
    /part-1\.parquet: its schema differs from .*part-0\.parquet: expected columns \[age: long, /,
  );
});

t.test('CSV and Parquet mixed in one input: the odd file is named', async (t) => {
  const folder = join(dir, 'mixed-formats');
  mkdirSync(folder);
  writeFileSync(join(folder, 'a.csv'), bank);
  await writeBankParquet(join(folder, 'b.parquet'), 4096);
  await rejects(t, { path: 'mixed-formats' }, 'E_INPUT_FORMAT', /b\.parquet is parquet but .*a\.csv is csv/);
});

// Offsets planned from one file (split points, row groups, a Parquet footer) are meaningless in
// another: a file replaced after planning fails its tasks with E_IO saying so, never a decode
// error about a damaged file or E_INTERNAL, and no output is left.
for (const format of ['csv', 'parquet'] as const) {
  t.test(`a ${format} input replaced once the job has started fails saying the file changed, and leaves no output`, async (t) => {
    const file = join(dir, `replaced.${format}`);
    const replacement = join(dir, `replacement.${format}`);
    if (format === 'csv') {
      writeFileSync(file, bank);
      writeFileSync(replacement, Buffer.concat([bank, bank.subarray(bank.indexOf('\n') + 1)]));
    } else {
      await writeBankParquet(file, 4096);
      await writeBankParquet(replacement, 1000, 'uncompressed');
    }
    const out = join(dir, `out-replaced-${format}`);
    const spec = parseJobSpec(
      { name: 'replaced', input: { path: file }, pipeline: { label: 'deposit' }, model: { maxIter: 3 }, output: { path: out } },
      dir,
    );
    const events = new EventBus();
    // Listeners run inside emit, before the stage's tasks are sent: the file changes under the plan.
    const off = events.on('stage-submitted', () => {
      off();
      writeFileSync(file, readFileSync(replacement));
    });
    const err = await runLocal(spec, 2, events).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    t.ok(err, 'the job fails');
    t.match(
      err?.message ?? '',
      new RegExp(
        `${file.replace(/[.]/g, '\\.')}: has \\d+ bytes now, \\d+ when the job was planned \\(was it changed while the job ran\\?\\)`,
      ),
    );
    t.notMatch(err?.message ?? '', /E_INTERNAL|cannot decode|footer/);
    t.notOk(existsSync(out), 'no output folder is left behind');
  });
}
