import t from 'tap';
import { connect, headers } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { NatsServerProcess } from '@kindling/cli';
import {
  KindlingError,
  NatsTransport,
  PROTOCOL_VERSION,
  encodeMessage,
  rangeFrames,
  type ExecutorHeartbeat,
  type FetchRange,
  type Message,
  type TransportStatus,
} from '@kindling/shared';
import { collectingLogger, sampleMessages, waitFor } from '../harness/shared-fixtures.js';

const v = PROTOCOL_VERSION;

function heartbeat(executorId: string, runningTasks = 0): ExecutorHeartbeat {
  return {
    type: 'executor-heartbeat',
    version: v,
    executorId,
    slots: 2,
    runningTasks,
    cachedBlocks: 0,
    cachedBytes: 0,
    rssBytes: 1,
    jobs: [],
    draining: false,
    startedAt: 1,
    sentAt: 2,
  };
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof KindlingError ? { code: err.code, message: err.message } : { code: 'not a KindlingError', message: String(err) };
  }
}

// One server for the file: the default 1 MiB max_payload, JetStream on.
const server = await NatsServerProcess.start();
t.teardown(() => server.stop());
const log = collectingLogger();
const open: NatsTransport[] = [];
async function transport(name: string): Promise<NatsTransport> {
  const tr = await NatsTransport.connect({ servers: server.url, name, reconnectTimeWaitMs: 200 }, log);
  open.push(tr);
  return tr;
}
t.teardown(async () => {
  for (const tr of open) await tr.close();
});

t.test('nats-transport: reads max_payload from the server', async (t) => {
  const a = await transport('maxpayload');
  t.equal(a.maxPayload, 1024 * 1024);
});

t.test('nats-transport: publish/subscribe delivers every message type, in order', async (t) => {
  const a = await transport('pub');
  const b = await transport('sub');
  const got: Message[] = [];
  b.subscribe('test.pubsub', (m) => {
    got.push(m);
  });
  await b.flush();
  for (const m of sampleMessages) await a.publish('test.pubsub', m);
  await waitFor(() => got.length === sampleMessages.length, 5_000, 'all messages');
  t.strictSame(got, sampleMessages);
});

t.test('nats-transport: request/reply answers with the expected type, and refuses another', async (t) => {
  const a = await transport('req');
  const b = await transport('rep');
  b.subscribe('test.fetch', async (m, reply) => {
    if (m.type !== 'fetch-range' || reply === undefined) return;
    await reply({ type: 'range-data', version: v, bytes: new Uint8Array([m.start, m.end, 0, 0, 0, 0]) });
  });
  await b.flush();
  const fetch: Message = { type: 'fetch-range', version: v, jobId: 'j', file: '/f', start: 3, end: 9 };
  const r = await a.request('test.fetch', fetch, { expect: 'range-data', timeoutMs: 5_000 });
  t.strictSame(r.bytes, new Uint8Array([3, 9, 0, 0, 0, 0]));
  const wrong = await errorOf(a.request('test.fetch', fetch, { expect: 'tasks-accepted', timeoutMs: 5_000 }));
  t.strictSame(wrong, { code: 'E_BAD_MESSAGE', message: 'reply to test.fetch: expected tasks-accepted, received range-data' });
});

t.test('nats-transport: a failing handler answers the requester with its error', async (t) => {
  const a = await transport('req-fail');
  const b = await transport('rep-fail');
  b.subscribe('test.fail', () => {
    throw new KindlingError('E_BLOCK_MISSING', 'no block p1/train');
  });
  await b.flush();
  const e = await errorOf(
    a.request('test.fail', { type: 'drop-job', version: v, jobId: 'j' }, { expect: 'tasks-accepted', timeoutMs: 5_000 }),
  );
  t.strictSame(e, { code: 'E_BLOCK_MISSING', message: 'no block p1/train' });
  t.ok(
    log.lines.some((l) => l.msg === 'message handler failed' && l.obj.subject === 'test.fail'),
    'logged',
  );
  // An invalid answer is never sent; the requester learns why at once.
  b.subscribe('test.badanswer', async (_m, reply) => {
    const bad: Message = JSON.parse(`{"type":"tasks-accepted","version":${v},"accepted":"yes"}`);
    await reply?.(bad);
  });
  await b.flush();
  const e2 = await errorOf(
    a.request('test.badanswer', { type: 'drop-job', version: v, jobId: 'j' }, { expect: 'tasks-accepted', timeoutMs: 5_000 }),
  );
  t.strictSame(e2, { code: 'E_BAD_MESSAGE', message: 'tasks-accepted: accepted: expected boolean, received string' });
});

t.test('nats-transport: a request without responders or without a reply fails with E_IO naming the subject', async (t) => {
  const a = await transport('req-none');
  const b = await transport('silent');
  const none = await errorOf(a.request('test.nobody', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 5_000 }));
  t.strictSame(none, { code: 'E_NO_RESPONDERS', message: 'no responders on test.nobody' });
  b.subscribe('test.silent', () => undefined);
  await b.flush();
  const slow = await errorOf(a.request('test.silent', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 300 }));
  t.strictSame(slow, { code: 'E_IO', message: 'request to test.silent timed out after 300 ms' });
});

t.test('nats-transport: requestMany collects one reply per responder', async (t) => {
  const asker = await transport('discoverer');
  for (const id of ['e0', 'e1', 'e2']) {
    const ex = await transport(id);
    ex.subscribe(ex.subjects.discover, async (_m, reply) => {
      await reply?.(heartbeat(id));
    });
    await ex.flush();
  }
  const replies = await asker.requestMany(asker.subjects.discover, { type: 'discover-executors', version: v }, { timeoutMs: 500 });
  t.strictSame(replies.map((r) => (r.type === 'executor-heartbeat' ? r.executorId : r.type)).sort(), ['e0', 'e1', 'e2']);
  t.strictSame(
    await asker.requestMany('test.empty', { type: 'discover-executors', version: v }, { timeoutMs: 5_000 }),
    [],
    'no responders: none',
  );
});

t.test('nats-transport: a queue group hands each message to one member', async (t) => {
  const a = await transport('q-pub');
  const members = [await transport('q-0'), await transport('q-1')];
  const seen: number[][] = [[], []];
  members.forEach((m, i) =>
    m.subscribe(
      'test.queue',
      (msg) => {
        if (msg.type === 'executor-heartbeat') seen[i]!.push(msg.runningTasks);
      },
      { queue: 'workers' },
    ),
  );
  for (const m of members) await m.flush();
  for (let i = 0; i < 40; i++) await a.publish('test.queue', heartbeat('x', i));
  await waitFor(() => seen[0]!.length + seen[1]!.length === 40, 5_000, '40 deliveries');
  t.strictSame(
    [...seen[0]!, ...seen[1]!].sort((x, y) => x - y),
    Array.from({ length: 40 }, (_, i) => i),
    'each exactly once',
  );
});

t.test('nats-transport: a 64 MiB RangeData round-trips byte-identical through a 1 MiB max_payload', async (t) => {
  const a = await transport('big-req');
  const b = await transport('big-rep');
  const size = 64 * 1024 * 1024;
  const data = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    data[i] = x;
    data[i + 1] = x >>> 8;
    data[i + 2] = x >>> 16;
    data[i + 3] = x >>> 24;
  }
  b.subscribe('test.big', async (m, reply) => {
    if (m.type === 'fetch-range') await reply?.({ type: 'range-data', version: v, bytes: data });
  });
  await b.flush();
  const r = await a.request(
    'test.big',
    { type: 'fetch-range', version: v, jobId: 'j', file: '/f', start: 0, end: size },
    {
      expect: 'range-data',
      timeoutMs: 30_000,
    },
  );
  t.equal(r.bytes.length, size);
  t.ok(Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length).equals(Buffer.from(data.buffer)), 'identical bytes');
  // And a chunked *request* works too (publish path of the requester).
  let gotBig = 0;
  b.subscribe('test.bigin', async (m, reply) => {
    if (m.type === 'range-data') gotBig = m.bytes.length;
    await reply?.({ type: 'ack', version: v, ok: true });
  });
  await b.flush();
  const ack = await a.request(
    'test.bigin',
    { type: 'range-data', version: v, bytes: data.subarray(0, 5 * 1024 * 1024 + 7) },
    { expect: 'ack', timeoutMs: 30_000 },
  );
  t.equal(ack.ok, true);
  t.equal(gotBig, 5 * 1024 * 1024 + 7);
});

t.test('nats-transport: fetchRange streams a range as raw frames straight into the destination, through a 1 MiB max_payload', async (t) => {
  const a = await transport('frames-req');
  const b = await transport('frames-rep');
  const size = 9 * 1024 * 1024 + 13;
  const data = Uint8Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24);
  let reads = 0;
  let biggest = 0;
  b.subscribe('test.frames', async (m, reply) => {
    if (m.type !== 'fetch-range' || !reply) return;
    await reply({
      type: 'range-source',
      length: m.end - m.start,
      read: async (into, offset) => {
        reads++;
        biggest = Math.max(biggest, into.length);
        into.set(data.subarray(m.start + offset, m.start + offset + into.length));
      },
    });
  });
  await b.flush();
  const out = new Uint8Array(size + 100);
  const into = out.subarray(50, 50 + size - 7);
  await a.fetchRange('test.frames', { type: 'fetch-range', version: v, jobId: 'j', file: '/f', start: 7, end: size }, into, {
    timeoutMs: 30_000,
  });
  t.ok(Buffer.from(into).equals(Buffer.from(data.subarray(7))), 'identical bytes at the destination offset');
  t.ok(out.subarray(0, 50).every((x) => x === 0) && out.subarray(50 + size - 7).every((x) => x === 0), 'nothing written outside it');
  t.equal(reads, Math.ceil((size - 7) / biggest), 'the responder read frame by frame');
  t.ok(biggest > 1024 * 1024 - 100 && biggest < 1024 * 1024, 'frames as large as max_payload allows');
});

t.test('nats-transport: a reply of the wrong job, range or length, or of garbage, is refused with E_BAD_MESSAGE', async (t) => {
  const a = await transport('forged-req');
  // A raw NATS client answers in place of a driver, so the frames are exactly what the test wrote.
  const raw = await connect({ servers: server.url, name: 'forged-rep' });
  t.teardown(() => raw.close());
  const req: FetchRange = { type: 'fetch-range', version: v, jobId: 'job-1', file: '/f', start: 0, end: 100 };
  const body = new Uint8Array(100).fill(7);
  let answer: (m: FetchRange) => Uint8Array[] = () => [];
  raw.subscribe('test.forged', {
    callback: (_err, m) => {
      for (const f of answer(req)) raw.publish(m.reply!, f);
    },
  });
  await raw.flush();
  const fetch = () => errorOf(a.fetchRange('test.forged', req, new Uint8Array(100), { timeoutMs: 5_000 }));
  answer = (r) => [...rangeFrames({ ...r, jobId: 'job-2' }, body, 1024)];
  t.match(await fetch(), { code: 'E_BAD_MESSAGE', message: /job job-1: the frame is for another job/ });
  answer = (r) => [...rangeFrames({ ...r, start: 100, end: 200 }, body, 1024)];
  t.match(await fetch(), { code: 'E_BAD_MESSAGE', message: /the frame is for the range 100–200/ });
  answer = (r) => [...rangeFrames(r, body.subarray(0, 99), 1024)];
  t.match(await fetch(), { code: 'E_BAD_MESSAGE', message: /the driver sent 99 bytes \(100 expected\)/ });
  answer = () => [new Uint8Array([0xc1, 0x52, 1, 2, 3])];
  t.match(await fetch(), { code: 'E_BAD_MESSAGE', message: /not a range frame/ });
  answer = () => [new Uint8Array([0xff, 0, 1])];
  t.match(await fetch(), { code: 'E_BAD_MESSAGE' }, 'bytes that are neither a frame nor a message');
  answer = (r) => [...rangeFrames(r, body, 64)];
  const into = new Uint8Array(100);
  await a.fetchRange('test.forged', req, into, { timeoutMs: 5_000 });
  t.same(Buffer.from(into), Buffer.from(body), 'the same client, answering right, is accepted');
});

t.test('nats-transport: a responder whose read fails midway fails the request at once with its error', async (t) => {
  const a = await transport('midway-req');
  const b = await transport('midway-rep');
  b.subscribe('test.midway', async (m, reply) => {
    if (m.type !== 'fetch-range' || !reply) return;
    await reply({
      type: 'range-source',
      length: m.end - m.start,
      read: async (_into, offset) => {
        if (offset > 0) throw new KindlingError('E_IO', 'the input changed while it was served');
      },
    });
  });
  await b.flush();
  const t0 = Date.now();
  const err = await errorOf(
    a.fetchRange(
      'test.midway',
      { type: 'fetch-range', version: v, jobId: 'j', file: '/f', start: 0, end: 3 * 1024 * 1024 },
      new Uint8Array(3 * 1024 * 1024),
      {
        timeoutMs: 20_000,
      },
    ),
  );
  t.strictSame(err, { code: 'E_IO', message: 'the input changed while it was served' });
  t.ok(Date.now() - t0 < 10_000, 'not at the timeout');
});

t.test('nats-transport: garbage published raw is dropped with a log line and the subscription keeps working', async (t) => {
  const b = await transport('victim');
  const got: Message[] = [];
  b.subscribe('test.garbage', (m) => {
    got.push(m);
  });
  await b.flush();
  const raw = await connect({ servers: server.url });
  const packr = new Packr({ moreTypes: true, useRecords: false });
  const before = log.lines.length;
  raw.publish('test.garbage', new TextEncoder().encode('definitely not msgpack'));
  raw.publish('test.garbage', packr.pack({ type: 'drop-job', version: 7, jobId: 'j' }));
  raw.publish(
    'test.garbage',
    packr.pack({ type: 'launch-tasks', version: v, driverId: 'd', jobId: 'j', planVersion: 1, tasks: [{ taskId: 't', partition: 0 }] }),
  );
  const h = headers();
  h.set('Kindling-Msg', 'abc');
  h.set('Kindling-Chunk', 'seven of nine');
  raw.publish('test.garbage', new Uint8Array([1, 2, 3]), { headers: h });
  const h2 = headers();
  h2.set('Kindling-Msg', 'orphan');
  h2.set('Kindling-Chunk', '3/4');
  raw.publish('test.garbage', new Uint8Array([1, 2, 3]), { headers: h2 });
  raw.publish('test.garbage', encodeMessage({ type: 'drop-job', version: v, jobId: 'after-garbage' }));
  await raw.flush();
  await raw.close();
  await waitFor(() => got.length === 1, 5_000, 'the valid message');
  t.strictSame(got, [{ type: 'drop-job', version: v, jobId: 'after-garbage' }]);
  const rejected = log.lines.slice(before).filter((l) => l.msg === 'rejected message');
  t.equal(rejected.length, 5, 'one log line per bad message');
  t.ok(
    rejected.every((l) => l.obj.subject === 'test.garbage'),
    'lines name the subject',
  );
  t.match(
    rejected.map((l) => `${String(l.obj.code)} ${String(l.obj.reason)}`),
    [
      /^E_BAD_MESSAGE undecodable message/,
      /^E_PROTOCOL_VERSION drop-job: protocol version 7/,
      /^E_BAD_MESSAGE launch-tasks: batch: /,
      /^E_BAD_MESSAGE bad Kindling-Chunk header/,
      /^E_BAD_MESSAGE message .*orphan: chunk 3\/4 arrived without the chunks before it/,
    ],
  );
});

t.test('nats-transport: oversized and incomplete chunked messages are dropped with a log line', async (t) => {
  const a = await transport('limit-pub');
  const small = await NatsTransport.connect({ servers: server.url, name: 'limit-sub' }, log, {
    maxMessageBytes: 2 * 1024 * 1024,
    chunkTimeoutMs: 200,
  });
  open.push(small);
  const got: Message[] = [];
  small.subscribe('test.limits', (m) => {
    got.push(m);
  });
  await small.flush();
  const before = log.lines.length;
  await a.publish('test.limits', { type: 'range-data', version: v, bytes: new Uint8Array(5 * 1024 * 1024) });
  // The first chunk of a message whose other chunks never come.
  const raw = await connect({ servers: server.url });
  const h = headers();
  h.set('Kindling-Msg', 'never-finished');
  h.set('Kindling-Chunk', '0/2');
  raw.publish('test.limits', new Uint8Array(1_000), { headers: h });
  await raw.flush();
  await raw.close();
  await a.publish('test.limits', { type: 'drop-job', version: v, jobId: 'small-enough' });
  await waitFor(
    () => log.lines.slice(before).some((l) => l.msg === 'incomplete chunked message dropped after timeout'),
    5_000,
    'timeout line',
  );
  t.strictSame(got, [{ type: 'drop-job', version: v, jobId: 'small-enough' }]);
  t.ok(
    log.lines.slice(before).some((l) => l.msg === 'rejected message' && /exceeds the limit of 2097152 bytes/.test(String(l.obj.reason))),
    'the oversized message is logged',
  );
  t.equal(
    (await errorOf(small.publish('test.limits', { type: 'range-data', version: v, bytes: new Uint8Array(3 * 1024 * 1024) })))?.code,
    'E_BAD_MESSAGE',
    'and never sent',
  );
});

t.test('nats-transport: an invalid reply fails the request with E_BAD_MESSAGE', async (t) => {
  const a = await transport('req-bad');
  const raw = await connect({ servers: server.url });
  raw.subscribe('test.badreply', {
    callback: (_e, m) => {
      m.respond(new Uint8Array([0xc1, 0xc1]));
    },
  });
  await raw.flush();
  const e = await errorOf(a.request('test.badreply', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 5_000 }));
  t.equal(e?.code, 'E_BAD_MESSAGE');
  t.match(e?.message, /^reply to test\.badreply: undecodable message/);
  await raw.close();
});

t.test('nats-transport: after the server restarts, a connected transport reconnects and requests succeed', async (t) => {
  const a = await transport('survivor-a');
  const b = await transport('survivor-b');
  const statuses: TransportStatus[] = [];
  a.onStatus((s) => {
    statuses.push(s);
  });
  b.subscribe('test.restart', async (_m, reply) => {
    await reply?.({ type: 'ack', version: v, ok: true });
  });
  await b.flush();
  t.equal((await a.request('test.restart', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 5_000 })).ok, true);
  const pid = server.pid;
  await server.restart();
  t.not(server.pid, pid, 'a new server process');
  await waitFor(() => statuses.includes('reconnected'), 10_000, 'reconnected');
  t.ok(statuses.includes('disconnected'), 'saw the disconnect');
  // b's subscription is re-sent on its own reconnect; allow for it.
  let reply: Message | undefined;
  for (let i = 0; i < 50 && reply === undefined; i++) {
    try {
      reply = await a.request('test.restart', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 2_000 });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  t.strictSame(reply, { type: 'ack', version: v, ok: true });
});

t.test('nats-transport: a range fetch waiting when the server restarts fails at once with E_IO, not at its timeout', async (t) => {
  const a = await transport('fetch-restart-a');
  const b = await transport('fetch-restart-b');
  // A driver that got the request and never answers: its answer would be lost with the connection.
  b.subscribe('test.fetch-restart', () => new Promise<void>(() => undefined));
  await b.flush();
  const req = { type: 'fetch-range', version: v, jobId: 'j', file: '/f', start: 0, end: 10 } as const;
  const started = Date.now();
  const pending = errorOf(a.fetchRange('test.fetch-restart', req, new Uint8Array(10), { timeoutMs: 20_000 }));
  await new Promise((r) => setTimeout(r, 200));
  await server.restart();
  const err = await pending;
  t.equal(err?.code, 'E_IO', 'a retryable I/O error');
  t.match(err?.message, /connection to NATS server .* was lost before the reply came/);
  t.ok(Date.now() - started < 10_000, `failed after ${Date.now() - started} ms, not at the 20 s timeout`);
  // Other requests are left to the reconnect: the transport still works afterwards.
  b.subscribe('test.fetch-restart-ok', async (_m, reply) => {
    await reply?.({ type: 'ack', version: v, ok: true });
  });
  let reply: Message | undefined;
  for (let i = 0; i < 50 && reply === undefined; i++) {
    try {
      await b.flush();
      reply = await a.request('test.fetch-restart-ok', { type: 'discover-executors', version: v }, { expect: 'ack', timeoutMs: 2_000 });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  t.strictSame(reply, { type: 'ack', version: v, ok: true });
});

t.test('nats-transport: close drains and reports closed', async (t) => {
  const a = await NatsTransport.connect({ servers: server.url, name: 'closer' }, log);
  const statuses: TransportStatus[] = [];
  a.onStatus((s) => {
    statuses.push(s);
  });
  await a.publish('test.close', { type: 'discover-executors', version: v });
  await a.close();
  await a.close();
  await waitFor(() => statuses.includes('closed'), 5_000, 'closed status');
  t.equal(
    (await errorOf(a.publish('test.close', { type: 'discover-executors', version: v })))?.code,
    'E_IO',
    'publish after close fails with E_IO',
  );
});
