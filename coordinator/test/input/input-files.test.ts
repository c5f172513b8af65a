import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import t from 'tap';
import { comparePaths, isHiddenInputName, resolveInputFiles } from '../../src/input/input-files.js';

function tree(t: { teardown(f: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'input-files-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

t.test('input-files: a Spark output folder gives its part files, skipping bookkeeping, hidden and empty files', async (t) => {
  const root = tree(t, {
    'out/part-00001-abc.csv': 'b',
    'out/part-00000-abc.csv': 'a',
    'out/part-00002-abc.csv': '',
    'out/_SUCCESS': '',
    'out/_committed_123': 'x',
    'out/_started_123': 'x',
    'out/.part-00000-abc.csv.crc': 'x',
    'out/part-00000-abc.csv.crc': 'x',
    'out/_temporary/0/part-00009.csv': 'x',
    'out/.spark-staging/part-0.csv': 'x',
    'out/year=2026/part-00003.csv': 'c',
  });
  const files = await resolveInputFiles(join(root, 'out'));
  t.same(
    files.map((f) => path.relative(root, f)),
    ['out/part-00000-abc.csv', 'out/part-00001-abc.csv', 'out/year=2026/part-00003.csv'],
  );
});

t.test('input-files: files are ordered by path byte-wise, listed once, whatever the order given', async (t) => {
  const root = tree(t, { 'B.csv': 'x', 'a.csv': 'x', 'a-1.csv': 'x', 'ä.csv': 'x', 'sub/z.csv': 'x' });
  const files = await resolveInputFiles([join(root, 'sub'), join(root, '*.csv'), join(root, 'a.csv')]);
  t.same(
    files.map((f) => path.relative(root, f)),
    ['B.csv', 'a-1.csv', 'a.csv', 'sub/z.csv', 'ä.csv'],
  );
  t.ok(comparePaths('a', 'b') < 0 && comparePaths('Z', 'a') < 0 && comparePaths('z', 'ä') < 0);
  t.ok(isHiddenInputName('_SUCCESS') && isHiddenInputName('.x') && isHiddenInputName('p.csv.crc') && !isHiddenInputName('part-0.csv'));
});

t.test('input-files: an explicitly named file is taken even if hidden; missing paths and empty matches are E_IO naming them', async (t) => {
  const root = tree(t, { '_data.csv': 'x', 'empty/_SUCCESS': '' });
  t.same(await resolveInputFiles(join(root, '_data.csv')), [join(root, '_data.csv')]);
  await t.rejects(resolveInputFiles(join(root, 'nope.csv')), { code: 'E_IO', message: /nope\.csv: no such file or folder/ });
  await t.rejects(resolveInputFiles(join(root, 'empty')), { code: 'E_IO', message: /empty: the folder has no data files \(1 hidden/ });
  await t.rejects(resolveInputFiles(join(root, '*.parquet')), { code: 'E_IO', message: /\*\.parquet: the glob matched no data files/ });
  await t.rejects(resolveInputFiles(join(root, '_*.csv')), { code: 'E_IO', message: /matched no data files \(1 hidden or empty/ });
});
