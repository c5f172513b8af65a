import t from 'tap';
import { dictionaryFromValues } from '../../src/columnar/string-dictionary.js';
import {
  compareSparkDoubles,
  compareUtf8Bytes,
  compressVector,
  dictionaryUtf8Ranks,
  sparkRowComparator,
  sparkRowOrder,
  stringSortKey,
  utf8Ranks,
  type SortKeyColumn,
  type SparkVector,
} from '../../src/spark/index.js';

const sparse = (size: number, indices: number[], values: number[]): SparkVector => ({
  type: 0,
  size,
  indices: Int32Array.from(indices),
  values: Float64Array.from(values),
});
const dense = (values: number[]): SparkVector => ({ type: 1, size: values.length, indices: null, values: Float64Array.from(values) });
const order = (cols: SortKeyColumn[], n: number): number[] => Array.from(sparkRowOrder(cols, n));

t.test('spark-row-order: vectors sort sparse before dense, then by size, indices, values', async (t) => {
  const rows: (SparkVector | null)[] = [
    dense([0, 1]), // 0
    sparse(30, [2, 5], [1, 1]), // 1
    sparse(30, [2], [1]), // 2: prefix of row 1's indices → first
    sparse(29, [9], [1]), // 3: smaller size → before every size-30 row
    sparse(30, [2, 5], [1, 0.5]), // 4: same indices as 1, smaller value
    null, // 5: null vector first
    dense([0, 0.5]), // 6
    sparse(30, [1, 9], [3, 3]), // 7: indices [1, …] < [2, …]
  ];
  t.same(order([{ kind: 'vector', rows }], rows.length), [5, 3, 7, 2, 4, 1, 6, 0]);
});

t.test('spark-row-order: a dense vector ignores the size and indices it carries', async (t) => {
  const a: SparkVector = { type: 1, size: 99, indices: Int32Array.from([5]), values: Float64Array.from([1, 2]) };
  const b = dense([1, 3]);
  t.same(order([{ kind: 'vector', rows: [b, a] }], 2), [1, 0]);
});

t.test('spark-row-order: doubles put nulls first, NaN last and treat -0.0 as 0.0', async (t) => {
  const values = Float64Array.from([Number.NaN, 0, 3, -0, -Infinity, 99, Infinity, Number.NaN]);
  const nulls = Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0]);
  // 99 is masked as null; -0.0 (row 3) and 0.0 (row 1) tie and keep input order; NaNs tie last.
  t.same(order([{ kind: 'double', values, nulls }], 8), [5, 4, 1, 3, 2, 6, 0, 7]);
  t.equal(compareSparkDoubles(-0, 0), 0);
  t.equal(compareSparkDoubles(Number.NaN, Number.NaN), 0);
  t.equal(compareSparkDoubles(Number.NaN, Infinity), 1);
  t.equal(compareSparkDoubles(-Infinity, Number.NaN), -1);
});

t.test('spark-row-order: NaN inside vector values sorts after every number', async (t) => {
  const rows = [dense([Number.NaN]), dense([Infinity]), dense([-1])];
  t.same(order([{ kind: 'vector', rows }], 3), [2, 1, 0]);
});

t.test('spark-row-order: strings compare as unsigned UTF-8 bytes, not UTF-16 units', async (t) => {
  const halfwidth = '\uFF61';
  const emoji = '\u{1F600}';
  t.ok(emoji < halfwidth, 'JS order puts the surrogate pair first');
  const ranks = utf8Ranks([emoji, halfwidth, null, 'z', 'é', 'zz', 'z']);
  t.same(Array.from(ranks), [4, 3, -1, 0, 2, 1, 0]);
  t.same(order([{ kind: 'string', ranks }], 7), [2, 3, 6, 5, 4, 1, 0]);
  t.ok(compareUtf8Bytes(new TextEncoder().encode(halfwidth), new TextEncoder().encode(emoji)) < 0);
  t.equal(compareUtf8Bytes(Uint8Array.from([1, 2]), Uint8Array.from([1, 2])), 0);
  t.ok(compareUtf8Bytes(Uint8Array.from([0x7f]), Uint8Array.from([0x80])) < 0, 'bytes are unsigned');
});

t.test('spark-row-order: dictionary codes rank by their UTF-8 bytes, null codes first', async (t) => {
  const dict = dictionaryFromValues(['b', '\u{1F600}', 'a', '\uFF61']);
  t.same(Array.from(dictionaryUtf8Ranks(dict)), [1, 3, 0, 2]);
  const key = stringSortKey(Int32Array.from([0, 1, -1, 2, 3, 0]), dict);
  t.same(order([key], 6), [2, 3, 0, 5, 4, 1]);
});

t.test('spark-row-order: integer columns compare numerically, nulls first, bigint included', async (t) => {
  const longs = BigInt64Array.from([2n ** 62n, -5n, 3n, 2n ** 62n - 1n]);
  t.same(order([{ kind: 'long', values: longs, nulls: Uint8Array.from([0, 0, 1, 0]) }], 4), [2, 1, 3, 0]);
  t.same(order([{ kind: 'long', values: Int32Array.from([10, -3, 7]) }], 3), [1, 2, 0]);
});

t.test('spark-row-order: later columns break ties of earlier ones, in column order', async (t) => {
  const label = Float64Array.from([1, 0, 1, 0]);
  const rows = [sparse(3, [0], [1]), dense([1, 1, 1]), sparse(3, [1], [1]), sparse(3, [0], [2])];
  const cols: SortKeyColumn[] = [
    { kind: 'double', values: label },
    { kind: 'vector', rows },
  ];
  t.same(order(cols, 4), [3, 1, 0, 2]);
  const cmp = sparkRowComparator(cols);
  t.ok(cmp(3, 1) < 0);
  t.ok(cmp(0, 3) > 0);
  t.equal(cmp(2, 2), 0);
});

t.test('spark-row-order: rows equal on every key keep their input order', async (t) => {
  const n = 2000;
  const values = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 5);
  const perm = sparkRowOrder([{ kind: 'double', values }], n);
  let unstable = 0;
  for (let k = 1; k < n; k++) {
    const a = perm[k - 1]!;
    const b = perm[k]!;
    if (values[a]! > values[b]! || (values[a] === values[b] && a > b)) unstable++;
  }
  t.equal(unstable, 0);
  t.same(order([], 3), [0, 1, 2], 'no key keeps file order');
});

t.test('spark-row-order: a key column of the wrong length is rejected', async (t) => {
  t.throws(() => sparkRowOrder([{ kind: 'string', ranks: new Int32Array(3) }], 4), {
    code: 'E_INVALID_VALUE',
    message: /column 0 \(string\) has 3 rows, expected 4/,
  });
});

t.test('spark-row-order: compressVector picks sparse iff 1.5 × (nnz + 1) < size', async (t) => {
  const idx = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
  const ones = (n: number): Float64Array => new Float64Array(n).fill(1);
  t.equal(compressVector(idx(14), ones(14), 30).type, 0, 'bank rows: 14 non-zeros of 30');
  t.equal(compressVector(idx(18), ones(18), 30).type, 0, '28.5 < 30');
  t.equal(compressVector(idx(19), ones(19), 30).type, 1, '30 < 30 is false');
  t.equal(compressVector(null, Float64Array.from([1, 0]), 2).type, 1, 'one non-zero of 2: 3 < 2 is false');
  t.equal(compressVector(null, new Float64Array(2), 2).type, 0, 'all zeros of 2: 1.5 < 2');
});

t.test('spark-row-order: compressVector drops zeros when sparse and places entries when dense', async (t) => {
  const s = compressVector(Int32Array.from([1, 4, 7, 9]), Float64Array.from([2, 0, -0, Number.NaN]), 10);
  t.equal(s.type, 0);
  t.same(Array.from(s.indices!), [1, 9]);
  t.same(Array.from(s.values), [2, Number.NaN]);
  const fromDense = compressVector(null, Float64Array.from([0, 0, 0, 0, 0, 5, 0, 0]), 8);
  t.same(
    { type: fromDense.type, indices: Array.from(fromDense.indices!), values: Array.from(fromDense.values) },
    { type: 0, indices: [5], values: [5] },
  );
  const d = compressVector(Int32Array.from([0, 2]), Float64Array.from([3, 4]), 3);
  t.same({ type: d.type, indices: d.indices, values: Array.from(d.values) }, { type: 1, indices: null, values: [3, 0, 4] });
});

t.test('spark-row-order: compressVector rejects malformed input', async (t) => {
  t.throws(() => compressVector(Int32Array.from([3, 2]), Float64Array.from([1, 1]), 5), { code: 'E_INVALID_VALUE', message: /position 1/ });
  t.throws(() => compressVector(Int32Array.from([5]), Float64Array.from([1]), 5), { code: 'E_INVALID_VALUE' });
  t.throws(() => compressVector(Int32Array.from([1]), Float64Array.from([1, 2]), 5), { code: 'E_INVALID_VALUE' });
  t.throws(() => compressVector(null, Float64Array.from([1, 2]), 5), { code: 'E_INVALID_VALUE' });
});
