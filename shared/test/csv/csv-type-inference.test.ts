import t from 'tap';
import { mergeInferPartials, type InferPartial } from '../../src/index.js';
import {
  T_BOOLEAN,
  T_DOUBLE,
  T_INT,
  T_LONG,
  T_NULL,
  T_STRING,
  classifyField,
  joinTypes,
  parseDoubleField,
  parseIntField,
  parseLongField,
  parseBooleanField,
  isNaNToken,
} from '../../src/csv/csv-type-inference.js';
import { prng } from './csv-fixtures.js';

const enc = new TextEncoder();
const classify = (s: string): number => {
  const b = enc.encode(s);
  return classifyField(b, 0, b.length);
};
const dbl = (s: string): number => {
  const b = enc.encode(s);
  return parseDoubleField(b, 0, b.length);
};

t.test('csv-type-inference: classifies values as Spark tries them (int → long → double → boolean → string)', async (t) => {
  const cases: [string, number][] = [
    ['0', T_INT],
    ['-0', T_INT],
    ['+5', T_INT],
    ['007', T_INT],
    ['2147483647', T_INT],
    ['-2147483648', T_INT],
    ['2147483648', T_LONG],
    ['-2147483649', T_LONG],
    ['9223372036854775807', T_LONG],
    ['-9223372036854775808', T_LONG],
    ['9223372036854775808', T_DOUBLE],
    ['123456789012345678901234567890', T_DOUBLE],
    ['1.5', T_DOUBLE],
    ['.5', T_DOUBLE],
    ['5.', T_DOUBLE],
    ['-1e10', T_DOUBLE],
    ['1E+05', T_DOUBLE],
    ['2.5e-3', T_DOUBLE],
    ['NaN', T_DOUBLE],
    ['-NaN', T_DOUBLE],
    ['Infinity', T_DOUBLE],
    ['+Infinity', T_DOUBLE],
    ['-Infinity', T_DOUBLE],
    ['Inf', T_DOUBLE],
    ['-Inf', T_DOUBLE],
    ['true', T_BOOLEAN],
    ['FALSE', T_BOOLEAN],
    ['True', T_BOOLEAN],
    ['+Inf', T_STRING],
    ['1e', T_STRING],
    ['.', T_STRING],
    ['-', T_STRING],
    ['+', T_STRING],
    [' 5', T_STRING],
    ['5 ', T_STRING],
    ['0x10', T_STRING],
    ['1d', T_STRING],
    ['1,5', T_STRING],
    ['2020-01-01', T_STRING],
    ['yes', T_STRING],
    ['nan', T_STRING],
  ];
  for (const [v, want] of cases) t.equal(classify(v), want, JSON.stringify(v));
});

t.test('csv-type-inference: widens types like Spark (incompatible → string, null neutral)', async (t) => {
  t.equal(joinTypes(T_INT, T_LONG), T_LONG);
  t.equal(joinTypes(T_LONG, T_INT), T_LONG);
  t.equal(joinTypes(T_INT, T_DOUBLE), T_DOUBLE);
  t.equal(joinTypes(T_LONG, T_DOUBLE), T_DOUBLE);
  t.equal(joinTypes(T_NULL, T_BOOLEAN), T_BOOLEAN);
  t.equal(joinTypes(T_BOOLEAN, T_NULL), T_BOOLEAN);
  t.equal(joinTypes(T_BOOLEAN, T_INT), T_STRING);
  t.equal(joinTypes(T_DOUBLE, T_BOOLEAN), T_STRING);
  t.equal(joinTypes(T_STRING, T_INT), T_STRING);
  t.equal(joinTypes(T_NULL, T_NULL), T_NULL);
});

t.test('csv-type-inference: merges partition results in order; all-null columns are string', async (t) => {
  const p = (types: InferPartial['types']): InferPartial => ({ rowCount: 1, malformedCount: 0, lineCount: 1, types });
  const schema = mergeInferPartials(
    [p(['int', null, 'int', 'boolean', null]), p(['long', null, 'double', 'boolean', 'int']), p([null, null, 'int', 'int', null])],
    ['a', 'b', 'c', 'd', 'e'],
  );
  t.same(schema, [
    { name: 'a', type: 'long' },
    { name: 'b', type: 'string' },
    { name: 'c', type: 'double' },
    { name: 'd', type: 'string' },
    { name: 'e', type: 'int' },
  ]);
  t.throws(() => mergeInferPartials([p(['int'])], ['a', 'b']), { code: 'E_INTERNAL' });
});

t.test('csv-type-inference: parses integers exactly and checks their range', async (t) => {
  const int = (s: string): number => parseIntField(enc.encode(s), 0, s.length);
  const long = (s: string): number => parseLongField(enc.encode(s), 0, s.length);
  t.equal(int('-2147483648'), -2147483648);
  t.ok(Number.isNaN(int('2147483648')));
  t.ok(Object.is(int('-0'), 0), 'int -0 is +0');
  t.ok(Number.isNaN(int('12x')));
  t.equal(long('9007199254740993'), 9007199254740992, 'rounds once, like Number()');
  t.equal(long('-9223372036854775808'), -9223372036854775808);
  t.equal(long('000000000000000000000042'), 42, 'leading zeros do not count as digits');
  t.ok(Number.isNaN(long('9223372036854775808')));
  t.equal(parseBooleanField(enc.encode('tRuE'), 0, 4), 1);
  t.ok(Number.isNaN(parseBooleanField(enc.encode('yes'), 0, 3)));
});

t.test('csv-type-inference: parses doubles to the same bits as Number()', async (t) => {
  const fixed = [
    '0',
    '-0.0',
    '1.5',
    '0.1',
    '0.30000000000000004',
    '123456789.123456789',
    '1e22',
    '1e23',
    '9007199254740993',
    '2.2250738585072014e-308',
    '4.9e-324',
    '1e-400',
    '1.7976931348623157e308',
    '1e400',
    '.000001',
    '5.',
    '-.5e-3',
    '00012.50',
  ];
  for (const s of fixed) t.ok(Object.is(dbl(s), Number(s)), `${s} → ${Number(s)}`);
  const rnd = prng(7);
  let mismatches = 0;
  for (let i = 0; i < 20000; i++) {
    const digits = 1 + Math.floor(rnd() * 19);
    let m = '';
    for (let k = 0; k < digits; k++) m += Math.floor(rnd() * 10);
    const point = Math.floor(rnd() * (digits + 1));
    let s = m.slice(0, point) + '.' + m.slice(point);
    if (rnd() < 0.3) s += `e${Math.floor(rnd() * 80) - 40}`;
    if (rnd() < 0.5) s = '-' + s;
    if (!Object.is(dbl(s), Number(s))) mismatches++;
  }
  t.equal(mismatches, 0, 'random decimal literals match Number() bit for bit');
  t.equal(dbl('Infinity'), Infinity);
  t.equal(dbl('-Inf'), -Infinity);
  t.ok(Number.isNaN(dbl('NaN')) && isNaNToken(enc.encode('NaN'), 0, 3));
  t.ok(Number.isNaN(dbl('1.2.3')) && !isNaNToken(enc.encode('1.2.3'), 0, 5));
});
