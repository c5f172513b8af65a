import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpec } from '../../src/job/job-spec-parser.js';
import { allocatePartitions, groupRowGroups, planInputFiles } from '../../src/input/input-planner.js';

const csv =
  (max = Number.MAX_SAFE_INTEGER) =>
  (bytes: number) => ({ bytes, max });

t.test("input-planner: partitions are shared among files by bytes, at least one each, within each file's maximum", async (t) => {
  t.same(allocatePartitions([csv()(1000)], 7), [7], 'one file gets the count');
  t.same(allocatePartitions([100, 100, 100, 100].map(csv()), 4), [1, 1, 1, 1], 'equal files, one each');
  t.same(allocatePartitions([300, 100].map(csv()), 4), [3, 1]);
  t.same(allocatePartitions([100, 100, 100].map(csv()), 1), [1, 1, 1], 'never fewer partitions than files');
  t.same(allocatePartitions([250, 250, 500].map(csv()), 5), [1, 1, 3], 'largest remainder; ties to the earlier file');
  t.same(
    allocatePartitions(
      [
        { bytes: 900, max: 1 },
        { bytes: 100, max: 100 },
      ],
      10,
    ),
    [1, 9],
    'a gzip file is one partition; the rest go elsewhere',
  );
  t.same(allocatePartitions([{ bytes: 900, max: 3 }], 10), [3], 'a Parquet file has at most its row groups');
  t.same(allocatePartitions([{ bytes: 0, max: 0 }, csv()(10)], 2), [0, 2], 'a file with no row groups gets none');
  t.same(allocatePartitions([csv()(1000), csv()(10)], 2, 100), [10, 1], 'no partition above maxPartitionBytes');
});

t.test('input-planner: row groups are grouped into contiguous balanced runs', async (t) => {
  const g = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));
  t.same(groupRowGroups(g(10, 10, 10, 10), 2), [
    [0, 2],
    [2, 4],
  ]);
  t.same(
    groupRowGroups(g(10, 10, 10), 5),
    [
      [0, 1],
      [1, 2],
      [2, 3],
    ],
    'never more runs than row groups',
  );
  t.same(groupRowGroups(g(100, 1, 1, 1), 2), [
    [0, 1],
    [1, 4],
  ]);
  t.same(
    groupRowGroups(g(1, 1, 1, 100), 3),
    [
      [0, 2],
      [2, 3],
      [3, 4],
    ],
    'the big row group alone; each later run keeps one',
  );
  t.same(groupRowGroups(g(5, 5), 1), [[0, 2]]);
  t.same(groupRowGroups([], 3), []);
});

t.test('input-planner: CSV files of one input: cuts per file, first lines per file, and the header check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'planner-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i},${(from + i) * 2}`).join('\n');
  writeFileSync(join(dir, 'a.csv'), `id,v\n${rows(0, 5000)}\n`);
  writeFileSync(join(dir, 'b.csv'), `\n\nid,v\n${rows(5000, 1000)}\n`);
  const spec = parseJobSpec({ input: { path: '*.csv', partitions: 6 }, pipeline: { label: 'v' } }, dir);
  const { plan, dataFirstLines, label } = await planInputFiles(spec.input, false, 1);
  t.same(
    plan.files.map((f) => f.path),
    [join(dir, 'a.csv'), join(dir, 'b.csv')],
  );
  t.same(
    plan.partitions.map((p) => p.file),
    [0, 0, 0, 0, 0, 1],
    'a.csv has 5/6 of the bytes',
  );
  t.same(dataFirstLines, [2, 4], 'blank lines before a header count');
  t.equal(plan.partitions[5]!.firstLine, 4, "a file's first partition knows its first line");
  t.equal(label, '*.csv (2 files)');
  writeFileSync(join(dir, 'c.csv'), `id,w\n1,2\n`);
  await t.rejects(planInputFiles(spec.input, false, 1), {
    code: 'E_CSV_HEADER',
    message: /c\.csv: its header differs from .*a\.csv: expected columns \[id, v\], found \[id, w\]/,
  });
});
