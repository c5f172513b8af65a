import { readFileSync } from 'node:fs';
import t from 'tap';
import { compareUtf16, compareUtf8, labelsFromCounts, mergeStringStats, orderLabels } from '../../src/ml/index.js';
import type { StringColumnStats } from '../../src/tasks.js';

const BANK_CSV = new URL('../../../../examples/data/bank.csv', import.meta.url);

const stats = (entries: [string, number][], nullCount = 0): StringColumnStats => ({
  kind: 'string',
  nullCount,
  values: entries.map(([v]) => v),
  counts: entries.map(([, c]) => c),
});

t.test('string-indexer: compareUtf8 orders as unsigned UTF-8 bytes, unlike UTF-16', async (t) => {
  // U+FF61 is EF BD A1 in UTF-8 and FF61 in UTF-16; U+1F600 is F0 9F 98 80 and D83D DE00.
  t.ok(compareUtf8('\uFF61', '\u{1F600}') < 0);
  t.ok(compareUtf16('\uFF61', '\u{1F600}') > 0);
  t.ok(compareUtf8('\u{1F600}', '\uFF61') > 0);
  t.equal(compareUtf8('abc', 'abc'), 0);
  t.ok(compareUtf8('ab', 'abc') < 0);
  // Property check against Buffer.compare on strings mixing ASCII, BMP and astral characters.
  const alphabet = ['a', 'z', '\u00e9', '\u4e2d', '\ud7ff', '\ue000', '\uff61', '\uffff', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
  let seed = 1;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  const word = (): string => Array.from({ length: 1 + (next() % 3) }, () => alphabet[next() % alphabet.length]!).join('');
  let mismatches = 0;
  for (let i = 0; i < 3000; i++) {
    const a = word();
    const b = word();
    if (Math.sign(compareUtf8(a, b)) !== Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('string-indexer: orders labels by frequency with ties broken by value, as Spark', async (t) => {
  const values = ['b', 'a', 'c', 'd'];
  const counts = [2, 2, 3, 1];
  t.same(orderLabels(values, counts, 'frequencyDesc'), ['c', 'a', 'b', 'd']);
  t.same(orderLabels(values, counts, 'frequencyAsc'), ['d', 'a', 'b', 'c']);
  t.same(orderLabels(values, counts, 'alphabetAsc'), ['a', 'b', 'c', 'd']);
  t.same(orderLabels(values, counts, 'alphabetDesc'), ['d', 'c', 'b', 'a']);
  t.throws(() => orderLabels(['a'], [1, 2], 'frequencyDesc'), { code: 'E_INTERNAL' });
});

t.test('string-indexer: ties between astral and high-BMP values follow the chosen collation', async (t) => {
  const values = ['\uFF61', '\u{1F600}', 'z'];
  const counts = [5, 5, 5];
  // Spark 3.x compares with Java String.compareTo (UTF-16 units): the surrogate pair sorts first.
  t.same(orderLabels(values, counts, 'frequencyDesc'), ['z', '\u{1F600}', '\uFF61']);
  t.same(orderLabels(values, counts, 'frequencyDesc', 'utf8'), ['z', '\uFF61', '\u{1F600}']);
  t.same(orderLabels(values, counts, 'alphabetDesc', 'utf8'), ['\u{1F600}', '\uFF61', 'z']);
});

t.test('string-indexer: merging partition counts equals counting all rows, in first-seen order', async (t) => {
  const merged = mergeStringStats([
    stats(
      [
        ['x', 2],
        ['y', 1],
      ],
      3,
    ),
    stats([]),
    stats([
      ['z', 4],
      ['x', 5],
    ]),
  ]);
  t.same(
    [...merged.entries()],
    [
      ['x', 7],
      ['y', 1],
      ['z', 4],
    ],
  );
  t.same(labelsFromCounts(merged, 'frequencyDesc'), ['x', 'z', 'y']);
});

t.test('string-indexer: bank.csv categories come out in the documented StringIndexer order', async (t) => {
  const lines = readFileSync(BANK_CSV, 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  const columnStats = (col: number, from: number, to: number): StringColumnStats => {
    const m = new Map<string, number>();
    for (const r of rows.slice(from, to)) m.set(r[col]!, (m.get(r[col]!) ?? 0) + 1);
    return stats([...m.entries()]);
  };
  const expected: Record<string, string> = {
    job: 'management blue-collar technician admin. services retired self-employed student unemployed entrepreneur housemaid unknown',
    marital: 'married single divorced',
    education: 'secondary tertiary primary unknown',
    default: 'no yes',
    housing: 'no yes',
    loan: 'no yes',
    contact: 'cellular unknown telephone',
    month: 'may aug jul jun nov apr feb oct jan sep mar dec',
    poutcome: 'unknown failure success other',
    deposit: 'no yes',
  };
  for (const [name, order] of Object.entries(expected)) {
    const col = header.indexOf(name);
    // Two partitions, as the load stage would report them.
    const merged = mergeStringStats([columnStats(col, 0, 5000), columnStats(col, 5000, rows.length)]);
    t.same(labelsFromCounts(merged, 'frequencyDesc'), order.split(' '), name);
  }
  const job = mergeStringStats([columnStats(header.indexOf('job'), 0, rows.length)]);
  t.equal(job.get('management'), 2566);
  t.equal(job.get('unknown'), 70);
});
