import path from 'node:path';
import parquet from '@dsnp/parquetjs';
import t from 'tap';
import type { DesignBlock } from '@kindling/shared';
import { writeFeaturesPart } from '../../src/artifacts/features-writer.js';

/** Reads an array column as stored (3-level LIST: `{ list: [{ element }] }`, `{ list: null }` when empty). */
function listOf(v: unknown): number[] {
  const list = (v as { list: { element: number }[] | null }).list;
  return list === null ? [] : list.map((e) => e.element);
}

async function readRows(file: string): Promise<{ rows: Record<string, any>[]; footer: Record<string, unknown> }> {
  const reader = await parquet.ParquetReader.openFile(file);
  try {
    const rows: Record<string, any>[] = [];
    const cursor = reader.getCursor();
    for (let r = (await cursor.next()) as Record<string, any> | null; r; r = (await cursor.next()) as Record<string, any> | null)
      rows.push(r);
    return { rows, footer: reader.getMetadata() };
  } finally {
    await reader.close();
  }
}

// Layout: 6 slots; numeric input 0 → slot 3, numeric input 1 → slot 0 (file order mixes kinds),
// categorical inputs use slots 1–2 and 4–5.
const BLOCK: DesignBlock = {
  numRows: 4,
  rowIds: Float64Array.from([10, 11, 12, 2 ** 40]),
  label: Float64Array.from([1, 0, 0, 1]),
  numNumeric: 2,
  numeric: Float64Array.from([2.5, -1e-300, 0, 7, -0, 0, Number.NaN, 0.1]),
  numCategorical: 2,
  categorical: Int32Array.from([1, 5, -1, 4, -1, -1, 2, -1]),
};

t.test('features-writer: writes sparse vectors with ascending indices and zeros skipped', async (t) => {
  const dir = path.join(t.testdir({}), 'features');
  const file = await writeFeaturesPart(dir, 7, BLOCK, [3, 0], 6);
  t.equal(file, path.join(dir, 'part-00007.parquet'));
  const { rows, footer } = await readRows(file);
  t.equal(rows.length, 4);
  t.same(
    rows.map((r) => Number(r['rowId'])),
    [10, 11, 12, 2 ** 40],
  );
  t.same(
    rows.map((r) => r['label']),
    [1, 0, 0, 1],
  );
  for (const r of rows) t.match(r['features'], { type: 0, size: 6 }, 'sparse vector of the layout size');
  t.same(
    rows.map((r) => listOf(r['features'].indices)),
    [[0, 1, 3, 5], [0, 4], [], [0, 2, 3]],
  );
  const values = rows.map((r) => listOf(r['features'].values));
  t.same(values.slice(0, 3), [[-1e-300, 1, 2.5, 1], [7, 1], []]);
  t.equal(values[3]?.[0], 0.1);
  t.equal(values[3]?.[1], 1);
  t.ok(Number.isNaN(values[3]?.[2]), "NaN is kept, as Spark's assembler does");

  const schema = JSON.parse(String(footer['org.apache.spark.sql.parquet.row.metadata'])) as { fields: { name: string; type: unknown }[] };
  t.same(
    schema.fields.map((f) => f.name),
    ['rowId', 'label', 'features'],
  );
  t.match(schema.fields[2]?.type, { type: 'udt', class: 'org.apache.spark.ml.linalg.VectorUDT' });
});

t.test('features-writer: refuses a layout that does not fit the block', async (t) => {
  const dir = t.testdir({});
  await t.rejects(writeFeaturesPart(dir, 0, BLOCK, [3], 6), { code: 'E_INTERNAL', message: /1 numeric slots for 2 numeric inputs/ });
  await t.rejects(writeFeaturesPart(dir, 0, BLOCK, [3, 6], 6), { code: 'E_INTERNAL', message: /numeric slot 6 outside 0\.\.5/ });
  await t.rejects(writeFeaturesPart(dir, 0, BLOCK, [3, 0], 5), { code: 'E_INTERNAL', message: /categorical slot 5 outside/ });
  await t.rejects(writeFeaturesPart(dir, 0, BLOCK, [1, 0], 6), { code: 'E_INTERNAL', message: /slot 1 is filled twice/ });
});
