import t from 'tap';
import { ThriftCompactWriter } from '../../src/artifacts/thrift-compact-writer.js';

t.test('thrift-compact-writer: encodes fields, nested structs and lists as the compact protocol does', async (t) => {
  const bytes = new ThriftCompactWriter()
    .beginStruct()
    .i32(1, 5)
    .string(2, 'ab')
    .i64(20, -1) // field id delta 18: long-form header
    .bool(21, true)
    .struct(22, (s) => s.i16(1, -2))
    .list(23, 'i32', 2, (w, i) => w.i32Element(i === 0 ? 1 : -1)) // ids continue after the nested struct
    .endStruct()
    .bytes();
  t.equal(
    bytes.toString('hex'),
    [
      '150a', // i32 field 1 = 5 (zigzag 10)
      '18026162', // binary field 2, length 2, "ab"
      '062801', // i64, field id 20 as zigzag varint, value -1 (zigzag 1)
      '11', // bool field 21 = true, in the header
      '1c140300', // struct field 22 { i16 field 1 = -2 }, stop
      '19250201', // list field 23 of 2 i32: 1, -1
      '00', // stop
    ].join(''),
  );
});

t.test('thrift-compact-writer: writes large i64 values and long lists exactly', async (t) => {
  const big = new ThriftCompactWriter()
    .beginStruct()
    .i64(1, 300)
    .i64(2, -9007199254740991)
    .i64(3, -(2n ** 63n))
    .endStruct()
    .bytes();
  t.equal(big.toString('hex'), `16d804 16fdffffffffffff1f 16ffffffffffffffffff01 00`.replace(/ /g, ''));

  const names = Array.from({ length: 15 }, (_, i) => String.fromCharCode(97 + i));
  const list = new ThriftCompactWriter()
    .beginStruct()
    .list(1, 'string', names.length, (w, i) => w.stringElement(names[i] as string))
    .endStruct()
    .bytes();
  t.equal(list.subarray(0, 3).toString('hex'), '19f80f', '15 elements: size in a varint after the 0xF_ header');
  t.equal(list.length, 3 + 15 * 2 + 1);
  t.equal(list.subarray(3, 5).toString('hex'), '0161', 'first element "a"');

  const structs = new ThriftCompactWriter()
    .beginStruct()
    .list(4, 'struct', 2, (w, i) => w.i32(1, i).i32(3, 7))
    .i8(5, -1)
    .endStruct()
    .bytes();
  t.equal(
    structs.toString('hex'),
    '492c' + '1500250e00' + '1502250e00' + '13ff' + '00',
    'list elements are whole structs, each with its own field ids',
  );
});
