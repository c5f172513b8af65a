import t from 'tap';
import { encodeMessage } from '../../src/codec.js';
import { KindlingError } from '../../src/errors.js';
import { PROTOCOL_VERSION, type Message } from '../../src/protocol.js';
import { InProcessBus } from '../../src/transport/in-process-transport.js';
import type { TransportStatus } from '../../src/transport/transport.js';
import { sampleMessages } from '../message-fixtures.js';
import { collectingLogger, waitFor } from './transport-fixtures.js';

const v = PROTOCOL_VERSION;

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof KindlingError ? { code: err.code, message: err.message } : { code: 'not a KindlingError', message: String(err) };
  }
}

t.test('in-process-transport: delivers every message type in order, decoded afresh', async (t) => {
  const bus = new InProcessBus();
  const a = bus.connect();
  const b = bus.connect();
  const got: Message[] = [];
  b.subscribe('kindling.driver.d1.results', (m) => {
    got.push(m);
  });
  for (const m of sampleMessages) await a.publish('kindling.driver.d1.results', m);
  await b.flush();
  t.strictSame(got, sampleMessages);
  t.not(got[0], sampleMessages[0], 'a copy, as over the wire');
});

t.test('in-process-transport: subjects match NATS wildcards', async (t) => {
  const bus = new InProcessBus();
  const a = bus.connect();
  const hits: string[] = [];
  for (const pattern of ['kindling.executor.*.launch', 'kindling.>', 'kindling.executor.e1.drop', 'other.>']) {
    a.subscribe(pattern, () => {
      hits.push(pattern);
    });
  }
  await a.publish('kindling.executor.e1.launch', { type: 'drop-job', version: v, jobId: 'j' });
  await a.flush();
  t.strictSame(hits.sort(), ['kindling.>', 'kindling.executor.*.launch']);
});

t.test('in-process-transport: request, requestMany, no responders, timeout and handler errors behave as over NATS', async (t) => {
  const bus = new InProcessBus();
  const driver = bus.connect();
  for (const id of ['e0', 'e1']) {
    const ex = bus.connect();
    ex.subscribe(ex.subjects.discover, async (_m, reply) => {
      await reply?.({
        type: 'executor-heartbeat',
        version: v,
        executorId: id,
        slots: 1,
        runningTasks: 0,
        cachedBlocks: 0,
        cachedBytes: 0,
        rssBytes: 0,
        jobs: [],
        draining: false,
        startedAt: 0,
        sentAt: 0,
      });
    });
    ex.subscribe(ex.subjects.launchTasks(id), (m, reply) => {
      if (m.type !== 'launch-tasks') return;
      if (id === 'e1') throw new KindlingError('E_INTERNAL', 'boom');
      void reply?.({ type: 'tasks-accepted', version: v, accepted: true });
    });
  }
  const launch = sampleMessages.find((m) => m.type === 'launch-tasks')!;
  const ok = await driver.request(driver.subjects.launchTasks('e0'), launch, { expect: 'tasks-accepted', timeoutMs: 1_000 });
  t.equal(ok.accepted, true);
  t.strictSame(await errorOf(driver.request(driver.subjects.launchTasks('e1'), launch, { expect: 'tasks-accepted', timeoutMs: 1_000 })), {
    code: 'E_INTERNAL',
    message: 'boom',
  });
  const many = await driver.requestMany(driver.subjects.discover, { type: 'discover-executors', version: v }, { timeoutMs: 50 });
  t.strictSame(many.map((m) => (m.type === 'executor-heartbeat' ? m.executorId : '?')).sort(), ['e0', 'e1']);
  t.strictSame(await errorOf(driver.request('nobody.home', launch, { expect: 'ack', timeoutMs: 1_000 })), {
    code: 'E_NO_RESPONDERS',
    message: 'no responders on nobody.home',
  });
  driver.subscribe('silent', () => undefined);
  t.strictSame(await errorOf(driver.request('silent', launch, { expect: 'ack', timeoutMs: 30 })), {
    code: 'E_IO',
    message: 'request to silent timed out after 30 ms',
  });
});

t.test('in-process-transport: invalid bytes are logged and dropped; the subscription keeps working', async (t) => {
  const log = collectingLogger();
  const bus = new InProcessBus();
  const a = bus.connect({ log });
  const got: Message[] = [];
  a.subscribe('s', (m) => {
    got.push(m);
  });
  bus.publishRaw('s', new Uint8Array([1, 2, 3]));
  bus.publishRaw('s', encodeMessage({ type: 'drop-job', version: v, jobId: 'ok' }));
  await waitFor(() => got.length === 1, 1_000, 'valid message');
  t.strictSame(got, [{ type: 'drop-job', version: v, jobId: 'ok' }]);
  t.equal(log.lines.length, 1);
  t.match(log.lines[0], { msg: 'rejected message', obj: { subject: 's', code: 'E_BAD_MESSAGE' } });
});

t.test('in-process-transport: the size limit applies and queue groups deliver once', async (t) => {
  const bus = new InProcessBus(1024 * 1024, { maxMessageBytes: 1_000 });
  const a = bus.connect();
  t.equal((await errorOf(a.publish('x', { type: 'range-data', version: v, bytes: new Uint8Array(2_000) })))?.code, 'E_BAD_MESSAGE');
  const counts = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    bus.connect().subscribe(
      'work',
      () => {
        counts[i]!++;
      },
      { queue: 'q' },
    );
  }
  for (let i = 0; i < 9; i++) await a.publish('work', { type: 'drop-job', version: v, jobId: `j${i}` });
  await a.flush();
  t.strictSame(counts, [3, 3, 3]);
});

t.test('in-process-transport: close reports closed and stops deliveries', async (t) => {
  const bus = new InProcessBus();
  const a = bus.connect();
  const b = bus.connect();
  const statuses: TransportStatus[] = [];
  b.onStatus((s) => {
    statuses.push(s);
  });
  let n = 0;
  b.subscribe('s', () => {
    n++;
  });
  await b.close();
  await a.publish('s', { type: 'drop-job', version: v, jobId: 'j' });
  await a.flush();
  t.equal(n, 0);
  t.strictSame(statuses, ['closed']);
  t.equal((await errorOf(b.publish('s', { type: 'drop-job', version: v, jobId: 'j' })))?.code, 'E_IO');
});
