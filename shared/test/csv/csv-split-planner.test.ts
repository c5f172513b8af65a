import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  DEFAULT_CSV_OPTIONS,
  defaultPartitionCount,
  headerNames,
  parsePartition,
  planCsvSplits,
  resolveCsvOptions,
  type CsvOptions,
  type CsvPlan,
} from '../../src/index.js';
import { csvByteOptions } from '../../src/csv/csv-options.js';
import { CsvRecordReader } from '../../src/csv/csv-record-parser.js';
import { openCounting, prng, readCsvFile, readRange } from './csv-fixtures.js';

async function plan(
  path: string,
  csv: CsvOptions = DEFAULT_CSV_OPTIONS,
  extra: { partitions?: number; maxPartitionBytes?: number; exactSplits?: boolean } = {},
): Promise<CsvPlan & { bytesRead: number }> {
  const f = openCounting(path);
  try {
    const p = await planCsvSplits({ file: path, fileSize: f.size, read: f.read, csv, maxPartitionBytes: 128 << 20, ...extra });
    return { ...p, bytesRead: f.bytesRead() };
  } finally {
    f.close();
  }
}

/** Record starts of a whole file, by tokenizing it from the data start. */
function recordStarts(bytes: Uint8Array, from: number, csv: CsvOptions): Set<number> {
  const reader = new CsvRecordReader(csvByteOptions(csv));
  const starts = new Set<number>([from]);
  let pos = from;
  for (;;) {
    const next = reader.next(bytes, pos, bytes.length);
    if (next < 0) break;
    starts.add(reader.recordStart);
    starts.add(next);
    pos = next;
  }
  return starts;
}

t.test('csv-split-planner: reads header names with Spark fixes, BOM and CRLF', async (t) => {
  const dir = t.testdir({
    'h.csv': '\uFEFFid,"na,me",,ID,x\r\n1,2,3,4,5\r\n',
    'nh.csv': '\uFEFF1,2,3\n4,5,6\n',
    'q.csv': '"multi\nline",b\n1,2\n',
  });
  const h = await plan(join(dir, 'h.csv'));
  t.same(h.columnNames, ['id0', 'na,me', '_c2', 'ID3', 'x'], 'empty → _c<i>, case-insensitive duplicates get their index');
  t.equal(h.headerEnd, 3 + 'id,"na,me",,ID,x\r\n'.length);
  t.equal(h.dataFirstLine, 2);
  t.same(
    h.sources.map((s) => s.numColumns),
    [5],
  );
  const nh = await plan(join(dir, 'nh.csv'), resolveCsvOptions({ header: false }));
  t.same(nh.columnNames, ['_c0', '_c1', '_c2']);
  t.equal(nh.headerEnd, 3, 'without a header, data starts after the BOM');
  t.equal(nh.dataFirstLine, 1);
  const q = await plan(join(dir, 'q.csv'));
  t.same(q.columnNames, ['multi\nline', 'b']);
  t.equal(q.dataFirstLine, 3);
  t.same(headerNames(['a', 'NA', 'b', 'a'], 'NA'), ['a0', '_c1', 'b', 'a3']);
});

t.test('csv-split-planner: rejects empty files and accepts header-only ones', async (t) => {
  const dir = t.testdir({ 'empty.csv': '', 'bom.csv': '\uFEFF', 'blank.csv': '\n\r\n\n', 'head.csv': 'a,b\n', 'head2.csv': 'a,b' });
  for (const name of ['empty.csv', 'bom.csv', 'blank.csv']) {
    await t.rejects(plan(join(dir, name)), { code: 'E_CSV_EMPTY', message: new RegExp(`${name} is empty`) }, name);
  }
  for (const name of ['head.csv', 'head2.csv']) {
    const r = await readCsvFile(join(dir, name));
    t.equal(r.plan.sources.length, 1, `${name}: one partition`);
    t.equal(r.rows.length, 0, `${name}: no rows`);
    t.same(
      r.schema,
      [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'string' },
      ],
      'columns of only nulls are string',
    );
  }
  const unterminated = t.testdir({ 'u.csv': '"a,b\n1,2\n' });
  await t.rejects(plan(join(unterminated, 'u.csv')), { code: 'E_CSV_HEADER' });
});

t.test('csv-split-planner: partition count depends on data size and options only', async (t) => {
  t.equal(defaultPartitionCount(0, 1 << 20), 1);
  t.equal(defaultPartitionCount(100, 1 << 20), 1);
  t.equal(defaultPartitionCount(65537, 1 << 20), 2);
  t.equal(defaultPartitionCount(918837, 128 << 20), 4);
  t.equal(defaultPartitionCount(1000 << 20, 128 << 20), 8);
  const dir = t.testdir({ 'tiny.csv': 'a\n1\n2\n3\n' });
  const p = await plan(join(dir, 'tiny.csv'), DEFAULT_CSV_OPTIONS, { partitions: 10 });
  t.ok(p.sources.length <= 3 && p.sources.length >= 1, `tiny file: ${p.sources.length} partitions, duplicates merged`);
  t.ok(
    p.sources.every((s) => s.end > s.start),
    'no empty partitions',
  );
  t.same(
    p.sources.map((s) => s.index),
    p.sources.map((_, i) => i),
  );
  t.equal(p.sources[0]!.start, 2);
  t.equal(p.sources[p.sources.length - 1]!.end, 8);
  await t.rejects(plan(join(dir, 'tiny.csv'), DEFAULT_CSV_OPTIONS, { partitions: 0 }), { code: 'E_JOB_SPEC' });
});

t.test('csv-split-planner: cuts inside multi-line quoted fields still give the whole-file records', async (t) => {
  const dir = t.testdir();
  const rnd = prng(3);
  const lines = ['id,text,n'];
  for (let i = 0; i < 400; i++) {
    const body = Array.from({ length: 1 + Math.floor(rnd() * 30) }, (_, k) => `line ${k}, with "" quotes and, commas`).join(
      i % 2 ? '\n' : '\r\n',
    );
    lines.push(`${i},"${body}",${i * 2}`);
  }
  const path = join(dir, 'multi.csv');
  writeFileSync(path, lines.join('\n') + '\n');
  const whole = await readCsvFile(path, DEFAULT_CSV_OPTIONS, { partitions: 1 });
  t.equal(whole.rows.length, 400);
  const bytes = new Uint8Array(await readRange(openCounting(path), 0, 1 << 24));
  const starts = recordStarts(bytes, whole.plan.headerEnd, DEFAULT_CSV_OPTIONS);
  let insideQuotes = 0;
  for (const parts of [2, 3, 7, 16, 50]) {
    const r = await readCsvFile(path, DEFAULT_CSV_OPTIONS, { partitions: parts });
    t.same(r.rows, whole.rows, `${parts} partitions: same records`);
    t.ok(
      r.plan.sources.every((s) => starts.has(s.start)),
      `${parts} partitions: every cut is a record start`,
    );
    // How many targets fell inside a quoted field (i.e. not already a record start)?
    const dataBytes = bytes.length - whole.plan.headerEnd;
    for (let k = 1; k < parts; k++) if (!starts.has(whole.plan.headerEnd + Math.floor((k * dataBytes) / parts))) insideQuotes++;
  }
  t.ok(insideQuotes > 30, `targets inside quoted fields were exercised (${insideQuotes})`);
});

t.test('csv-split-planner: reads only windows around the cuts of a large quote-free file', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'big.csv');
  const rows = Array.from({ length: 200000 }, (_, i) => `${i},name${i % 97},${(i * 0.25).toFixed(2)},${i % 2 ? 'yes' : 'no'}`);
  writeFileSync(path, 'id,name,x,flag\n' + rows.join('\n') + '\n');
  const p = await plan(path, DEFAULT_CSV_OPTIONS, { maxPartitionBytes: 1 << 20 });
  const size = openCounting(path).size;
  t.ok(p.sources.length >= 4, `${p.sources.length} partitions`);
  t.ok(p.bytesRead < size / 2, `read ${p.bytesRead} of ${size} bytes`);
  t.ok(p.bytesRead <= 64 * 1024 + (p.sources.length - 1) * (64 + 256) * 1024, 'about one 64 KiB + 256 KiB window per cut');
  const exact = await plan(path, DEFAULT_CSV_OPTIONS, { maxPartitionBytes: 1 << 20, exactSplits: true });
  t.same(exact.sources, p.sources, 'speculation and the exact scan agree');
});

t.test('csv-split-planner: falls back to the exact scan when a giant quoted field hides the state', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'giant.csv');
  const blob = Array.from({ length: 340000 }, (_, i) => `he said ""hi"" ${i} times`).join('\n');
  writeFileSync(path, `a,b\n1,x\n2,"${blob}"\n3,y\n4,z\n`);
  const r = await readCsvFile(path, DEFAULT_CSV_OPTIONS, { partitions: 2 });
  t.ok(r.planBytesRead > 6 << 20, `the exact scan ran (read ${r.planBytesRead} bytes, more than all windows)`);
  t.equal(r.rows.length, 4);
  t.equal(r.rows[1]![1], blob.split('""').join('"'));
  t.equal(r.plan.sources.length, 2, 'the cut inside the giant field moves past it');
  t.equal(r.plan.sources[1]!.start, r.plan.sources[1]!.end - '3,y\n4,z\n'.length);
});

t.test('csv-split-planner: a wrong guess fails loudly and exactSplits recovers', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'one-col.csv');
  // One column: every line of the quoted blob looks like a clean record under the wrong reading.
  const blob = Array.from({ length: 60000 }, (_, i) => `plain text line ${i}`).join('\n');
  writeFileSync(path, `note\nfirst\n"${blob}"\nlast\n`);
  const f = openCounting(path);
  const guessed = await planCsvSplits({
    file: path,
    fileSize: f.size,
    read: f.read,
    csv: DEFAULT_CSV_OPTIONS,
    partitions: 2,
    maxPartitionBytes: 1 << 30,
  });
  const s0 = guessed.sources[0]!;
  const schema = [{ name: 'note', type: 'string' as const }];
  const bytes = await readRange(f, s0.start, s0.end);
  t.throws(() => parsePartition(bytes, s0, DEFAULT_CSV_OPTIONS, schema, 0, 2, f.size), {
    code: 'E_CSV_MALFORMED',
    details: { splitPlanError: true },
  });
  f.close();
  const r = await readCsvFile(path, DEFAULT_CSV_OPTIONS, { partitions: 2 }).catch((e: unknown) => e);
  t.ok(r instanceof Error, 'the engine path reports the bad plan');
  const exact = await plan(path, DEFAULT_CSV_OPTIONS, { partitions: 2, exactSplits: true });
  t.equal(exact.sources.length, 2);
  const g = await readCsvFile(path, DEFAULT_CSV_OPTIONS, { partitions: 1 });
  t.same(
    g.rows.map((x) => x[0]),
    ['first', blob, 'last'],
  );
});
