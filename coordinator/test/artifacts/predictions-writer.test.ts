import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import parquet from '@dsnp/parquetjs';
import t from 'tap';
import { PredictionsWriter, type PredictionRows } from '../../src/artifacts/predictions-writer.js';

interface ReadBack {
  rows: { rowId: number; label: number; probability: number; prediction: number }[];
  footer: Record<string, unknown>;
  rowGroups: number;
  types: Record<string, string | undefined>;
}

async function readBack(file: string): Promise<ReadBack> {
  const reader = await parquet.ParquetReader.openFile(file);
  try {
    const rows: ReadBack['rows'] = [];
    const cursor = reader.getCursor();
    for (let r = (await cursor.next()) as Record<string, unknown> | null; r; r = (await cursor.next()) as Record<string, unknown> | null) {
      if (typeof r['rowId'] !== 'bigint') throw new TypeError(`rowId ${String(r['rowId'])} is not read back as INT64`);
      rows.push({
        rowId: Number(r['rowId']),
        label: r['label'] as number,
        probability: r['probability'] as number,
        prediction: r['prediction'] as number,
      });
    }
    const types: Record<string, string | undefined> = {};
    for (const [name, field] of Object.entries(reader.schema.fields)) types[name] = field.primitiveType;
    return { rows, footer: reader.getMetadata(), rowGroups: reader.metadata?.row_groups.length ?? -1, types };
  } finally {
    await reader.close();
  }
}

function part(rowIds: number[], probability: number[]): PredictionRows {
  return {
    rowIds: Float64Array.from(rowIds),
    label: Float64Array.from(rowIds, (id) => id % 2),
    probability: Float64Array.from(probability),
    prediction: Float64Array.from(probability, (p) => (p > 0.5 ? 1 : 0)),
  };
}

t.test('predictions-writer: writes one part file per partition that reads back exactly', async (t) => {
  const dir = path.join(t.testdir({}), 'predictions');
  const writer = await PredictionsWriter.open(dir);
  const p0 = part([0, 3, 9007199254740991], [0.1, 0.9999999999999999, 1 / 3]);
  const p2 = part([5], [5e-324]);
  t.equal(await writer.writePart(0, p0), path.join(dir, 'part-00000.parquet'));
  await writer.writePart(1, part([], []));
  await writer.writePart(2, p2);
  t.notOk(existsSync(path.join(dir, '_SUCCESS')), 'not complete before close');
  await writer.close();
  t.same(readdirSync(dir).sort(), ['_SUCCESS', 'part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']);

  const back0 = await readBack(path.join(dir, 'part-00000.parquet'));
  t.same(back0.types, { rowId: 'INT64', label: 'DOUBLE', probability: 'DOUBLE', prediction: 'DOUBLE' });
  t.same(back0.rows, [
    { rowId: 0, label: 0, probability: 0.1, prediction: 0 },
    { rowId: 3, label: 1, probability: 0.9999999999999999, prediction: 1 },
    { rowId: 9007199254740991, label: 1, probability: 1 / 3, prediction: 0 },
  ]);
  t.same((await readBack(path.join(dir, 'part-00001.parquet'))).rows, [], 'an empty partition is an empty file');
  t.same((await readBack(path.join(dir, 'part-00002.parquet'))).rows, [{ rowId: 5, label: 1, probability: 5e-324, prediction: 0 }]);

  const schema = JSON.parse(String(back0.footer['org.apache.spark.sql.parquet.row.metadata'])) as {
    fields: { name: string; type: string }[];
  };
  t.same(
    schema.fields.map((f) => [f.name, f.type]),
    [
      ['rowId', 'long'],
      ['label', 'double'],
      ['probability', 'double'],
      ['prediction', 'double'],
    ],
  );
});

t.test('predictions-writer: large partitions are split into bounded row groups', async (t) => {
  const dir = t.testdir({});
  const writer = await PredictionsWriter.open(dir, { rowGroupRows: 1000 });
  const n = 2500;
  const rows = part(
    Array.from({ length: n }, (_, i) => i * 7),
    Array.from({ length: n }, (_, i) => (i * 0.618033988749895) % 1),
  );
  const file = await writer.writePart(0, rows);
  await writer.close();
  const back = await readBack(file);
  t.equal(back.rowGroups, 3, 'at most 1,000 rows per group');
  t.equal(back.rows.length, n);
  let mismatches = 0;
  back.rows.forEach((r, i) => {
    if (
      r.rowId !== rows.rowIds[i] ||
      r.label !== rows.label[i] ||
      r.probability !== rows.probability[i] ||
      r.prediction !== rows.prediction[i]
    )
      mismatches++;
  });
  t.equal(mismatches, 0, 'every value equal');
});

t.test('predictions-writer: refuses out-of-order partitions, ragged columns and writes after close', async (t) => {
  const dir = t.testdir({});
  const writer = await PredictionsWriter.open(dir);
  await writer.writePart(3, part([1], [0.5]));
  await t.rejects(writer.writePart(3, part([2], [0.5])), { code: 'E_INTERNAL', message: /increasing partition order/ });
  await t.rejects(writer.writePart(1, part([2], [0.5])), { code: 'E_INTERNAL' });
  await t.rejects(writer.writePart(4, { ...part([1, 2], [0.5, 0.5]), label: new Float64Array(1) }), {
    code: 'E_INTERNAL',
    message: /lengths differ/,
  });
  await t.rejects(writer.writePart(5, part([1.5], [0.5])), { code: 'E_INTERNAL', message: /rowId 1.5 is not an integer/ });
  t.notOk(existsSync(path.join(dir, 'part-00005.parquet')), 'a failed part leaves no file');
  await writer.writePart(6, part([6], [0.25]));
  await t.rejects(writer.close(), { code: 'E_INTERNAL' }, 'close reports the failed part, even after later parts succeeded');
  t.notOk(existsSync(path.join(dir, '_SUCCESS')), 'a folder with a failed part is never marked complete');
  await t.rejects(writer.writePart(7, part([1], [0.5])), { code: 'E_INTERNAL', message: /closed/ });
});

t.test('predictions-writer: an unwritable folder gives an OutputError naming it', async (t) => {
  const dir = t.testdir({ file: 'x' });
  await t.rejects(PredictionsWriter.open(path.join(dir, 'file', 'predictions')), { code: 'E_OUTPUT', message: /file\/predictions/ });
});

t.test(
  'predictions-writer: narrow columns (Uint32 row ids, Uint8 labels and predictions) write the same file as Float64 ones',
  async (t) => {
    const dir = t.testdir({});
    const wide = part([0, 7, 4294967295], [0.25, 0.75, 1 / 7]);
    const narrow: PredictionRows = {
      rowIds: Uint32Array.from(wide.rowIds),
      label: Uint8Array.from(wide.label),
      probability: wide.probability,
      prediction: Uint8Array.from(wide.prediction),
    };
    const a = await PredictionsWriter.open(path.join(dir, 'wide'));
    await a.writePart(0, wide);
    await a.close();
    const b = await PredictionsWriter.open(path.join(dir, 'narrow'));
    await b.writePart(0, narrow);
    await b.close();
    const file = (d: string) => readFileSync(path.join(dir, d, 'part-00000.parquet'));
    t.ok(file('narrow').equals(file('wide')), 'byte-identical part files');
    t.same((await readBack(path.join(dir, 'narrow', 'part-00000.parquet'))).types, {
      rowId: 'INT64',
      label: 'DOUBLE',
      probability: 'DOUBLE',
      prediction: 'DOUBLE',
    });
  },
);
