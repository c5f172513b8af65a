import path from 'node:path';
import parquet from '@dsnp/parquetjs';
import t from 'tap';
import { parquetNodesFromDefinition, RecordShredder } from '../../src/artifacts/parquet-record-shredder.js';
import {
  VECTOR_UDT,
  fromParquetList,
  parquetVector,
  sparkField,
  sparkStruct,
  toParquetList,
  writeParquetFile,
} from '../../src/artifacts/spark-parquet.js';

interface Expected {
  id: number;
  v: { type: number; size: number | null; indices: number[] | null; values: number[] | null } | null;
}

/** Deterministic rows covering null structs, null and empty lists, and long runs of equal levels. */
function makeRows(count: number): { rows: Record<string, unknown>[]; expected: Expected[] } {
  let state = 7;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const rows: Record<string, unknown>[] = [];
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    // Stretches of 40 rows of the same shape give RLE runs; the rest is mixed (bit-packed).
    const stretch = Math.floor(i / 40) % 4;
    const r = stretch === 0 ? 0.5 : next();
    if (stretch === 1 || r < 0.1) {
      rows.push({ id: i, v: null });
      expected.push({ id: i, v: null });
      continue;
    }
    const len = stretch === 2 ? 0 : Math.floor(next() * (next() < 0.5 ? 3 : 30));
    const indices = Array.from({ length: len }, (_, k) => k * 3 + Math.floor(next() * 3));
    const values = indices.map((x) => x * 0.5 - 3);
    const nullIndices = next() < 0.2;
    rows.push({
      id: i,
      v: { type: i % 2, size: r < 0.2 ? null : 1000, indices: nullIndices ? null : toParquetList(indices), values: toParquetList(values) },
    });
    expected.push({ id: i, v: { type: i % 2, size: r < 0.2 ? null : 1000, indices: nullIndices ? null : indices, values } });
  }
  return { rows, expected };
}

t.test('parquet-record-shredder: nested structs and lists read back exactly with parquetjs', async (t) => {
  const file = path.join(t.testdir({}), 'nested.parquet');
  const { rows, expected } = makeRows(2000);
  await writeParquetFile(
    file,
    { id: { type: 'INT64', compression: 'GZIP' }, v: parquetVector('GZIP') },
    sparkStruct([sparkField('id', 'long', false), sparkField('v', VECTOR_UDT, true)]),
    rows,
    { rowGroupSize: 700 },
  );
  const reader = await parquet.ParquetReader.openFile(file);
  t.teardown(() => reader.close());
  t.equal(reader.metadata?.row_groups.length, 3);
  const cursor = reader.getCursor();
  let mismatches = 0;
  for (let i = 0; ; i++) {
    const row = (await cursor.next()) as Record<string, any> | null;
    if (!row) {
      t.equal(i, expected.length, 'every row read back');
      break;
    }
    const v =
      row['v'] === null || row['v'] === undefined
        ? null
        : {
            type: row['v'].type,
            size: row['v'].size ?? null,
            indices: fromParquetList(row['v'].indices, 'indices'),
            values: fromParquetList(row['v'].values, 'values'),
          };
    if (JSON.stringify({ id: Number(row['id']), v }) !== JSON.stringify(expected[i])) mismatches++;
  }
  t.equal(mismatches, 0, 'every row equal');
});

t.test('parquet-record-shredder: computes Dremel levels for a list column', async (t) => {
  const nodes = parquetNodesFromDefinition({ v: parquetVector('UNCOMPRESSED') }, 'x.parquet');
  const shredder = new RecordShredder(nodes, 'x.parquet');
  shredder.add({ v: { type: 0, size: 3, indices: toParquetList([0, 2]), values: toParquetList([1.5, -1]) } });
  shredder.add({ v: null });
  shredder.add({ v: { type: 1, size: null, indices: null, values: toParquetList([]) } });
  const { numRows, columns } = shredder.take();
  t.equal(numRows, 3);
  // Leaves: type, size, indices.list.element, values.list.element.
  t.same(columns[2], { values: [0, 2], definitionLevels: [3, 3, 0, 1], repetitionLevels: [0, 1, 0, 0] });
  t.same(columns[3], { values: [1.5, -1], definitionLevels: [3, 3, 0, 2], repetitionLevels: [0, 1, 0, 0] });
  t.same(columns[1], { values: [3], definitionLevels: [2, 0, 1] });
  t.equal(shredder.rowCount, 0, 'take() starts a new row group');
});

t.test('parquet-record-shredder: rows that break the schema are OutputErrors naming row and field', async (t) => {
  const nodes = parquetNodesFromDefinition({ a: { type: 'INT32' }, v: parquetVector('UNCOMPRESSED') }, 'x.parquet');
  const shredder = new RecordShredder(nodes, 'x.parquet');
  shredder.add({ a: 1, v: null });
  t.throws(() => shredder.add({ v: null }), { code: 'E_OUTPUT', message: /x\.parquet: row 1: missing required field a/ });
  t.throws(() => shredder.add({ a: 2 ** 31, v: null }), {
    code: 'E_OUTPUT',
    message: /row 2: field a: 2147483648 is not a valid INT32 value/,
  });
  t.throws(() => shredder.add({ a: 1, v: { type: 300, values: null } }), {
    code: 'E_OUTPUT',
    message: /field v\.type: 300 is not a valid INT_8 value/,
  });
  t.throws(() => shredder.add({ a: [1, 2], v: null }), { code: 'E_OUTPUT', message: /too many values for field a/ });
  t.throws(() => parquetNodesFromDefinition({ s: { type: 'UTF8' } }, 'y.parquet'), {
    code: 'E_INTERNAL',
    message: /invalid Parquet schema for y\.parquet: s has type UTF8/,
  });
});
