import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import parquet from '@dsnp/parquetjs';
import t from 'tap';
import { ParquetFileWriter, type ParquetCodec, type ParquetNode } from '../../src/artifacts/parquet-file-writer.js';

function flatSchema(compression: ParquetCodec): ParquetNode[] {
  return [
    { name: 'id', repetition: 'REQUIRED', type: 'INT64', compression },
    { name: 'x', repetition: 'REQUIRED', type: 'DOUBLE', compression },
    { name: 'n', repetition: 'OPTIONAL', type: 'INT32', compression },
    { name: 'b', repetition: 'REQUIRED', type: 'BOOLEAN', compression },
  ];
}

const IDS = [0, -1, 9007199254740991, -9007199254740991, 4294967296, -4294967297, 123456789012, 7, 8, 9];
const XS = [0.1, -0, 5e-324, 1.7976931348623157e308, Number.NaN, -Infinity, 1 / 3, 2, -2.5, 0];

/** Rows `from`..`to` of the test table as column data (n is null on every third row). */
function columns(from: number, to: number): Parameters<ParquetFileWriter['writeRowGroup']>[1] {
  const def: number[] = [];
  const ns: number[] = [];
  for (let i = from; i < to; i++) {
    def.push(i % 3 === 0 ? 0 : 1);
    if (i % 3 !== 0) ns.push(i - 5);
  }
  return [
    { values: Float64Array.from(IDS.slice(from, to)) },
    { values: Float64Array.from(XS.slice(from, to)) },
    { values: ns, definitionLevels: def },
    { values: IDS.slice(from, to).map((id) => id % 2 === 0) },
  ];
}

async function readAll(
  file: string,
): Promise<{ rows: Record<string, unknown>[]; reader: Awaited<ReturnType<typeof parquet.ParquetReader.openFile>> }> {
  const reader = await parquet.ParquetReader.openFile(file);
  const rows: Record<string, unknown>[] = [];
  const cursor = reader.getCursor();
  for (let r = (await cursor.next()) as Record<string, unknown> | null; r; r = (await cursor.next()) as Record<string, unknown> | null)
    rows.push(r);
  return { rows, reader };
}

for (const codec of ['UNCOMPRESSED', 'GZIP', 'SNAPPY'] as const) {
  t.test(`parquet-file-writer: ${codec} columns in several row groups read back exactly with parquetjs`, async (t) => {
    const file = path.join(t.testdir({}), 'flat.parquet');
    const writer = await ParquetFileWriter.open(file, flatSchema(codec), { metadata: { hello: 'wörld', second: '2' } });
    await writer.writeRowGroup(4, columns(0, 4));
    await writer.writeRowGroup(6, columns(4, 10));
    await writer.close();

    const { rows, reader } = await readAll(file);
    t.teardown(() => reader.close());
    t.equal(rows.length, 10);
    rows.forEach((r, i) => {
      t.equal(r['id'], BigInt(IDS[i] as number), `id ${i}`);
      t.ok(Object.is(r['x'], XS[i]), `x ${i} is ${XS[i]}`);
      t.equal(r['n'] ?? null, i % 3 === 0 ? null : i - 5, `n ${i}`);
      t.equal(r['b'], (IDS[i] as number) % 2 === 0, `b ${i}`);
    });
    t.same(reader.getMetadata(), { hello: 'wörld', second: '2' }, 'footer key/values in order');
    t.equal(reader.metadata?.row_groups.length, 2);
    const chunk = reader.metadata?.row_groups[0]?.columns[0]?.meta_data;
    t.equal(chunk?.codec, { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2 }[codec]);
    t.same(
      reader.schema.fieldList.map((f) => [f.name, f.primitiveType, f.repetitionType]),
      [
        ['id', 'INT64', 'REQUIRED'],
        ['x', 'DOUBLE', 'REQUIRED'],
        ['n', 'INT32', 'OPTIONAL'],
        ['b', 'BOOLEAN', 'REQUIRED'],
      ],
    );
  });
}

t.test('parquet-file-writer: column statistics give min and max per row group', async (t) => {
  const file = path.join(t.testdir({}), 'stats.parquet');
  const writer = await ParquetFileWriter.open(file, flatSchema('UNCOMPRESSED'));
  await writer.writeRowGroup(10, columns(0, 10));
  await writer.close();
  const reader = await parquet.ParquetReader.openFile(file);
  t.teardown(() => reader.close());
  const meta = (c: number) => reader.metadata?.row_groups[0]?.columns[c]?.meta_data?.statistics;
  // parquetjs decodes min_value/max_value from the PLAIN bytes.
  t.equal(meta(0)?.min_value as unknown, -9007199254740991n);
  t.equal(meta(0)?.max_value as unknown, 9007199254740991n);
  t.equal(meta(1)?.min_value as unknown, -Infinity, 'NaN is left out of min/max');
  t.equal(meta(1)?.max_value as unknown, 1.7976931348623157e308);
  t.equal(meta(3)?.min_value as unknown, false);
  t.equal(meta(3)?.max_value as unknown, true);
  t.equal(Number(meta(2)?.null_count), 4, 'nulls counted');
});

t.test('parquet-file-writer: the same data gives the same bytes', async (t) => {
  const dir = t.testdir({});
  const write = async (name: string): Promise<Buffer> => {
    const file = path.join(dir, name);
    const writer = await ParquetFileWriter.open(file, flatSchema('GZIP'), { metadata: { k: 'v' } });
    await writer.writeRowGroup(10, columns(0, 10));
    await writer.close();
    return readFileSync(file);
  };
  t.ok((await write('a.parquet')).equals(await write('b.parquet')));
});

t.test('parquet-file-writer: bad column data is an OutputError naming the file and column', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'bad.parquet');
  const writer = await ParquetFileWriter.open(file, flatSchema('UNCOMPRESSED'));
  const bad = columns(0, 4);
  await t.rejects(writer.writeRowGroup(4, [{ values: [0, 1.5, 2, 3] }, ...bad.slice(1)]), {
    code: 'E_OUTPUT',
    message: /bad\.parquet: column id: value 1 \(1\.5\) is not an INT64/,
  });
  await t.rejects(writer.writeRowGroup(4, [bad[0]!, bad[1]!, { values: [1], definitionLevels: [1, 1, 0, 0] }, bad[3]!]), {
    code: 'E_OUTPUT',
    message: /column n: 1 values for 2 defined entries/,
  });
  await t.rejects(writer.writeRowGroup(5, bad), { code: 'E_OUTPUT', message: /4 values for 5 rows/ });
  await writer.abort();
  t.notOk(existsSync(file), 'abort removes the partial file');
  await t.rejects(ParquetFileWriter.open(path.join(dir, 'missing', 'x.parquet'), flatSchema('GZIP')), {
    code: 'E_OUTPUT',
    message: /missing\/x\.parquet/,
  });
});
