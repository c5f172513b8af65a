import t from 'tap';
import { gzipSync } from 'node:zlib';
import { csvPartitionInput, detectInputFormat, gunzipFile, partitionByteRanges } from '../../src/input/index.js';

const text = Buffer.from('a,b\n1,2\n');
const gz = gzipSync(text);
const par1 = Buffer.from('PAR1');
const parquetLike = Buffer.concat([par1, Buffer.alloc(20), par1]);
const head = (b: Buffer) => b.subarray(0, 8);
const tail = (b: Buffer) => b.subarray(Math.max(0, b.length - 8));
const detect = (name: string, b: Buffer, declared: 'auto' | 'csv' | 'parquet' = 'auto') =>
  detectInputFormat(name, head(b), tail(b), b.length, declared);

t.test('input-format: magic bytes decide, and the extension only where the content says nothing', async (t) => {
  t.same(detect('x.csv', text), { format: 'csv', compression: 'none' });
  t.same(detect('x.csv.gz', gz), { format: 'csv', compression: 'gzip' });
  t.match(detect('x.csv', gz), { format: 'csv', compression: 'gzip', note: /holds gzip data/ }, 'gzip magic in a .csv wins');
  t.match(
    detect('x.csv.gz', text),
    { format: 'csv', compression: 'none', note: /no gzip magic bytes: read as plain CSV/ },
    'a .gz without magic is plain',
  );
  t.same(detect('x.dat', parquetLike), { format: 'parquet', compression: 'none' }, 'PAR1 at both ends is Parquet, whatever the name');
  t.throws(() => detect('x.parquet', text), { code: 'E_INPUT_FORMAT', message: /x\.parquet is not a Parquet file: no PAR1 magic/ });
  t.throws(() => detect('x.parquet', Buffer.concat([par1, Buffer.alloc(20)])), { message: /starts with PAR1 but does not end with it/ });
  t.throws(() => detect('x.csv', text, 'parquet'), { code: 'E_INPUT_FORMAT' });
  t.throws(() => detect('x.parquet', parquetLike, 'csv'), { message: /is a Parquet file \(PAR1 magic\), but input.format is csv/ });
  t.throws(() => detect('x.csv.bz2', text), { message: /unsupported compression \(bzip2\)/ }, 'by extension');
  t.throws(() => detect('x.csv', Buffer.from('BZh91AY&SYrest')), { message: /unsupported compression \(bzip2\)/ }, 'by magic');
  t.throws(() => detect('x', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4])), { message: /unsupported compression \(zstd\)/ });
  t.same(
    detect('BZh.csv', Buffer.from('BZh,col\n1,2\n')),
    { format: 'csv', compression: 'none' },
    'text that merely starts with BZh is CSV',
  );
});

t.test('input-format: a gzip partition is decompressed and starts at its data', async (t) => {
  const source = {
    file: '/d/x.csv.gz',
    index: 0,
    start: 0,
    end: gz.length,
    numColumns: 2,
    columnNames: ['a', 'b'],
    fileSize: gz.length,
    compression: 'gzip' as const,
    dataStart: 4,
  };
  const input = csvPartitionInput(gz, source);
  t.equal(Buffer.from(input.bytes).toString(), '1,2\n');
  t.match(input.source, { start: 4, end: text.length, fileSize: text.length });
  t.throws(() => gunzipFile(gz.subarray(0, gz.length - 5), '/d/x.csv.gz'), {
    code: 'E_INPUT_FORMAT',
    message: /x\.csv\.gz: cannot decompress: the gzip stream is truncated/,
  });
  t.same(partitionByteRanges(source), [[0, gz.length]]);
  t.same(
    partitionByteRanges({ ...source, format: 'parquet', start: 4, end: 100, fileSize: 150, footerStart: 120 }),
    [
      [4, 100],
      [120, 150],
    ],
    'Parquet adds the footer',
  );
});
