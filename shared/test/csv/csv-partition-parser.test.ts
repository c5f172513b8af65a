import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  CsvParseError,
  DEFAULT_CSV_OPTIONS,
  countNewlines,
  dictionaryValues,
  fromWireError,
  inferPartition,
  parsePartition,
  resolveCsvOptions,
  toWireError,
  withAbsoluteLine,
  type PartitionSource,
  type Schema,
} from '../../src/index.js';
import { batchRows, makeTrickyCsv, openCounting, prng, readCsvFile } from './csv-fixtures.js';

const enc = new TextEncoder();
// The project's copy of the data (examples/data, byte-identical to the shared data set).
const BANK = fileURLToPath(new URL('../../../../examples/data/bank.csv', import.meta.url));

function source(bytes: Uint8Array, names: string[], over: Partial<PartitionSource> = {}): PartitionSource {
  return { file: '/data/people.csv', index: 0, start: 0, end: bytes.length, numColumns: names.length, columnNames: names, ...over };
}

function catchError(fn: () => unknown): CsvParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CsvParseError) return e;
    throw e;
  }
  throw new CsvParseError('expected an error', '', 0, undefined, 0);
}

const PEOPLE: Schema = [
  { name: 'name', type: 'string' },
  { name: 'age', type: 'int' },
  { name: 'score', type: 'double' },
];
const NAMES = PEOPLE.map((f) => f.name);

t.test('csv-partition-parser: reads bank.csv into the documented schema, rows and means', async (t) => {
  const r = await readCsvFile(BANK);
  const ints = new Set(['age', 'balance', 'day', 'duration', 'campaign', 'pdays', 'previous']);
  t.same(
    r.schema.map((f) => f.type),
    r.plan.columnNames.map((n) => (ints.has(n) ? 'int' : 'string')),
  );
  t.equal(r.rows.length, 11162);
  t.equal(r.plan.sources.length, 4, 'a 0.9 MB file gets 4 partitions by default');
  const ageCol = r.schema.findIndex((f) => f.name === 'age');
  const sum = r.batches.reduce((a, b) => {
    const col = b.columns[ageCol]!;
    if (col.kind !== 'numeric') return a;
    return a + Array.from(col.values).reduce((x, y) => x + y, 0);
  }, 0);
  t.ok(Math.abs(sum / 11162 - 41.231947679627304) < 1e-12, `mean age ${sum / 11162}`);
  const last = r.batches[r.batches.length - 1]!;
  t.equal(last.rowIds[last.numRows - 1], 11161, 'row ids run 0…11161 across partitions');
  t.same(r.rows[0], [59, 'admin.', 'married', 'secondary', 'no', 2343, 'yes', 'no', 'unknown', 5, 'may', 1042, 1, -1, 0, 'unknown', 'yes']);
});

t.test('csv-partition-parser: returns SharedArrayBuffer-backed, exactly sized columns and matching statistics', async (t) => {
  const bytes = new Uint8Array(readFileSync(BANK));
  const headerEnd = bytes.indexOf(10) + 1;
  const data = bytes.subarray(headerEnd);
  const names = new TextDecoder().decode(bytes.subarray(0, headerEnd - 1)).split(',');
  const src = source(data, names, { file: BANK, start: headerEnd, end: bytes.length });
  const inferred = inferPartition(data, src, DEFAULT_CSV_OPTIONS, 2);
  const schema: Schema = names.map((name, i) => ({ name, type: inferred.types[i] ?? 'string' }));
  const { batch, partial } = parsePartition(data, src, DEFAULT_CSV_OPTIONS, schema, 100, 2);
  t.equal(batch.numRows, 11162);
  t.equal(inferred.rowCount, batch.numRows);
  t.equal(inferred.lineCount, 11162);
  t.ok(batch.rowIds.buffer instanceof SharedArrayBuffer && batch.rowIds.length === 11162);
  t.equal(batch.rowIds[0], 100);
  for (const [i, col] of batch.columns.entries()) {
    if (col.kind === 'numeric') {
      // bank.csv's numeric columns are all integers: 4 bytes a value, as Spark's IntegerType.
      t.ok(col.values instanceof Int32Array, `${names[i]} stored as Int32Array`);
      t.ok(col.values.buffer instanceof SharedArrayBuffer && col.values.buffer.byteLength === 11162 * 4, `${names[i]} values`);
      t.equal(col.nulls, null, 'no null mask without nulls');
      const st = partial.columns[i]!;
      if (st.kind !== 'numeric') throw new CsvParseError('wrong stats kind', '', 0, i, 0);
      const vals = Array.from(col.values);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const m2 = vals.reduce((a, b) => a + (b - mean) ** 2, 0);
      t.equal(st.count, 11162);
      t.equal(st.min, Math.min(...vals));
      t.equal(st.max, Math.max(...vals));
      t.ok(Math.abs(st.mean - mean) < 1e-9 * Math.max(1, Math.abs(mean)), `${names[i]} mean`);
      t.ok(Math.abs(st.m2 - m2) < 1e-9 * Math.max(1, m2), `${names[i]} m2`);
    } else {
      // Every bank.csv dictionary holds under 128 values: 1 byte a code.
      t.ok(col.codes instanceof Int8Array, `${names[i]} codes stored as Int8Array`);
      t.ok(col.codes.buffer instanceof SharedArrayBuffer && col.codes.buffer.byteLength === 11162);
      t.ok(col.dict.bytes.buffer instanceof SharedArrayBuffer && col.dict.offsets.buffer instanceof SharedArrayBuffer);
      t.equal(col.dict.offsets.length, col.dict.size + 1);
      t.equal(col.dict.bytes.length, col.dict.offsets[col.dict.size]);
      const st = partial.columns[i]!;
      if (st.kind !== 'string') throw new CsvParseError('wrong stats kind', '', 0, i, 0);
      t.same(st.values, dictionaryValues(col.dict), 'stats list values in code order');
      t.equal(
        st.counts.reduce((a, b) => a + b, 0),
        11162,
      );
    }
  }
  const job = partial.columns[1]!;
  t.ok(job.kind === 'string' && job.counts[job.values.indexOf('management')] === 2566, 'job=management counted 2566 times');
});

t.test(
  'csv-partition-parser: a numeric column is stored in 4 bytes only when every value is an int32 that reads back the same',
  async (t) => {
    const schema: Schema = [
      { name: 'whole', type: 'double' },
      { name: 'fraction', type: 'double' },
      { name: 'withNull', type: 'int' },
      { name: 'negZero', type: 'double' },
      { name: 'big', type: 'long' },
      { name: 'small', type: 'long' },
    ];
    const names = schema.map((f) => f.name);
    const csv = enc.encode('1.0,1.5,1,0.0,2147483648,-2147483648\n-3,2,,-0.0,1,7\n');
    const { batch } = parsePartition(csv, source(csv, names), DEFAULT_CSV_OPTIONS, schema, 0, 2);
    const kinds = batch.columns.map((c) => (c.kind === 'numeric' ? c.values.constructor.name : c.kind));
    t.same(kinds, ['Int32Array', 'Float64Array', 'Float64Array', 'Float64Array', 'Float64Array', 'Int32Array']);
    const values = batch.columns.map((c) => (c.kind === 'numeric' ? Array.from(c.values) : []));
    t.same(values[0], [1, -3]);
    t.ok(Object.is(values[3]![1], -0), '-0.0 keeps its sign');
    t.same(values[5], [-2147483648, 7]);
  },
);

t.test('csv-partition-parser: string codes take 1, 2 or 4 bytes as the partition dictionary size asks', async (t) => {
  const schema: Schema = [
    { name: 'key', type: 'string' },
    { name: 'n', type: 'int' },
  ];
  for (const [distinct, kind] of [
    [127, 'Int8Array'],
    [128, 'Int16Array'],
    [32767, 'Int16Array'],
    [32768, 'Int32Array'],
  ] as const) {
    const lines = Array.from({ length: distinct }, (_, i) => `k${i},1`);
    lines.push(',1');
    lines.push('k0,1');
    const csv = enc.encode(lines.join('\n') + '\n');
    const { batch } = parsePartition(csv, source(csv, ['key', 'n']), DEFAULT_CSV_OPTIONS, schema, 0, 1);
    const col = batch.columns[0]!;
    if (col.kind !== 'string') throw new Error('expected a string column');
    t.equal(col.codes.constructor.name, kind, `${distinct} distinct values`);
    t.equal(col.dict.size, distinct);
    t.same([col.codes[distinct - 1], col.codes[distinct], col.codes[distinct + 1]], [distinct - 1, -1, 0], 'last code, the null, a repeat');
  }
});

t.test('csv-partition-parser: FAILFAST names file, line and column', async (t) => {
  const text = 'ann,31,1.5\n"bob\nby",42,2\ncid,12x,3\n';
  const bytes = enc.encode(text);
  const err = catchError(() => parsePartition(bytes, source(bytes, NAMES), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 2));
  t.equal(err.code, 'E_CSV_MALFORMED');
  t.equal(err.message, 'people.csv:5: column 1 (age): cannot parse "12x" as int', 'line counts the line break inside quotes');
  t.equal(err.line, 5);
  t.equal(err.column, 1);
  t.equal(err.file, '/data/people.csv');
  t.equal(err.byteOffset, text.indexOf('cid'));
  const count = catchError(() =>
    parsePartition(enc.encode('a,1,2\nb,2\n'), source(enc.encode('a,1,2\nb,2\n'), NAMES), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 17),
  );
  t.equal(count.message, 'people.csv:18: expected 3 fields, found 2');
  t.equal(count.column, undefined);
  const extra = catchError(() =>
    inferPartition(enc.encode('a,1,2\n\nb,2,3,4\n'), source(enc.encode('a,1,2\n\nb,2,3,4\n'), NAMES), DEFAULT_CSV_OPTIONS, 1),
  );
  t.equal(extra.message, 'people.csv:3: expected 3 fields, found 4', 'the inference pass checks field counts too');
});

t.test('csv-partition-parser: reports partition-relative lines until the driver knows the first line', async (t) => {
  const bytes = enc.encode('x,1,1\ny,2,2\nz,oops,3\n');
  const src = source(bytes, NAMES, { index: 3, start: 5000, end: 5000 + bytes.length });
  const err = catchError(() => parsePartition(bytes, src, DEFAULT_CSV_OPTIONS, PEOPLE, 0, null));
  t.equal(err.line, 3);
  t.equal(err.details.lineRelative, true);
  t.equal(err.details.partitionStart, 5000);
  t.match(err.message, /people\.csv: line 3 of partition 3 \(which starts at byte 5000\): column 1 \(age\): cannot parse "oops" as int/);
  const fixed = withAbsoluteLine(err, 1041);
  t.equal(fixed.message, 'people.csv:1043: column 1 (age): cannot parse "oops" as int');
  t.equal(fixed.line, 1043);
  t.equal(fixed.column, 1);
  t.equal(fixed.byteOffset, 5000 + 12);
  t.equal(fixed.details.lineRelative, false);
  const viaWire = withAbsoluteLine(fromWireError(toWireError(err)), 1041);
  t.equal(viaWire.message, fixed.message, 'works on an error that crossed a thread or the network');
  t.equal(withAbsoluteLine(fixed, 7), fixed, 'an absolute error is left alone');
});

t.test('csv-partition-parser: DROPMALFORMED drops bad records, counts them, and both passes agree', async (t) => {
  const csv = resolveCsvOptions({ mode: 'DROPMALFORMED' });
  const text = 'ann,31,1.5\nbad,1\nbob,x,2\n"cid",40,2.5,extra\n"dee",41,NaN\n"ab"c,1,1\n';
  const bytes = enc.encode(text);
  const src = source(bytes, NAMES);
  const inf = inferPartition(bytes, src, csv, 1);
  t.equal(inf.rowCount, 3, 'records with a wrong field count or a bad quote are dropped');
  t.equal(inf.malformedCount, 3);
  t.same(inf.types, ['string', 'string', 'double'], "bob's age makes the column string");
  const inferred: Schema = NAMES.map((name, i) => ({ name, type: inf.types[i] ?? 'string' }));
  const same = parsePartition(bytes, src, csv, inferred, 0, 1);
  t.equal(same.batch.numRows, inf.rowCount, 'with the inferred schema both passes keep the same records');
  t.equal(same.partial.malformedCount, inf.malformedCount);
  const { batch, partial } = parsePartition(bytes, src, csv, PEOPLE, 10, 1);
  t.same(
    batchRows(batch),
    [
      ['ann', 31, 1.5],
      ['dee', 41, NaN],
    ],
    'with age as int, bob is dropped too',
  );
  t.equal(partial.malformedCount, 4);
  t.same(Array.from(batch.rowIds), [10, 11]);
  const names = batch.columns[0]!;
  t.ok(names.kind === 'string' && names.dict.size === 2, 'dropped records leave no dictionary entries');
});

t.test('csv-partition-parser: PERMISSIVE pads, truncates and nulls malformed records', async (t) => {
  const csv = resolveCsvOptions({ mode: 'PERMISSIVE' });
  const text = 'ann,31,1.5\nbob\ncid,40,2.5,extra,more\ndee,4x,7\n"open,5,6';
  const bytes = enc.encode(text);
  const src = source(bytes, NAMES);
  const inf = inferPartition(bytes, src, csv, 1);
  t.equal(inf.rowCount, 5);
  t.equal(inf.malformedCount, 3, 'short, long and unterminated records');
  const { batch, partial } = parsePartition(bytes, src, csv, PEOPLE, 0, 1);
  t.same(batchRows(batch), [
    ['ann', 31, 1.5],
    ['bob', null, null],
    ['cid', 40, 2.5],
    ['dee', null, 7],
    ['open,5,6', null, null],
  ]);
  t.equal(partial.malformedCount, 4);
  const age = partial.columns[1]!;
  t.ok(age.kind === 'numeric' && age.nullCount === 3 && age.count === 2 && age.mean === 35.5);
});

t.test('csv-partition-parser: an unterminated quote is malformed in the last partition, a plan error elsewhere', async (t) => {
  const text = 'a,1,2\nb,"2\n';
  const bytes = enc.encode(text);
  const last = catchError(() => parsePartition(bytes, source(bytes, NAMES), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 1, bytes.length));
  t.equal(last.message, 'people.csv:2: column 1 (age): quoted field is not closed before the end of the file');
  t.throws(
    () => parsePartition(bytes, source(bytes, NAMES, { end: bytes.length }), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 1, bytes.length + 100),
    { code: 'E_CSV_MALFORMED', message: /runs past the end of partition 0.*split plan/ },
  );
  t.throws(
    () => inferPartition(bytes, source(bytes, NAMES), resolveCsvOptions({ mode: 'PERMISSIVE' }), 1),
    { code: 'E_CSV_MALFORMED', message: /split plan/ },
    'without fileSize, bytes ending in a line break mean a partition that is not the last',
  );
  const noNewline = enc.encode('a,1,2\nb,"2');
  t.equal(inferPartition(noNewline, source(noNewline, NAMES), resolveCsvOptions({ mode: 'PERMISSIVE' }), 1).malformedCount, 1);
  const badQuote = catchError(() =>
    parsePartition(enc.encode('"x"y,1,2\n'), source(enc.encode('"x"y,1,2\n'), NAMES), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 9),
  );
  t.equal(badQuote.message, 'people.csv:9: column 0 (name): unexpected character after the closing quote');
});

t.test('csv-partition-parser: empty fields and nullValue are null; quoted empty follows Spark', async (t) => {
  const schema: Schema = [
    { name: 's', type: 'string' },
    { name: 'i', type: 'int' },
    { name: 'd', type: 'double' },
  ];
  const names = ['s', 'i', 'd'];
  const text = ',,\n"","",""\nNA,NA,NA\n"NA","NA","NA"\nx,1,1\n';
  const bytes = enc.encode(text);
  const dflt = parsePartition(bytes, source(bytes, names), resolveCsvOptions({ mode: 'PERMISSIVE' }), schema, 0, 1);
  t.same(
    batchRows(dflt.batch).slice(0, 2),
    [
      [null, null, null],
      [null, null, null],
    ],
    "nullValue '': quoted empty is null too",
  );
  t.same(batchRows(dflt.batch)[2], ['NA', null, null], 'NA is text for strings, unparsable for numbers');
  const na = parsePartition(bytes, source(bytes, names), resolveCsvOptions({ nullValue: 'NA' }), schema, 0, 1);
  t.same(
    batchRows(na.batch),
    [
      [null, null, null],
      ['', null, null],
      [null, null, null],
      [null, null, null],
      ['x', 1, 1],
    ],
    "nullValue 'NA': quoted empty is an empty string (null in numeric columns); NA, quoted or not, is null",
  );
  const inf = inferPartition(bytes, source(bytes, names), resolveCsvOptions({ nullValue: 'NA' }), 1);
  t.same(inf.types, ['string', 'int', 'int'], 'nulls do not widen types');
  const ints = parsePartition(
    enc.encode('-1,5\n3,-1\n'),
    source(enc.encode('-1,5\n3,-1\n'), ['a', 'b']),
    resolveCsvOptions({ nullValue: '-1' }),
    [
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ],
    0,
    1,
  );
  t.same(
    batchRows(ints.batch),
    [
      [null, 5],
      [3, null],
    ],
    'a numeric-looking nullValue is honoured on the fast path',
  );
});

t.test('csv-partition-parser: quoted and unquoted spellings of the same data give identical batches', async (t) => {
  const rnd = prng(11);
  const plain: string[] = [];
  const quoted: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const row = [
      `v${Math.floor(rnd() * 50)}`,
      String(Math.floor(rnd() * 2e6) - 1e6),
      (rnd() * 100).toFixed(3),
      rnd() < 0.5 ? 'true' : 'FALSE',
      'long-value-with-a-shared-prefix-' + Math.floor(rnd() * 400),
    ];
    if (rnd() < 0.05) row[1] = '';
    plain.push(row.join(','));
    quoted.push(row.map((v) => (v === '' ? v : `"${v}"`)).join(','));
  }
  const schema: Schema = [
    { name: 'a', type: 'string' },
    { name: 'b', type: 'int' },
    { name: 'c', type: 'double' },
    { name: 'd', type: 'boolean' },
    { name: 'e', type: 'string' },
  ];
  const names = schema.map((f) => f.name);
  const p = enc.encode(plain.join('\n') + '\n');
  const q = enc.encode(quoted.join('\r\n'));
  const a = parsePartition(p, source(p, names), DEFAULT_CSV_OPTIONS, schema, 0, 1);
  const b = parsePartition(q, source(q, names), DEFAULT_CSV_OPTIONS, schema, 0, 1);
  t.same(batchRows(a.batch), batchRows(b.batch));
  t.same(a.partial, b.partial);
  t.same(inferPartition(p, source(p, names), DEFAULT_CSV_OPTIONS, 1).types, ['string', 'int', 'double', 'boolean', 'string']);
  const e = a.batch.columns[4]!;
  t.ok(
    e.kind === 'string' && e.dict.size === new Set(plain.map((r) => r.split(',')[4])).size,
    'long values sharing a prefix stay distinct',
  );
});

t.test('csv-partition-parser: infers types per partition, widening as values come', async (t) => {
  const text = 'a,b,c,d,e,f\n1,1,1,true,x,\n2,3000000000,2.5,false,1,\n3,4,1e3,TRUE,2,\n';
  const bytes = enc.encode(text.slice(text.indexOf('\n') + 1));
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  t.same(inferPartition(bytes, source(bytes, names), DEFAULT_CSV_OPTIONS, 2).types, ['int', 'long', 'double', 'boolean', 'string', null]);
  t.same(
    inferPartition(bytes, source(bytes, names), resolveCsvOptions({ inferSchema: false }), 2).types,
    names.map(() => 'string'),
  );
  const flip = enc.encode('1\ntrue\n');
  t.same(inferPartition(flip, source(flip, ['x']), DEFAULT_CSV_OPTIONS, 1).types, ['string'], 'int then boolean is string');
});

t.test('csv-partition-parser: grows its arrays when records get shorter than the sample', async (t) => {
  const long = Array.from({ length: 3000 }, (_, i) => `${'x'.repeat(200)}${i % 7},${i}`).join('\n');
  const short = Array.from({ length: 200000 }, (_, i) => `s${i % 3},${i}`).join('\n');
  const bytes = enc.encode(long + '\n' + short + '\n');
  const schema: Schema = [
    { name: 'k', type: 'string' },
    { name: 'n', type: 'int' },
  ];
  const { batch, partial } = parsePartition(bytes, source(bytes, ['k', 'n']), DEFAULT_CSV_OPTIONS, schema, 0, 1);
  t.equal(batch.numRows, 203000);
  const n = batch.columns[1]!;
  t.ok(n.kind === 'numeric' && n.values[202999] === 199999 && n.values.length === 203000);
  t.equal(partial.rowCount, 203000);
});

t.test('csv-partition-parser: countNewlines agrees with the line numbers of the parser', async (t) => {
  const dir = t.testdir();
  const csv = makeTrickyCsv(5, { rows: 4000, cols: 3, newlines: ['\n', '\r\n', '\r'], blankLines: true });
  const path = join(dir, 'lines.csv');
  writeFileSync(path, csv.text);
  const f = openCounting(path);
  const bytes = enc.encode(csv.text);
  let naive = 0;
  const at: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    at.push(naive);
    if (bytes[i] === 10 || (bytes[i] === 13 && bytes[i + 1] !== 10)) naive++;
  }
  at.push(naive);
  for (const off of [0, 1, 1 << 20, bytes.length >> 1, bytes.length - 1, bytes.length]) {
    if (off > bytes.length) continue;
    t.equal(await countNewlines(f.read, off), at[off], `offset ${off}`);
  }
  const inf = inferPartition(
    bytes,
    { file: path, index: 0, start: 0, end: bytes.length, numColumns: 3, columnNames: ['a', 'b', 'c'] },
    resolveCsvOptions({ header: false, inferSchema: false }),
    1,
    bytes.length,
  );
  t.equal(inf.lineCount, naive, 'lineCount of a partition = line breaks in its bytes');
  t.equal(inf.rowCount, 4000);
  f.close();
});

t.test('csv-partition-parser: keeps the schema length in step with the partition', async (t) => {
  const bytes = enc.encode('a,1\n');
  t.throws(() => parsePartition(bytes, source(bytes, ['x', 'y']), DEFAULT_CSV_OPTIONS, PEOPLE, 0, 1), { code: 'E_SCHEMA' });
});

// The fast paths read int fields with their own inline reader (see inferRecords); a record
// with a quoted field takes the general path (parseIntField) instead. Both must agree.
t.test('csv-partition-parser: an int column reads the same values on the fast and the general path', async (t) => {
  const values = ['0', '-0', '007', '42', '-17', '2147483647', '-2147483648', '+5'];
  const names = ['n', 'tag'];
  const text = values.flatMap((v) => [`${v},plain\n`, `${v},"quoted"\n`]).join('');
  const bytes = enc.encode(text);
  const src = source(bytes, names);
  t.same(inferPartition(bytes, src, DEFAULT_CSV_OPTIONS, 1).types, ['int', 'string']);
  const schema: Schema = [
    { name: 'n', type: 'int' },
    { name: 'tag', type: 'string' },
  ];
  const { batch } = parsePartition(bytes, src, DEFAULT_CSV_OPTIONS, schema, 0, 1);
  const col = batch.columns[0]!;
  if (col.kind !== 'numeric') throw new Error('int column is not numeric');
  const expected = values.flatMap((v) => [Number(v) || 0, Number(v) || 0]);
  t.same(Array.from(col.values), expected);

  for (const [wide, type] of [
    ['2147483648', 'long'],
    ['-2147483649', 'long'],
    ['-', 'string'],
    ['1-2', 'string'],
  ] as const) {
    for (const quoted of [false, true]) {
      const b = enc.encode(`1,a\n${wide},${quoted ? '"b"' : 'b'}\n`);
      t.same(
        inferPartition(b, source(b, names), DEFAULT_CSV_OPTIONS, 1).types[0],
        type,
        `${wide} (${quoted ? 'general' : 'fast'} path) widens to ${type}`,
      );
    }
  }
});
