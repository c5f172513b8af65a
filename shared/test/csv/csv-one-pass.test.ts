/**
 * The one-pass CSV read (scanPartition → conformBatch, or a load where a scanned block cannot
 * take the table's schema) against the two-pass read (inferPartition → parsePartition), on the
 * cases where a partition's own types differ from the table's. readCsvFile runs both reads
 * and throws unless partials, errors and blocks agree bit for bit; these tests pick the data
 * that makes the two paths differ and check which path each partition took.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  columnAt,
  conformable,
  conformBatch,
  inferPartition,
  parsePartition,
  resolveCsvOptions,
  scanPartition,
  type CsvOptions,
} from '../../src/index.js';
import { batchRows, openCounting, readCsvFile, readRange } from './csv-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'kindling-one-pass-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes `text`, reads it both ways in `parts` partitions, and returns the read plus, per partition, whether its scanned block conformed in place. */
async function read(text: string, parts: number, csv: CsvOptions = resolveCsvOptions({})) {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, text);
  const r = await readCsvFile(path, csv, { partitions: parts });
  const f = openCounting(path);
  const inPlace: boolean[] = [];
  try {
    for (const s of r.plan.sources)
      inPlace.push(conformable(scanPartition(await readRange(f, s.start, s.end), s, csv, null, f.size).batch, r.schema));
  } finally {
    f.close();
  }
  return { ...r, inPlace };
}

/**
 * `a,b` rows, one per line, each padded to 24 bytes (b gets leading zeros) so that the
 * planner's cut between two partitions of 2k rows falls after row k.
 */
const lines = (rows: string[]): string =>
  `a,b\n${rows.map((r) => r.replace(/,(.*)$/, (_m, b: string) => `,${b.padStart(23 - r.indexOf(',') - 1, '0')}`)).join('\n')}\n`;
const ints = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `${from + i},${i}`);

t.test('one-pass: int and long widen to double in place; values and statistics are the two-pass ones', async (t) => {
  const r = await read(lines([...ints(1, 40), ...Array.from({ length: 40 }, (_, i) => `${i + 0.5},${3_000_000_000 + i}`)]), 2);
  t.same(
    r.schema.map((f) => f.type),
    ['double', 'long'],
  );
  t.same(r.inPlace, [true, true], 'int → double and int → long keep the parsed values');
  t.equal(r.rows.length, 80);
});

t.test('one-pass: a column that is text in another partition is re-read with the table schema', async (t) => {
  const r = await read(lines([...ints(1, 40), ...Array.from({ length: 40 }, (_, i) => `id-${i},${i}`)]), 2);
  t.same(
    r.schema.map((f) => f.type),
    ['string', 'int'],
  );
  t.same(r.inPlace, [false, true], 'the all-int partition cannot turn numbers back into their text');
  t.equal(r.rows[0]![0], '1', 'the text is the text of the file');
});

t.test('one-pass: a -0 read as an integer is re-read where the table says double, kept where it says int', async (t) => {
  const negZero = ['-0,1', ...ints(1, 39)];
  const asDouble = await read(lines([...negZero, ...Array.from({ length: 40 }, (_, i) => `${i}.25,${i}`)]), 2);
  t.same(asDouble.inPlace, [false, true]);
  t.ok(Object.is(asDouble.rows[0]![0], -0), '-0 as a double is -0.0, as Spark parses it');
  const asInt = await read(lines([...negZero, ...ints(40, 40)]), 2);
  t.same(asInt.inPlace, [true, true]);
  t.ok(Object.is(asInt.rows[0]![0], 0), '-0 as an int is 0');
});

t.test('one-pass: a column with no value in a partition becomes a null column of the table type', async (t) => {
  const r = await read(lines([...Array.from({ length: 40 }, (_, i) => `,${i}`), ...ints(1, 40)]), 2);
  t.same(
    r.schema.map((f) => f.type),
    ['int', 'int'],
  );
  t.same(r.inPlace, [true, true]);
  t.equal(r.rows[0]![0], null);
  const text = await read(
    lines([...Array.from({ length: 40 }, (_, i) => `,${i}`), ...Array.from({ length: 40 }, (_, i) => `w${i},${i}`)]),
    2,
  );
  t.same(text.inPlace, [true, true]);
  t.equal(text.rows[0]![0], null);
});

t.test('one-pass: a quoted empty field kept as "" by a string column is re-read', async (t) => {
  const csv = resolveCsvOptions({ nullValue: 'NA' });
  const r = await read(
    lines([...Array.from({ length: 40 }, (_, i) => `"",${i}`), ...Array.from({ length: 40 }, (_, i) => `w${i},${i}`)]),
    2,
    csv,
  );
  t.same(r.inPlace, [false, true]);
  t.equal(r.rows[0]![0], '', 'with nullValue NA, "" is the empty string');
});

t.test('one-pass: widening inside one partition (to text mid-way, null to text, boolean to text) restarts it and agrees', async (t) => {
  const rows = [...ints(1, 30), 'x,1', 'true,2', '2.5,3', ',4'];
  const r = await read(lines(rows), 1);
  t.same(
    r.schema.map((f) => f.type),
    ['string', 'int'],
  );
  t.same(
    r.rows.slice(30, 34).map((row) => row[0]),
    ['x', 'true', '2.5', null],
  );
  const bools = await read(lines(['true,1', 'FALSE,2', 'maybe,3']), 1);
  t.same(
    bools.rows.map((row) => row[0]),
    ['true', 'FALSE', 'maybe'],
    'the text as written, not as the boolean read it',
  );
});

t.test('one-pass: malformed records count and drop the same way in every mode', async (t) => {
  const text = lines([...ints(1, 20), '7,8,9', '5', ...ints(30, 20), 'x,1,2']);
  for (const mode of ['PERMISSIVE', 'DROPMALFORMED'] as const) {
    const r = await read(text, 2, resolveCsvOptions({ mode }));
    t.equal(r.malformed, 3, mode);
  }
  await t.rejects(read(text, 2, resolveCsvOptions({ mode: 'FAILFAST' })), { code: 'E_CSV_MALFORMED' }, 'FAILFAST fails as inference does');
  const strings = await read(text.replace(/x,1,2\n/, ''), 2, resolveCsvOptions({ inferSchema: false, mode: 'PERMISSIVE' }));
  t.same(
    strings.schema.map((f) => f.type),
    ['string', 'string'],
  );
  t.same(batchRows(strings.batches[0]!)[0]![0], '1', 'without inferSchema every column is text');
});

t.test('one-pass: skipped (dropped) columns are inferred but keep no values; the others are the full read’s bits', async (t) => {
  const path = join(dir, `skip-${n++}.csv`);
  // `b` is a number in the first half and text in the second: the full read re-reads the
  // first half, the skipping read need not (no values to convert).
  writeFileSync(
    path,
    lines([...ints(1, 40).map((r) => `${r},7`), ...Array.from({ length: 40 }, (_, i) => `${i},w${i},${i}`)]).replace('a,b\n', 'a,b,c\n'),
  );
  const csv = resolveCsvOptions({});
  const full = await readCsvFile(path, csv, { partitions: 2 });
  const f = openCounting(path);
  try {
    for (const [i, s] of full.plan.sources.entries()) {
      const bytes = await readRange(f, s.start, s.end);
      const scanned = scanPartition(bytes, s, csv, null, f.size, [1]);
      t.same(scanned.partial, inferPartition(bytes, s, csv, null, f.size), `partition ${i}: the skipped column's type is still inferred`);
      t.ok(conformable(scanned.batch, full.schema), `partition ${i}: conforms in place whatever the skipped column's type`);
      const firstRowId = full.batches.slice(0, i).reduce((a, b) => a + b.numRows, 0);
      const { batch, partial } = conformBatch(scanned.batch, full.schema, firstRowId);
      t.equal(batch.columns[1]!.kind === 'string' && batch.columns[1]!.codes.length, 0, 'no values kept for the skipped column');
      t.same(partial.columns[1], { kind: 'skipped' }, 'and no statistics');
      t.throws(
        () => columnAt(batch, 1, 'encode'),
        { code: 'E_INTERNAL', message: /column 1 \(b\) was skipped/ },
        'a kernel cannot read it',
      );
      const bits = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
      for (const c of [0, 2]) {
        const got = batch.columns[c]!;
        const want = full.batches[i]!.columns[c]!;
        t.same(
          got.kind === 'numeric' ? bits(got.values) : bits(got.codes),
          want.kind === 'numeric' ? bits(want.values) : bits(want.codes),
          `partition ${i} column ${c}: same bits as the full read`,
        );
      }
      t.same(bits(batch.rowIds), bits(full.batches[i]!.rowIds));
      const loaded = parsePartition(bytes, s, csv, full.schema, firstRowId, null, f.size, [1]);
      t.same(loaded.partial, partial, `partition ${i}: a rebuild with the same skip gives the same partial`);
    }
  } finally {
    f.close();
  }
});
