import t from 'tap';
import { KindlingError } from '../../src/errors.js';
import { PROTOCOL_VERSION, type FetchRange } from '../../src/protocol.js';
import { RangeReceiver, isRangeFrame, rangeFrames } from '../../src/transport/range-frame.js';
import { InProcessBus } from '../../src/transport/in-process-transport.js';
import { encodeMessage } from '../../src/codec.js';

const req: FetchRange = { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'job-7', file: '/data/in.csv', start: 1000, end: 1300 };
const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 31) & 0xff);
/** 42-byte header + 5-byte job id + 50 bytes of body: 300 bytes in 6 frames. */
const PAYLOAD = 42 + 5 + 50;
const quiet = { warn() {} };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return err instanceof KindlingError ? err.code : `not a KindlingError: ${String(err)}`;
  }
}

t.test('range-frame: frames are at most max_payload and rebuild the bytes in any order', async (t) => {
  const frames = [...rangeFrames(req, bytes, PAYLOAD)];
  t.equal(frames.length, 6);
  t.ok(
    frames.every((f) => f.length <= PAYLOAD && isRangeFrame(f)),
    'every frame fits max_payload and is recognised',
  );
  t.notOk(isRangeFrame(encodeMessage(req)), 'an encoded message is never taken for a frame');
  const into = new Uint8Array(300);
  const r = new RangeReceiver(req, into);
  const order = [5, 2, 0, 4, 1, 3];
  const done = order.map((i) => r.add(frames[i]!));
  t.same(done, [false, false, false, false, false, true], 'complete at the last frame only');
  t.same(Buffer.from(into), Buffer.from(bytes), 'each frame landed at its offset');
  t.equal(r.bytes, into, 'written in place');
  const empty = new RangeReceiver({ ...req, end: req.start }, new Uint8Array(0));
  t.equal(empty.add([...rangeFrames({ ...req, end: req.start }, new Uint8Array(0), PAYLOAD)][0]!), true, 'an empty range is one frame');
});

t.test('range-frame: a reply of another job, range, length or version is refused before a byte is written', async (t) => {
  const check = (name: string, frame: Uint8Array, code: string, strict = true): void => {
    const into = new Uint8Array(300).fill(0xee);
    const r = new RangeReceiver(req, strict ? into : undefined);
    t.equal(
      codeOf(() => r.add(frame)),
      code,
      name,
    );
    if (strict)
      t.ok(
        into.every((b) => b === 0xee),
        `${name}: nothing written`,
      );
  };
  check('another job', [...rangeFrames({ ...req, jobId: 'job-8' }, bytes, PAYLOAD)][0]!, 'E_BAD_MESSAGE');
  check('another range', [...rangeFrames({ ...req, start: 1001, end: 1301 }, bytes, PAYLOAD)][0]!, 'E_BAD_MESSAGE');
  check('a short reply', [...rangeFrames(req, bytes.subarray(0, 299), PAYLOAD)][0]!, 'E_BAD_MESSAGE');
  check('a long reply', [...rangeFrames(req, new Uint8Array(301), PAYLOAD)][0]!, 'E_BAD_MESSAGE');
  const old = [...rangeFrames(req, bytes, PAYLOAD)][0]!.slice();
  new DataView(old.buffer).setUint16(2, PROTOCOL_VERSION - 1, true);
  check('another protocol version', old, 'E_PROTOCOL_VERSION');
  check('a truncated header', [...rangeFrames(req, bytes, PAYLOAD)][0]!.subarray(0, 20), 'E_BAD_MESSAGE');
  const cut = [...rangeFrames(req, bytes, PAYLOAD)][1]!;
  check('a frame missing its last byte', cut.subarray(0, cut.length - 1), 'E_BAD_MESSAGE');
  // Without a destination (a plain request) a shorter reply is fine: a range past the end of the file.
  const r = new RangeReceiver(req, undefined);
  t.equal(r.add([...rangeFrames(req, bytes.subarray(0, 10), PAYLOAD)][0]!), true);
  t.same(Buffer.from(r.bytes), Buffer.from(bytes.subarray(0, 10)));
  check('a longer reply without a destination', [...rangeFrames(req, new Uint8Array(301), PAYLOAD)][0]!, 'E_BAD_MESSAGE', false);
});

t.test('range-frame: a repeated frame or frames of inconsistent sizes are refused', async (t) => {
  const frames = [...rangeFrames(req, bytes, PAYLOAD)];
  const r = new RangeReceiver(req, new Uint8Array(300));
  r.add(frames[0]!);
  t.equal(
    codeOf(() => r.add(frames[0]!)),
    'E_BAD_MESSAGE',
    'repeated',
  );
  const other = [...rangeFrames(req, bytes, PAYLOAD + 10)];
  t.equal(
    codeOf(() => r.add(other[1]!)),
    'E_BAD_MESSAGE',
    'a frame cut at another size',
  );
  const lying = frames[2]!.slice();
  new DataView(lying.buffer).setUint32(8, 99, true);
  t.equal(
    codeOf(() => new RangeReceiver(req, new Uint8Array(300)).add(lying)),
    'E_BAD_MESSAGE',
    'a frame count that does not fit the length',
  );
});

t.test('range-frame: damaged frames are refused with E_BAD_MESSAGE or E_PROTOCOL_VERSION, never anything else', async (t) => {
  const frames = [...rangeFrames(req, bytes, PAYLOAD)];
  let x = 99;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const codes = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const f = frames[rnd(frames.length)]!.slice();
    // Damage the header mostly: that is where the checks are.
    for (let k = 0, n = 1 + rnd(3); k < n; k++) f[rnd(i % 4 === 0 ? f.length : 48)] = rnd(256);
    const cut = rnd(10) === 0 ? f.subarray(0, rnd(f.length)) : f;
    const code = codeOf(() => new RangeReceiver(req, new Uint8Array(300)).add(cut));
    if (code !== undefined) codes.add(code);
  }
  t.same(
    [...codes].sort(),
    ['E_BAD_MESSAGE', 'E_PROTOCOL_VERSION'].filter((c) => codes.has(c)),
  );
  t.ok(codes.has('E_BAD_MESSAGE'));
});

t.test(
  'range-frame: fetchRange over the in-process bus writes in place; a read failing midway fails the request with its error',
  async (t) => {
    const bus = new InProcessBus(PAYLOAD);
    const driver = bus.connect({ log: quiet });
    const executor = bus.connect();
    let failAt = -1;
    driver.subscribe('fetch', async (m, reply) => {
      if (m.type !== 'fetch-range' || !reply) return;
      await reply({
        type: 'range-source',
        length: m.end - m.start,
        read: async (into, offset) => {
          if (failAt >= 0 && offset >= failAt) throw new KindlingError('E_IO', 'disk went away');
          into.set(bytes.subarray(offset, offset + into.length));
        },
      });
    });
    const into = new Uint8Array(300);
    await executor.fetchRange('fetch', req, into, { timeoutMs: 2000 });
    t.same(Buffer.from(into), Buffer.from(bytes));
    failAt = 100;
    const t0 = Date.now();
    await t.rejects(executor.fetchRange('fetch', req, new Uint8Array(300), { timeoutMs: 5000 }), {
      code: 'E_IO',
      message: 'disk went away',
    });
    t.ok(Date.now() - t0 < 4000, 'at once, not at the timeout');
    // A plain request gets the same bytes as a RangeData.
    failAt = -1;
    const r = await executor.request('fetch', req, { expect: 'range-data', timeoutMs: 2000 });
    t.same(Buffer.from(r.bytes), Buffer.from(bytes));
    // A destination of the wrong size is the caller's bug.
    await t.rejects(executor.fetchRange('fetch', req, new Uint8Array(3), { timeoutMs: 2000 }), { code: 'E_INTERNAL' });
  },
);

t.test('range-frame: a range source answering anything but a fetch-range is refused', async (t) => {
  const bus = new InProcessBus();
  const a = bus.connect();
  const b = bus.connect({ log: quiet });
  b.subscribe('x', async (_m, reply) => {
    await reply?.({ type: 'range-source', length: 1, read: async () => undefined });
  });
  const drop = { type: 'drop-job', version: PROTOCOL_VERSION, jobId: 'j' } as const;
  await t.rejects(a.request('x', drop, { expect: 'tasks-accepted', timeoutMs: 2000 }), { code: 'E_INTERNAL' });
});
