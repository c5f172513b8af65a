/**
 * Parquet files with DATA_PAGE_V2 pages (hyparquet-writer's default; DuckDB writes v1 pages)
 * and nulls: planned by the driver and loaded by the csv-load kernel as a worker runs it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { dictionaryValue, lineageOf, partitionByteRanges, taskOp } from '@kindling/shared/compute';
import { planInputFiles } from '../../src/input/input-planner.js';
import { parseJobSpec } from '../../src/job/job-spec-parser.js';

t.test('parquet: DATA_PAGE_V2 pages with nulls, several row groups, read back exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parquet-v2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const n = 5000;
  const ints = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i - 2500));
  const doubles = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? null : i / 3));
  const strings = Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : `s${i % 13}`));
  const bools = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : i % 3 === 0));
  const file = join(dir, 'v2.parquet');
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'i', data: ints, type: 'INT32' },
      { name: 'd', data: doubles, type: 'DOUBLE' },
      { name: 's', data: strings, type: 'STRING' },
      { name: 'b', data: bools, type: 'BOOLEAN' },
    ],
    rowGroupSize: 1500,
  });
  writeFileSync(file, new Uint8Array(buffer));
  const text = readFileSync(file);
  t.ok(text.includes(Buffer.from('PAR1')), 'a Parquet file');

  const spec = parseJobSpec({ input: { path: file, partitions: 2 }, pipeline: { label: 'b' } }, dir);
  const { plan } = await planInputFiles(spec.input, false, 1);
  t.strictSame(plan.schema, [
    { name: 'i', type: 'int' },
    { name: 'd', type: 'double' },
    { name: 's', type: 'string' },
    { name: 'b', type: 'boolean' },
  ]);
  t.equal(plan.partitions.length, 2);
  const got: { i: unknown[]; d: unknown[]; s: unknown[]; b: unknown[] } = { i: [], d: [], s: [], b: [] };
  for (let k = 0; k < plan.partitions.length; k++) {
    const lineage = lineageOf(plan, k);
    const bytes = Buffer.concat(partitionByteRanges(lineage.source).map(([s, e]) => text.subarray(s, e)));
    const rows = taskOp('csv-load').run(bytes, lineage, {}).blocks!.rows!;
    rows.columns.forEach((col, c) => {
      const name = (['i', 'd', 's', 'b'] as const)[c]!;
      for (let r = 0; r < rows.numRows; r++) {
        if (col.kind === 'string') got[name].push(col.codes[r] === -1 ? null : dictionaryValue(col.dict, col.codes[r]!));
        else got[name].push(col.nulls?.[r] === 1 ? null : col.values[r]);
      }
    });
  }
  t.strictSame(got.i, ints);
  t.strictSame(got.d, doubles);
  t.strictSame(got.s, strings);
  t.strictSame(
    got.b,
    bools.map((v) => (v === null ? null : v ? 1 : 0)),
  );
});
