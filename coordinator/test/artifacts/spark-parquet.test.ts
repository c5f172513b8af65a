import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { fromParquetList, sparkField, sparkStruct, writeParquetFile } from '../../src/artifacts/spark-parquet.js';

t.test('spark-parquet: reads arrays in every layout Spark and parquetjs produce', async (t) => {
  t.same(fromParquetList({ list: [{ element: 1 }, { element: -2.5 }] }, 'x'), [1, -2.5], '3-level LIST');
  t.same(fromParquetList({ list: null }, 'x'), [], 'empty 3-level LIST');
  t.same(fromParquetList({ array: [3, 4] }, 'x'), [3, 4], 'Spark legacy 2-level');
  t.same(fromParquetList({ bag: [{ array_element: 5 }] }, 'x'), [5], 'Hive-style bag');
  t.same(fromParquetList([6, 7n], 'x'), [6, 7], 'bare repeated field, INT64 as bigint');
  t.equal(fromParquetList(null, 'x'), null, 'null array');
  t.throws(() => fromParquetList({ list: [{ element: 'a' }] }, 'file.parquet, column v'), {
    code: 'E_SCHEMA',
    message: /^file\.parquet, column v: expected a number, found "a"/,
  });
  t.throws(() => fromParquetList(42, 'col'), { code: 'E_SCHEMA', message: /col: expected an array column, found 42/ });
});

t.test('spark-parquet: a failed write leaves no partial file and names the file', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'bad.parquet');
  const rows = [{ x: 1 }, { x: 'not a number' }];
  await t.rejects(
    writeParquetFile(file, { x: { type: 'INT32' } }, sparkStruct([sparkField('x', 'integer', false)]), rows, { rowGroupSize: 10 }),
    { code: 'E_OUTPUT', message: `cannot write Parquet file ${file}` },
  );
  t.notOk(existsSync(file), 'partial file removed');
  const missing = path.join(dir, 'no-such-folder', 'x.parquet');
  await t.rejects(
    writeParquetFile(missing, { x: { type: 'INT32' } }, sparkStruct([sparkField('x', 'integer', false)]), [], { rowGroupSize: 10 }),
    { code: 'E_OUTPUT', message: /no-such-folder\/x\.parquet/ },
  );
});
