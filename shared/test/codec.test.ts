import t from 'tap';
import { Packr } from 'msgpackr';
import {
  ChunkAssembler,
  chunkPayload,
  decodeMessage,
  encodeMessage,
  errorAck,
  formatChunkHeader,
  okAck,
  parseChunkHeader,
} from '../src/codec.js';
import { KindlingError, fromWireError } from '../src/errors.js';
import { PROTOCOL_VERSION, type Message } from '../src/protocol.js';
import { bytesOf, sampleMessages, typedArraysOf } from './message-fixtures.js';

const rawPackr = new Packr({ moreTypes: true, useRecords: false });

function errorOf(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof KindlingError ? { code: err.code, message: err.message } : { code: 'not a KindlingError', message: String(err) };
  }
}

t.test('codec: every message type round-trips, typed arrays as the same typed arrays, bit for bit', async (t) => {
  for (const msg of sampleMessages) {
    const back = decodeMessage(encodeMessage(msg));
    t.strictSame(back, msg, `${msg.type} equal`);
    const sent = typedArraysOf(msg);
    const got = new Map(typedArraysOf(back));
    for (const [path, arr] of sent) {
      const other = got.get(path);
      t.equal(other?.constructor, arr.constructor, `${msg.type}${path} is a ${arr.constructor.name}`);
      t.strictSame(other === undefined ? undefined : bytesOf(other), bytesOf(arr), `${msg.type}${path} bytes`);
    }
  }
});

t.test('codec: NaN, -0, infinities and denormals in typed arrays survive exactly', async (t) => {
  const values = new Float64Array([NaN, -0, Infinity, -Infinity, 5e-324, Number.MAX_VALUE]);
  const msg: Message = {
    type: 'tasks-finished',
    version: PROTOCOL_VERSION,
    executorId: 'e',
    jobId: 'j',
    outcomes: [{ taskId: 't', partition: 0, ok: true, result: { count: 1, lossSum: NaN, gradSum: values, interceptGradSum: -0 } }],
  };
  const back = decodeMessage(encodeMessage(msg));
  const outcome = back.type === 'tasks-finished' ? back.outcomes[0] : undefined;
  if (!outcome?.ok) return t.fail('wrong message');
  const result: unknown = outcome.result;
  const grad = typeof result === 'object' && result !== null && 'gradSum' in result ? result.gradSum : undefined;
  t.ok(grad instanceof Float64Array, 'Float64Array');
  if (grad instanceof Float64Array) t.strictSame(bytesOf(grad), bytesOf(values), 'same bits');
  // msgpack has no negative integer zero: a scalar -0 arrives as 0 (typed arrays keep it).
  t.ok(
    typeof result === 'object' && result !== null && 'interceptGradSum' in result && Object.is(result.interceptGradSum, 0),
    'scalar -0 is 0',
  );
  t.ok(typeof result === 'object' && result !== null && 'lossSum' in result && Number.isNaN(result.lossSum), 'scalar NaN');
});

t.test('codec: RangeData bytes come back as a Uint8Array, from an unaligned buffer too', async (t) => {
  const bytes = new Uint8Array(100_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  const encoded = encodeMessage({ type: 'range-data', version: PROTOCOL_VERSION, bytes });
  const shifted = new Uint8Array(encoded.length + 1);
  shifted.set(encoded, 1);
  const back = decodeMessage(shifted.subarray(1));
  if (back.type !== 'range-data') return t.fail('wrong type');
  t.ok(back.bytes instanceof Uint8Array, 'Uint8Array');
  t.strictSame(back.bytes, bytes);
});

t.test('codec: garbage bytes are rejected with E_BAD_MESSAGE', async (t) => {
  const garbage = [
    new TextEncoder().encode('hello, this is not msgpack'),
    new Uint8Array([0xc1, 0xc1, 0xc1]),
    new Uint8Array([0x93, 0x01]),
    new Uint8Array(0),
    rawPackr.pack([1, 2, 3]),
    rawPackr.pack('launch-task'),
    rawPackr.pack({ type: 'launch-task', version: PROTOCOL_VERSION, driverId: 'd', jobId: 'j', taskId: 't', spec: { op: 'gradient' } }),
  ];
  for (const [i, bytes] of garbage.entries()) {
    t.equal(errorOf(() => decodeMessage(bytes))?.code, 'E_BAD_MESSAGE', `garbage ${i}`);
  }
  t.match(errorOf(() => decodeMessage(new Uint8Array([0x93, 0x01])))?.message, /^undecodable message \(2 bytes\): /);
  t.strictSame(
    errorOf(() => decodeMessage(new Uint8Array(0))),
    { code: 'E_BAD_MESSAGE', message: 'empty message' },
  );
});

t.test('codec: a wrong protocol version and a missing field are named', async (t) => {
  t.strictSame(
    errorOf(() => decodeMessage(rawPackr.pack({ type: 'drop-job', version: 99, jobId: 'j' }))),
    {
      code: 'E_PROTOCOL_VERSION',
      message: `drop-job: protocol version 99, this side speaks version ${PROTOCOL_VERSION}`,
    },
  );
  t.strictSame(
    errorOf(() => decodeMessage(rawPackr.pack({ type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j', file: '/f', start: 0 }))),
    {
      code: 'E_BAD_MESSAGE',
      message: 'fetch-range: end: expected number, received undefined',
    },
  );
  // A sender never puts an invalid message on the wire either.
  const bad: Message = JSON.parse(`{"type":"drop-job","version":${PROTOCOL_VERSION}}`);
  t.strictSame(
    errorOf(() => encodeMessage(bad)),
    { code: 'E_BAD_MESSAGE', message: 'drop-job: jobId: expected string, received undefined' },
  );
});

t.test('codec: messages above the size limit are refused both ways', async (t) => {
  const msg: Message = { type: 'range-data', version: PROTOCOL_VERSION, bytes: new Uint8Array(10_000) };
  const e1 = errorOf(() => encodeMessage(msg, { maxMessageBytes: 5_000 }));
  t.equal(e1?.code, 'E_BAD_MESSAGE');
  t.match(e1?.message, /^range-data: encoded size 100\d\d bytes exceeds the limit of 5000 bytes$/);
  const encoded = encodeMessage(msg);
  const e2 = errorOf(() => decodeMessage(encoded, { maxMessageBytes: 5_000 }));
  t.equal(e2?.code, 'E_BAD_MESSAGE');
  t.match(e2?.message, /^message of 100\d\d bytes exceeds the limit of 5000 bytes$/);
  t.equal(decodeMessage(encoded, { maxMessageBytes: 20_000 }).type, 'range-data', 'fits a larger limit');
});

t.test('codec: errorAck carries an error that fromWireError rebuilds', async (t) => {
  const ack = decodeMessage(encodeMessage(errorAck(new KindlingError('E_BLOCK_MISSING', 'block p3/train is gone', { partition: 3 }))));
  if (ack.type !== 'ack' || ack.error === undefined) return t.fail('not an error ack');
  t.equal(ack.ok, false);
  const err = fromWireError(ack.error);
  t.equal(err.code, 'E_BLOCK_MISSING');
  t.equal(err.message, 'block p3/train is gone');
  t.strictSame(err.details, { partition: 3 });
  t.strictSame(decodeMessage(encodeMessage(okAck())), { type: 'ack', version: PROTOCOL_VERSION, ok: true });
});

t.test('codec: chunkPayload splits into ordered views that concatenate to the input', async (t) => {
  const bytes = new Uint8Array(2_500).map((_, i) => i % 251);
  const chunks = chunkPayload(bytes, 1_000);
  t.strictSame(
    chunks.map((c) => c.length),
    [1_000, 1_000, 500],
  );
  t.equal(chunks[0]!.buffer, bytes.buffer, 'views, not copies');
  const joined = new Uint8Array(2_500);
  let off = 0;
  for (const c of chunks) {
    joined.set(c, off);
    off += c.length;
  }
  t.strictSame(joined, bytes);
  t.strictSame(
    chunkPayload(new Uint8Array(0), 10).map((c) => c.length),
    [0],
    'empty input is one empty chunk',
  );
  t.strictSame(chunkPayload(bytes, 2_500).length, 1, 'exact fit is one chunk');
  t.equal(errorOf(() => chunkPayload(bytes, 0))?.code, 'E_INTERNAL');
});

t.test('codec: chunk headers format and parse, and malformed ones are refused', async (t) => {
  t.equal(formatChunkHeader(2, 5), '2/5');
  t.strictSame(parseChunkHeader('2/5'), { index: 2, count: 5 });
  for (const bad of ['', '5/5', '1/0', 'a/b', '-1/3', '1/2/3', '1 / 2']) {
    t.equal(errorOf(() => parseChunkHeader(bad))?.code, 'E_BAD_MESSAGE', JSON.stringify(bad));
  }
});

function parts(bytes: Uint8Array, size: number): Uint8Array[] {
  return chunkPayload(bytes, size);
}

t.test('codec: ChunkAssembler reassembles in-order chunks and ignores a repeated chunk', async (t) => {
  const bytes = new Uint8Array(1_000).map((_, i) => i & 0xff);
  const [a, b, c] = parts(bytes, 400) as [Uint8Array, Uint8Array, Uint8Array];
  const asm = new ChunkAssembler();
  t.equal(asm.add('m1', 0, 3, a), undefined);
  t.equal(asm.add('m1', 0, 3, a), undefined, 'repeat of chunk 0 ignored');
  t.equal(asm.add('m1', 1, 3, b), undefined);
  t.equal(asm.add('m1', 1, 3, b), undefined, 'repeat of chunk 1 ignored');
  t.equal(asm.pendingBytes, 800);
  t.strictSame(asm.add('m1', 2, 3, c), bytes, 'whole message on the last chunk');
  t.equal(asm.pendingBytes, 0);
  t.equal(asm.pendingMessages, 0);
  t.strictSame(asm.add('m2', 0, 1, a), a, 'a one-chunk message is returned at once');
});

t.test('codec: ChunkAssembler drops a message with a missing chunk and ignores its later chunks', async (t) => {
  const [a, , c, d] = parts(new Uint8Array(1_600), 400) as Uint8Array[];
  const asm = new ChunkAssembler();
  asm.add('m', 0, 4, a!);
  const gap = errorOf(() => asm.add('m', 2, 4, c!));
  t.equal(gap?.code, 'E_BAD_MESSAGE');
  t.match(gap?.message, /message m: chunk 2\/4 arrived after 0\/4 \(chunks missing\); message dropped/);
  t.equal(asm.add('m', 3, 4, d!), undefined, 'later chunk of a dropped message ignored quietly');
  t.equal(asm.pendingBytes, 0, 'memory released');
  const headless = errorOf(() => asm.add('n', 1, 4, c!));
  t.match(headless?.message, /message n: chunk 1\/4 arrived without the chunks before it/);
  asm.add('k', 0, 4, a!);
  t.match(errorOf(() => asm.add('k', 1, 5, c!))?.message, /chunk count changed from 4 to 5/);
  t.equal(errorOf(() => asm.add('z', 4, 4, c!))?.code, 'E_BAD_MESSAGE', 'index out of range');
});

t.test('codec: ChunkAssembler enforces the per-message and global limits', async (t) => {
  const chunk = new Uint8Array(400);
  const asm = new ChunkAssembler({ maxMessageBytes: 1_000, maxPendingBytes: 1_500 });
  asm.add('big', 0, 3, chunk);
  asm.add('big', 1, 3, chunk);
  const tooBig = errorOf(() => asm.add('big', 2, 3, chunk));
  t.equal(tooBig?.code, 'E_BAD_MESSAGE');
  t.match(tooBig?.message, /message big: exceeds the limit of 1000 bytes; message dropped/);
  t.equal(asm.pendingBytes, 0);

  asm.add('a', 0, 2, chunk);
  asm.add('b', 0, 2, chunk);
  asm.add('c', 0, 2, chunk);
  const global = errorOf(() => asm.add('d', 0, 2, chunk));
  t.match(global?.message, /message d: incomplete messages would hold more than 1500 bytes; message dropped/);
  t.equal(asm.pendingBytes, 1_200, 'the others are kept');
  t.strictSame(asm.add('a', 1, 2, chunk)?.length, 800, 'and still complete');
  t.match(errorOf(() => asm.add('one', 0, 1, new Uint8Array(2_000)))?.message, /exceeds the limit of 1000 bytes/, 'single chunk too');
});

t.test('codec: ChunkAssembler drops incomplete messages after the timeout', async (t) => {
  let now = 1_000;
  const asm = new ChunkAssembler({ timeoutMs: 5_000, now: () => now });
  asm.add('old', 0, 2, new Uint8Array(10));
  now += 3_000;
  asm.add('young', 0, 2, new Uint8Array(10));
  t.strictSame(asm.expire(), [], 'nothing expired yet');
  now += 2_000;
  t.strictSame(asm.expire(), ['old']);
  t.equal(asm.pendingBytes, 10);
  t.equal(asm.add('old', 1, 2, new Uint8Array(10)), undefined, 'late chunk of an expired message ignored');
  t.strictSame(asm.add('young', 1, 2, new Uint8Array(10))?.length, 20);
});
