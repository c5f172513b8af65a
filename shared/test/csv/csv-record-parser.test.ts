import t from 'tap';
import { type CsvOptions } from '../../src/index.js';
import { csvByteOptions, resolveCsvOptions } from '../../src/csv/csv-options.js';
import {
  CsvBoundaryScanner,
  CsvRecordReader,
  FIELD_QUOTED,
  FIELD_SCRATCH,
  REC_BAD_QUOTE,
  REC_UNTERMINATED,
} from '../../src/csv/csv-record-parser.js';
import { makeTrickyCsv } from './csv-fixtures.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Rec {
  fields: string[];
  quoted: boolean[];
  line: number;
  status: number;
}

function tokenize(text: string, csv: Partial<CsvOptions> = {}): { records: Rec[]; lines: number; starts: number[] } {
  const buf = enc.encode(text);
  const reader = new CsvRecordReader(csvByteOptions(resolveCsvOptions(csv)));
  const records: Rec[] = [];
  const starts: number[] = [];
  let pos = 0;
  for (;;) {
    const next = reader.next(buf, pos, buf.length);
    if (next < 0) break;
    const fields: string[] = [];
    const quoted: boolean[] = [];
    for (let i = 0; i < reader.fieldCount; i++) {
      const src = (reader.flags[i]! & FIELD_SCRATCH) !== 0 ? reader.scratch : buf;
      fields.push(dec.decode(src.subarray(reader.starts[i]!, reader.ends[i]!)));
      quoted.push((reader.flags[i]! & FIELD_QUOTED) !== 0);
    }
    records.push({ fields, quoted, line: reader.recordLine, status: reader.status });
    pos = next;
    starts.push(next);
  }
  return { records, lines: reader.line - 1, starts };
}

const fields = (text: string, csv: Partial<CsvOptions> = {}): string[][] => tokenize(text, csv).records.map((r) => r.fields);

t.test('csv-record-parser: splits plain records on LF, CRLF and bare CR', async (t) => {
  t.same(fields('a,b\nc,d\r\ne,f\rg,h'), [
    ['a', 'b'],
    ['c', 'd'],
    ['e', 'f'],
    ['g', 'h'],
  ]);
  t.same(fields('a,b\n'), [['a', 'b']], 'a final newline adds no record');
  t.same(fields('a,b'), [['a', 'b']], 'a final record without newline is read');
  t.same(
    fields('a,,\n,b,'),
    [
      ['a', '', ''],
      ['', 'b', ''],
    ],
    'empty fields are kept, trailing delimiter gives one more field',
  );
});

t.test('csv-record-parser: keeps delimiters, doubled quotes and line breaks inside quoted fields', async (t) => {
  t.same(fields('"a,b","say ""hi""",c\n'), [['a,b', 'say "hi"', 'c']]);
  t.same(fields('"line1\nline2",x\r\n"crlf\r\ninside",y\n"cr\ronly",z'), [
    ['line1\nline2', 'x'],
    ['crlf\r\ninside', 'y'],
    ['cr\ronly', 'z'],
  ]);
  t.same(fields('""\n"",""'), [[''], ['', '']], 'quoted empty fields');
  t.same(fields('""""'), [['"']], 'a field holding only a quote');
  const r = tokenize('"q",u').records[0]!;
  t.same(r.quoted, [true, false], 'quoting is reported per field');
});

t.test('csv-record-parser: treats a quote inside an unquoted field as text (as Spark does)', async (t) => {
  t.same(fields('5\'10",x"y,z\n'), [['5\'10"', 'x"y', 'z']]);
  t.equal(tokenize('a"b,c').records[0]!.status, 0, 'not malformed');
});

t.test('csv-record-parser: flags text after a closing quote and keeps it', async (t) => {
  const { records } = tokenize('"ab"cd,e\nf,g\n');
  t.same(records[0]!.fields, ['ab"cd', 'e']);
  t.equal(records[0]!.status, REC_BAD_QUOTE);
  t.same(records[1]!.fields, ['f', 'g'], 'the next record is unaffected');
  t.equal(records[1]!.status, 0);
});

t.test('csv-record-parser: flags a quoted field left open at the end of input', async (t) => {
  const { records } = tokenize('a,b\nc,"open\nstill open');
  t.equal(records.length, 2);
  t.equal(records[1]!.status, REC_UNTERMINATED);
  t.same(records[1]!.fields, ['c', 'open\nstill open']);
});

t.test('csv-record-parser: skips blank lines and counts every physical line', async (t) => {
  const { records, lines } = tokenize('\n\na,b\n\r\n\rc,"x\ny"\n\nd,e\n\n');
  t.same(
    records.map((r) => r.fields),
    [
      ['a', 'b'],
      ['c', 'x\ny'],
      ['d', 'e'],
    ],
  );
  t.same(
    records.map((r) => r.line),
    [3, 6, 9],
    'line of each record start, counting lines inside quotes',
  );
  t.equal(lines, 10, 'every line break is counted, blank lines included');
});

t.test('csv-record-parser: honours custom delimiters', async (t) => {
  t.same(fields('a;b;"c;d"\n', { delimiter: ';' }), [['a', 'b', 'c;d']]);
  t.same(fields('a\tb,c\t"d\te"\n', { delimiter: '\t' }), [['a', 'b,c', 'd\te']]);
  t.same(fields('a\tb\n', { delimiter: '\\t' }), [['a', 'b']], 'the two-character spelling \\t means tab');
  t.same(fields("'a,b',c\n'it''s'\n", { quote: "'" }), [['a,b', 'c'], ["it's"]], 'custom quote; escape follows it');
});

t.test('csv-record-parser: a non-default escape makes the next character literal inside quotes', async (t) => {
  const csv = { escape: '\\' };
  t.same(fields('"a\\"b","c\\\\d","e\\,f",g\\h\n', csv), [['a"b', 'c\\d', 'e,f', 'g\\h']], 'outside quotes \\ is text');
  t.same(fields('"x\\\ny",z\n', csv), [['x\ny', 'z']], 'an escaped line break stays in the field');
  const bad = tokenize('"a""b",c\n', csv).records[0]!;
  t.equal(bad.status, REC_BAD_QUOTE, 'with escape \\, a doubled quote closes the field');
  t.equal(tokenize('"abc\\', csv).records[0]!.status, REC_UNTERMINATED, 'escape at end of input');
});

t.test('csv-record-parser: handles records with many fields', async (t) => {
  const row = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `"f,${i}"` : `f${i}`)).join(',');
  const r = fields(row + '\n' + row)[1]!;
  t.equal(r.length, 1000);
  t.equal(r[998], 'f998');
  t.equal(r[999], 'f,999');
  t.equal(r[3], 'f,3');
});

t.test('csv-record-parser: resumeInQuotes finishes a record from inside a quoted field', async (t) => {
  const buf = enc.encode('tail of field",x,y\nnext,row\n');
  const reader = new CsvRecordReader(csvByteOptions(resolveCsvOptions()));
  const end = reader.resumeInQuotes(buf, 0, buf.length);
  t.equal(end, 'tail of field",x,y\n'.length);
  t.equal(reader.fieldCount, 3);
  t.equal(reader.next(buf, end, buf.length), buf.length);
});

t.test('csv-record-parser: the boundary scanner finds the same record starts as the tokenizer', async (t) => {
  for (const [seed, escape] of [
    [1, undefined],
    [2, undefined],
    [3, '\\'],
    [4, undefined],
  ] as const) {
    const csv = makeTrickyCsv(seed, {
      rows: 300,
      cols: 4,
      blankLines: true,
      newlines: ['\n', '\r\n', '\r'],
      ...(escape ? { escape } : {}),
    });
    const opts = resolveCsvOptions(escape ? { escape } : {});
    const buf = enc.encode(csv.text);
    const { starts } = tokenize(csv.text, escape ? { escape } : {});
    t.same(fields(csv.text, escape ? { escape } : {}), csv.records, `seed ${seed}: records read back`);
    // Every record start reported by the tokenizer must be found by the scanner, chunk by chunk.
    const found: number[] = [];
    const scanner = new CsvBoundaryScanner(csvByteOptions(opts));
    let from = 0;
    let target = 1;
    const chunk = 37;
    while (from < buf.length) {
      const piece = buf.subarray(from, Math.min(buf.length, from + chunk));
      const hit = scanner.feed(piece, from, target);
      if (hit >= 0) {
        found.push(hit);
        from = hit;
        target = hit + 1;
      } else {
        from += piece.length;
      }
    }
    const tail = scanner.finish(buf.length);
    if (tail >= target) found.push(tail);
    // The tokenizer skips blank lines, so its starts are a subset of the scanner's.
    const set = new Set(found);
    t.ok(
      starts.every((s) => s >= buf.length || set.has(s)),
      `seed ${seed}: tokenizer starts ⊆ scanner starts`,
    );
    t.notOk(scanner.inQuotes, `seed ${seed}: ends outside quotes`);
  }
});
