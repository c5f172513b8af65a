/**
 * Parquet input, read back exactly: files written by DuckDB (an independent writer) with
 * every supported type, nulls, several row groups, dictionary-encoded strings and the snappy,
 * zstd and gzip codecs are planned by the driver (planInputFiles) and loaded by the csv-load
 * op as an executor's worker runs it, then compared value by value with DuckDB's own reading
 * of the same file. Kindling's types: INT32 → int, INT64 → long, FLOAT/DOUBLE/DECIMAL →
 * double, BOOLEAN → boolean (0/1), VARCHAR → string, DATE → 'YYYY-MM-DD', TIMESTAMP → ISO-8601
 * with the unit's digits (a 'Z' for TIMESTAMPTZ).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpec, planInputFiles } from '@kindling/coordinator';
import {
  dictionaryValue,
  dictionaryValues,
  lineageOf,
  partitionByteLength,
  partitionByteRanges,
  taskOp,
  type ColumnBatch,
  type JobPlan,
} from '@kindling/shared';
import { duckdb, writeBankParquet } from '../harness/input-fixtures.js';
import { bankCsv } from '../harness/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-parquet-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const ROWS = 10_000;
const SELECT = `SELECT
    (i * 7 - 30000)::INTEGER AS i32,
    CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 1234567891)::BIGINT - 5000000000000 END AS i64,
    i / 7.0 AS dbl,
    CASE WHEN i % 13 = 0 THEN NULL ELSE (i / 3.0)::FLOAT END AS flt,
    CASE WHEN i % 17 = 0 THEN NULL ELSE i % 3 = 0 END AS bool,
    CASE WHEN i % 5 = 0 THEN NULL ELSE ['admin.', 'blue-collar', 'technician', 'ünïcode ✓'][i % 4 + 1] END AS job,
    'row ' || i AS label,
    (i * 1.25)::DECIMAL(12, 2) AS price,
    CASE WHEN i % 7 = 0 THEN NULL ELSE DATE '1969-12-25' + (i * 3)::INTEGER END AS day,
    TIMESTAMP '1969-12-31 23:59:58.5' + to_microseconds(i * 1234567) AS ts,
    TIMESTAMPTZ '2026-03-01 12:00:00+00' + to_microseconds(i * 1001) AS tstz
  FROM range(${ROWS}) t(i)`;

/** DuckDB's reading of the file, as the strings Kindling should produce (null as null). */
async function expected(file: string): Promise<(string | number | null)[][]> {
  return duckdb<(string | number | null)[]>(
    "SET TimeZone = 'UTC'",
    `SELECT i32::DOUBLE, i64::DOUBLE, dbl, flt::DOUBLE, CASE WHEN bool THEN 1.0 WHEN NOT bool THEN 0.0 END, job, label, price::DOUBLE,
       strftime(day, '%Y-%m-%d'), strftime(ts, '%Y-%m-%dT%H:%M:%S.%f'), strftime(tstz, '%Y-%m-%dT%H:%M:%S.%fZ')
     FROM read_parquet('${file}')`,
  );
}

/** Loads partition `index` of the plan as the worker does (its bytes read from the file, then csv-load's kernel). */
function load(plan: JobPlan, index: number): ColumnBatch {
  const lineage = lineageOf(plan, index);
  const bytes = Buffer.alloc(partitionByteLength(lineage.source));
  const fd = openSync(lineage.source.file, 'r');
  let at = 0;
  for (const [s, e] of partitionByteRanges(lineage.source)) at += readSync(fd, bytes, at, e - s, s);
  closeSync(fd);
  return taskOp('csv-load').run(bytes, lineage, {}).blocks!.rows!;
}

function valueAt(batch: ColumnBatch, c: number, i: number): string | number | null {
  const col = batch.columns[c]!;
  if (col.kind === 'string') return col.codes[i] === -1 ? null : dictionaryValue(col.dict, col.codes[i]!);
  return col.nulls?.[i] === 1 ? null : col.values[i]!;
}

for (const [codec, version] of [
  ['snappy', 'V1'],
  ['zstd', 'V1'],
  ['gzip', 'V1'],
  ['zstd', 'V2'],
] as const) {
  t.test(
    `parquet (${codec}, PARQUET_VERSION ${version}: ${version === 'V2' ? 'delta and RLE dictionary encodings' : 'plain and dictionary'}): every supported type read back exactly, across row groups`,
    async (t) => {
      const file = join(scratch, `types-${codec}-${version}.parquet`);
      await duckdb(`COPY (${SELECT}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION ${codec}, PARQUET_VERSION ${version})`);
      const meta = await duckdb<[string, string, bigint]>(
        `SELECT DISTINCT compression, encodings, row_group_id FROM parquet_metadata('${file}') WHERE path_in_schema = 'job'`,
      );
      t.ok(meta.length >= 4, `${meta.length} row groups`);
      t.ok(
        meta.some(([, enc]) => String(enc).includes('DICTIONARY')),
        `the string column is dictionary encoded (${String(meta[0]![1])})`,
      );
      t.ok(
        meta.every(([c]) => String(c).toLowerCase() === codec),
        `pages are ${codec}-compressed`,
      );

      const spec = parseJobSpec({ input: { path: file, partitions: 3 }, pipeline: { label: 'bool' } }, scratch);
      const { plan } = await planInputFiles(spec.input, false, 1);
      t.strictSame(plan.schema, [
        { name: 'i32', type: 'int' },
        { name: 'i64', type: 'long' },
        { name: 'dbl', type: 'double' },
        { name: 'flt', type: 'double' },
        { name: 'bool', type: 'boolean' },
        { name: 'job', type: 'string' },
        { name: 'label', type: 'string' },
        { name: 'price', type: 'double' },
        { name: 'day', type: 'string' },
        { name: 'ts', type: 'string' },
        { name: 'tstz', type: 'string' },
      ]);
      t.equal(plan.partitions.length, 3, 'row groups grouped into the 3 partitions asked for');
      t.ok(
        plan.partitions.every((p) => p.rowGroups![1] > p.rowGroups![0]),
        'each partition is a run of whole row groups',
      );

      const want = await expected(file);
      const batches = plan.partitions.map((_, i) => load(plan, i));
      t.equal(
        batches.reduce((a, b) => a + b.numRows, 0),
        ROWS,
        'every row once',
      );
      let row = 0;
      let mismatches = 0;
      for (const [k, b] of batches.entries()) {
        t.equal(b.rowIds[0], plan.partitions[k]!.firstRowId, `partition ${k} starts at its planned row id`);
        for (let i = 0; i < b.numRows; i++, row++) {
          for (let c = 0; c < b.columns.length; c++) {
            const got = valueAt(b, c, i);
            const exp = want[row]![c]!;
            if (!Object.is(got, exp === null ? null : typeof got === 'number' ? Number(exp) : exp)) {
              if (mismatches++ < 5) t.fail(`row ${row}, column ${plan.schema![c]!.name}: got ${String(got)}, expected ${String(exp)}`);
            }
          }
        }
      }
      t.equal(mismatches, 0, `all ${ROWS} × 11 values equal DuckDB's reading`);
      t.equal(valueAt(batches[0]!, 9, 3), '1970-01-01T00:00:02.203701', 'timestamps keep their microseconds, before and after 1970');
      t.equal(valueAt(batches[0]!, 8, 1), '1969-12-28', 'dates before 1970');
    },
  );
}

t.test('parquet: bank.csv as Parquet loads into the same rows and the same column statistics as the CSV', async (t) => {
  const file = join(scratch, 'bank.parquet');
  await writeBankParquet(file, 4096);
  const csvSpec = parseJobSpec({ input: { path: bankCsv, partitions: 1 }, pipeline: { label: 'deposit' } }, scratch);
  const csvPlanned = (await planInputFiles(csvSpec.input, false, 1)).plan;
  const infer = taskOp('csv-infer');
  const schema = infer.merge(
    [infer.run(readFileSync(bankCsv).subarray(csvPlanned.partitions[0]!.start), lineageOf(csvPlanned, 0), {}).partial],
    csvPlanned,
  );
  const csvPlan: JobPlan = { ...csvPlanned, schema };
  const csvOut = taskOp('csv-load').run(readFileSync(bankCsv).subarray(csvPlan.partitions[0]!.start), lineageOf(csvPlan, 0), {});

  const pqSpec = parseJobSpec({ input: { path: file, partitions: 1 }, pipeline: { label: 'deposit' } }, scratch);
  const { plan } = await planInputFiles(pqSpec.input, false, 1);
  t.same(
    plan.schema!.map((f) => f.name),
    schema.map((f) => f.name),
    'same columns',
  );
  t.same(
    plan.schema!.map((f) => (f.type === 'long' ? 'int' : f.type)),
    schema.map((f) => f.type),
    "the CSV's int columns are DuckDB's BIGINT, the rest the same types",
  );
  const lineage = lineageOf(plan, 0);
  const bytes = Buffer.alloc(partitionByteLength(lineage.source));
  const fd = openSync(file, 'r');
  let at = 0;
  for (const [s, e] of partitionByteRanges(lineage.source)) at += readSync(fd, bytes, at, e - s, s);
  closeSync(fd);
  const pqOut = taskOp('csv-load').run(bytes, lineage, {});
  t.strictSame(pqOut.partial, csvOut.partial, 'row count and every column statistic identical');
  const a = csvOut.blocks!.rows!;
  const b = pqOut.blocks!.rows!;
  t.strictSame(Array.from(b.rowIds), Array.from(a.rowIds), 'same row ids');
  for (let c = 0; c < a.columns.length; c++) {
    const x = a.columns[c]!;
    const y = b.columns[c]!;
    if (x.kind === 'numeric' && y.kind === 'numeric')
      t.ok(Buffer.from(x.values.buffer).equals(Buffer.from(y.values.buffer)), `${schema[c]!.name}: same doubles`);
    else if (x.kind === 'string' && y.kind === 'string') {
      t.strictSame(Array.from(y.codes), Array.from(x.codes), `${schema[c]!.name}: same codes`);
      t.strictSame(dictionaryValues(y.dict), dictionaryValues(x.dict), `${schema[c]!.name}: same dictionary`);
    } else t.fail(`${schema[c]!.name}: column kinds differ`);
  }
});
