/**
 * Narrow design-block storage (columnar/design-block.ts): a block stored in Int32 / Int16 /
 * Uint8 arrays must give every kernel the bits the Float64 / Int32 / Float64 block gives,
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

t.test('design storage: integer inputs narrow to Int32 numeric, Int16 indices and Uint8 labels', async (t) => {
  const wide = randomBlock(2000, BANK_SHAPE, 5, true);
  t.equal(storageKey(wide), 'f64/i32/f64');
  const narrow = narrowDesignBlock(wide);
  t.equal(storageKey(narrow), 'i32/i16/u8');
  const bytes = (b: DesignBlock): number => b.rowIds.byteLength + b.label.byteLength + b.numeric.byteLength + b.categorical.byteLength;
  t.ok(bytes(narrow) < 0.6 * bytes(wide), `${bytes(narrow)} bytes against ${bytes(wide)}`);
  t.ok(
    narrow.numeric.buffer instanceof SharedArrayBuffer && narrow.label.buffer instanceof SharedArrayBuffer,
    'still shared with the threads',
  );
  t.same(Array.from(narrow.numeric), Array.from(wide.numeric));
  t.same(Array.from(narrow.categorical), Array.from(wide.categorical));
  t.same(Array.from(narrow.label), Array.from(wide.label));
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
