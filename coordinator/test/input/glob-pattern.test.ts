import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import t from 'tap';
import { expandGlob, hasGlobSyntax, segmentRegExp } from '../../src/input/glob-pattern.js';

t.test("glob-pattern: one segment matches as Node's own (experimental) path.matchesGlob does", async (t) => {
  const patterns = [
    'part-*.csv',
    '*.csv',
    'part-0000?.csv',
    'part-[0-9]*',
    'part-[!0]*',
    'file.{csv,tsv}',
    '2026-*',
    '*',
    'a?c',
    '[abc].csv',
    'x.csv',
  ];
  const names = [
    'part-00000.csv',
    'part-1.csv',
    'part-00001.csv.crc',
    'a.csv',
    'b.tsv',
    'file.csv',
    'file.tsv',
    'file.txt',
    '2026-01',
    '2025-12',
    'abc',
    'a.c',
    'x.csv',
    'xcsv',
    'c.csv',
    'd.csv',
    'part-x',
  ];
  for (const p of patterns) {
    for (const n of names) {
      t.equal(segmentRegExp(p).test(n), path.matchesGlob(n, p), `${p} vs ${n}`);
    }
  }
  t.ok(hasGlobSyntax('/data/2026-*/part-*.csv'));
  t.notOk(hasGlobSyntax('/data/bank.csv'));
  t.throws(() => segmentRegExp('{a,b'), /unclosed/);
});

t.test('glob-pattern: expands directory and file segments, ** and skips dot names unless asked', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'glob-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const f of [
    '2026-01/part-0.csv',
    '2026-01/part-1.csv',
    '2026-02/part-0.csv',
    '2025-12/part-0.csv',
    '2026-02/deep/part-9.csv',
    '2026-02/.hidden.csv',
    '.dot/part-0.csv',
  ]) {
    mkdirSync(path.dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), 'x');
  }
  const rel = async (p: string) => (await expandGlob(join(root, p))).map((f) => path.relative(root, f)).sort();
  t.same(await rel('2026-*/part-*.csv'), ['2026-01/part-0.csv', '2026-01/part-1.csv', '2026-02/part-0.csv']);
  t.same(await rel('2026-0[2]/*.csv'), ['2026-02/part-0.csv']);
  t.same(await rel('2026-02/.*.csv'), ['2026-02/.hidden.csv'], 'a dot pattern matches dot names');
  t.same(await rel('**/part-0.csv'), ['2025-12/part-0.csv', '2026-01/part-0.csv', '2026-02/part-0.csv'], '** skips hidden folders');
  t.same(await rel('2026-02/**'), ['2026-02/deep/part-9.csv', '2026-02/part-0.csv']);
  t.same(await rel('2027-*/*.csv'), [], 'nothing matches');
  t.same(await rel('2026-01/part-1.csv'), ['2026-01/part-1.csv'], 'a pattern without glob syntax is the file');
});
