/**
 * Narrow design-block storage (columnar/design-block.ts): a block stored in Int32 / Int8 /
 * Uint8 arrays (row ids in Uint32) must give every kernel the bits the Float64 / Int32 / Float64 block gives,
 * and a block keeps the wide storage exactly when a value would not read back the same.
 */
import t from 'tap';
import { narrowDesignBlock, storageKey, type DesignBlock } from '../../src/columnar/index.js';
import { evaluateBlock, logisticGradient, softmaxGradient, summarizeBlock } from '../../src/kernels/index.js';
import { BANK_SHAPE, layoutOf, randomBlock, seededRandom } from './random-block.js';

/** Every number of a kernel's result, with its bits (so -0 and NaN compare exactly). */
function bitsOf(value: unknown): string {
  const f = new Float64Array(1);
  const walk = (v: unknown): string => {
    if (typeof v === 'number') {
      f[0] = v;
      return Buffer.from(f.buffer).toString('hex');
    }
    if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, walk).join(',')}]`;
    if (Array.isArray(v)) return `[${v.map(walk).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${k}:${walk((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    return String(v);
  };
  return walk(value);
}

const { numericIndex, numFeatures } = layoutOf(BANK_SHAPE);
const rand = seededRandom(99);
const beta = Float64Array.from({ length: numFeatures }, () => (rand() - 0.5) * 0.6);

const bytes = (b: DesignBlock): number => b.rowIds.byteLength + b.label.byteLength + b.numeric.byteLength + b.categorical.byteLength;

t.test('design storage: integer inputs narrow to Int32 numeric, Int8 indices, Uint8 labels and Uint32 row ids', async (t) => {
  const wide = randomBlock(2000, BANK_SHAPE, 5, true);
  t.equal(storageKey(wide), 'f64/i32/f64');
  const narrow = narrowDesignBlock(wide);
  t.equal(storageKey(narrow), 'i32/i8/u8');
  t.ok(narrow.rowIds instanceof Uint32Array, 'row ids under 2^32 in Uint32');
  // The bank layout (6 numeric, 8 one-hot inputs): 4 + 1 + 6·4 + 8·1 = 37 bytes a row, against 8 + 8 + 6·8 + 8·4 = 96.
  t.equal(bytes(narrow), 37 * 2000);
  t.equal(bytes(wide), 96 * 2000);
  t.ok(
    narrow.numeric.buffer instanceof SharedArrayBuffer && narrow.label.buffer instanceof SharedArrayBuffer,
    'still shared with the threads',
  );
  t.same(Array.from(narrow.numeric), Array.from(wide.numeric));
  t.same(Array.from(narrow.categorical), Array.from(wide.categorical));
  t.same(Array.from(narrow.label), Array.from(wide.label));
  t.same(Array.from(narrow.rowIds), Array.from(wide.rowIds));
});

t.test('design storage: indices take Int16 from 128 slots and Int32 from 32 768; row ids from 2^32 stay Float64', async (t) => {
  const wide = randomBlock(200, BANK_SHAPE, 8, true);
  const at = (feature: number, rowId = 0): DesignBlock => {
    const b = { ...wide, categorical: wide.categorical.slice(), rowIds: wide.rowIds.slice() };
    b.categorical[5] = feature;
    b.rowIds[7] = rowId;
    return narrowDesignBlock(b);
  };
  t.ok(at(127).categorical instanceof Int8Array, 'feature 127: Int8');
  t.ok(at(128).categorical instanceof Int16Array, 'feature 128: Int16');
  t.ok(at(32767).categorical instanceof Int16Array, 'feature 32767: Int16');
  t.ok(at(32768).categorical instanceof Int32Array, 'feature 32768: Int32');
  t.equal(at(128).categorical[5], 128, 'and reads back as itself');
  t.ok(at(3, 2 ** 32 - 1).rowIds instanceof Uint32Array, 'row id 2^32 − 1: Uint32');
  const far = at(3, 2 ** 32);
  t.ok(far.rowIds instanceof Float64Array, 'row id 2^32: Float64');
  t.equal(far.rowIds[7], 2 ** 32, 'and reads back as itself');
});

t.test('design storage: a fraction, a -0 or a value beyond int32 keeps the numeric values in Float64', async (t) => {
  const cases: [string, number][] = [
    ['a fraction', 0.5],
    ['-0', -0],
    ['2^31', 2 ** 31],
    ['NaN', NaN],
  ];
  for (const [name, v] of cases) {
    const wide = randomBlock(50, BANK_SHAPE, 6, true);
    wide.numeric[17] = v;
    const narrow = narrowDesignBlock(wide);
    t.ok(narrow.numeric instanceof Float64Array, name);
    t.ok(Object.is(narrow.numeric[17], v), `${name} reads back as itself`);
  }
  const big = randomBlock(10, BANK_SHAPE, 7, true);
  big.label[3] = 300;
  t.ok(narrowDesignBlock(big).label instanceof Float64Array, 'a class index over 255 keeps Float64 labels');
});

t.test('design storage: every kernel gives the same bits on the narrow block as on the wide one', async (t) => {
  for (const seed of [1, 2, 3]) {
    const wide = randomBlock(3000, BANK_SHAPE, seed, true);
    const narrow = narrowDesignBlock(wide);
    t.not(storageKey(narrow), storageKey(wide));
    const both = (f: (b: DesignBlock) => unknown, what: string): void => {
      t.equal(bitsOf(f(narrow)), bitsOf(f(wide)), `${what}, seed ${seed}`);
    };
    both((b) => logisticGradient(b, numericIndex, beta, -0.4), 'gradient');
    both((b) => evaluateBlock(b, numericIndex, beta, -0.4, { score: 'probability', threshold: 0.5, predictions: true }), 'evaluate');
    both((b) => evaluateBlock(b, numericIndex, beta, -0.4, { score: 'margin', threshold: 0.3, predictions: false }), 'evaluate by margin');
    both((b) => summarizeBlock(b, numFeatures, numericIndex), 'summarize');
    const betaK = Float64Array.from({ length: numFeatures * 2 }, (_, i) => beta[i % numFeatures]! * (i < numFeatures ? 1 : -1));
    both((b) => softmaxGradient(b, numericIndex, betaK, Float64Array.of(0.1, -0.1)), 'softmax gradient');
  }
});
