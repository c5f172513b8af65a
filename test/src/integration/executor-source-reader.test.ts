import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { NatsServerProcess } from '@kindling/cli';
import { SourceReader, type ExecutorLogger } from '@kindling/executor/process';
import {
  DEFAULT_CSV_OPTIONS,
  NatsTransport,
  PROTOCOL_VERSION,
  asJobId,
  subjects,
  type FetchRange,
  type PartitionSource,
} from '@kindling/shared';

const quiet: ExecutorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const PREFIX = 'ksr';

const server = await NatsServerProcess.start({ port: 0, jetstream: false });
t.teardown(() => server.stop());
const executor = await NatsTransport.connect({ servers: server.url, prefix: PREFIX, name: 'sr-exec' });
const driver = await NatsTransport.connect({ servers: server.url, prefix: PREFIX, name: 'sr-driver' });
t.teardown(async () => {
  await executor.close();
  await driver.close();
});

/** The driver's file content, served over FetchRange; records every request it gets. */
const content = new TextEncoder().encode('h\n' + Array.from({ length: 50 }, (_, i) => `row-${i}`).join('\n') + '\n');
const requests: FetchRange[] = [];
let shortBy = 0;
driver.subscribe(subjects(PREFIX).fetchRange('drv'), async (m, reply) => {
  if (m.type !== 'fetch-range' || !reply) return;
  requests.push(m);
  await reply({ type: 'range-data', version: PROTOCOL_VERSION, bytes: content.slice(m.start, m.end - shortBy) });
});
await driver.flush();

const source = (file: string, start: number, end: number): PartitionSource => ({
  file,
  index: 0,
  start,
  end,
  numColumns: 1,
  columnNames: ['h'],
});

t.test('source-reader: a readable file of the right size is read locally, decided once per job', async (t) => {
  const file = join(t.testdir(), 'local.csv');
  writeFileSync(file, content);
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet });
  t.same(await reader.decide('j1', source(file, 2, content.length)), { local: true });
  t.equal(await reader.bytesFor('j1', 'drv', source(file, 2, 10)), undefined, 'the worker reads it itself');
  // The answer is cached for the job: removing the file does not change it mid-job.
  rmSync(file);
  t.same(await reader.decide('j1', source(file, 2, content.length)), { local: true });
  reader.forgetJob('j1');
  t.same((await reader.decide('j1', source(file, 2, content.length))).local, false, 'a dropped job is decided afresh');
  t.equal(requests.length, 0);
});

t.test('source-reader: a missing or shorter file is fetched from the driver, in chunks', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, chunkBytes: 64 });
  const missing = join(t.testdir(), 'not-here.csv');
  const d = await reader.decide('j2', source(missing, 2, content.length));
  t.equal(d.local, false);
  if (!d.local) t.match(d.why, /ENOENT/);
  const bytes = await reader.bytesFor('j2', 'drv', source(missing, 2, content.length));
  t.same(Buffer.from(bytes!), Buffer.from(content.subarray(2)), 'the bytes are the driver file range, in order');
  t.ok(bytes!.buffer instanceof SharedArrayBuffer, 'on shared memory: the worker thread parses them without a copy');
  t.equal(requests.length, Math.ceil((content.length - 2) / 64));
  t.same(requests[0], { type: 'fetch-range', version: PROTOCOL_VERSION, jobId: 'j2', file: missing, start: 2, end: 66 });

  const short = join(t.testdir(), 'short.csv');
  writeFileSync(short, content.subarray(0, 20));
  const s = await reader.decide('j3', source(short, 2, content.length));
  t.equal(s.local, false, 'a local copy shorter than the partition is not used');
  if (!s.local) t.match(s.why, /has 20 bytes here/);
});

t.test('source-reader: a local file of another size than the driver has is not used', async (t) => {
  const file = join(t.testdir(), 'stale.csv');
  writeFileSync(file, content.subarray(0, content.length - 1));
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet });
  const d = await reader.decide('j5', { ...source(file, 2, 10), fileSize: content.length });
  t.equal(d.local, false);
  if (!d.local) t.match(d.why, new RegExp(`has ${content.length - 1} bytes here, ${content.length} on the driver`));
});

t.test('source-reader: provider() fetches from the job owner, or lets the worker read the file', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet });
  const provide = reader.provider((jobId) => (jobId === 'j6' ? 'drv' : undefined));
  const lineage = { source: source('/not/on/this/machine.csv', 2, 12), csv: DEFAULT_CSV_OPTIONS, firstRowId: 0 };
  const bytes = await provide(asJobId('j6'), lineage, 'csv-load');
  t.same(Buffer.from(bytes!), Buffer.from(content.subarray(2, 12)));
  t.equal(requests.length, 1);
  t.equal(
    await provide(asJobId('unknown-job'), lineage, 'csv-load'),
    undefined,
    'no known driver: the worker reads (and reports) the file',
  );
});

t.test('source-reader: a driver that sends the wrong length or does not answer fails the fetch', async (t) => {
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, timeoutMs: 500 });
  shortBy = 3;
  t.teardown(() => void (shortBy = 0));
  await t.rejects(reader.fetch('j4', 'drv', '/data/x.csv', 2, 40), {
    code: 'E_BAD_MESSAGE',
    message: /bytes 2–40 of \/data\/x\.csv from driver drv: .*sent 35 bytes \(38 expected\)/,
  });
  await t.rejects(reader.fetch('j4', 'nobody', '/data/x.csv', 2, 40), {
    code: 'E_IO',
    message: /cannot fetch bytes 2–40 of \/data\/x\.csv from driver nobody/,
  });
});

t.test('source-reader: a range fetched for inference is kept for the load and then let go; a one-pass read keeps nothing', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, chunkBytes: 16 });
  const src = source('/not/on/this/machine.csv', 2, content.length);
  const perFetch = Math.ceil((content.length - 2) / 16);
  const first = await reader.bytesFor('j7', 'drv', src, true);
  t.equal(requests.length, perFetch, 'the first pass fetches the range');
  const second = await reader.bytesFor('j7', 'drv', src, true);
  t.equal(requests.length, perFetch, 'the second pass gets the kept bytes: nothing crosses the network again');
  t.same(Buffer.from(second!), Buffer.from(first!));
  t.equal(reader.fetchedBytes, content.length - 2, 'each byte fetched once');
  await reader.bytesFor('j7', 'drv', src, true);
  t.equal(requests.length, 2 * perFetch, 'after its second use the range is no longer held (a rebuild fetches again)');
  reader.forgetJob('j7');
  await reader.bytesFor('j7', 'drv', src, true);
  reader.forgetJob('j7');
  await reader.bytesFor('j7', 'drv', src, true);
  t.equal(requests.length, 4 * perFetch, 'a dropped job keeps nothing');
  reader.forgetJob('j7');
  await reader.bytesFor('j7', 'drv', src);
  await reader.bytesFor('j7', 'drv', src, true);
  t.equal(requests.length, 6 * perFetch, 'a read by a one-pass op (scan, load) is not kept for later');

  const none = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, chunkBytes: 16, keepBytes: 0 });
  requests.length = 0;
  await none.bytesFor('j8', 'drv', src, true);
  await none.bytesFor('j8', 'drv', src, true);
  t.equal(requests.length, 2 * perFetch, 'keepBytes 0 keeps nothing');

  shortBy = 1;
  await t.rejects(reader.bytesFor('j9', 'drv', src, true), { code: 'E_BAD_MESSAGE' });
  shortBy = 0;
  requests.length = 0;
  const retried = await reader.bytesFor('j9', 'drv', src, true);
  t.same(Buffer.from(retried!), Buffer.from(content.subarray(2)), 'a failed fetch is not kept: the retry fetches afresh');
  t.equal(requests.length, perFetch);
});

t.test('source-reader: several chunk requests of a range are in flight at once, bytes land in order', async (t) => {
  const slow = await NatsTransport.connect({ servers: server.url, prefix: PREFIX, name: 'sr-slow-driver' });
  t.teardown(() => slow.close());
  let outstanding = 0;
  let most = 0;
  slow.subscribe(subjects(PREFIX).fetchRange('slow'), async (m, reply) => {
    if (m.type !== 'fetch-range' || !reply) return;
    outstanding++;
    most = Math.max(most, outstanding);
    // Later chunks answer first, so out-of-order replies must still land at their offsets.
    await new Promise((r) => setTimeout(r, 40 - (m.start % 40)));
    outstanding--;
    await reply({ type: 'range-data', version: PROTOCOL_VERSION, bytes: content.slice(m.start, m.end) });
  });
  await slow.flush();
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, chunkBytes: 8, inFlight: 3 });
  const bytes = await reader.fetch('j10', 'slow', '/data/x.csv', 2, content.length);
  t.same(Buffer.from(bytes), Buffer.from(content.subarray(2)));
  t.equal(most, 3, 'three requests outstanding at the driver at once, never more');
});

t.test('source-reader: a Parquet partition is its row-group span plus the footer, which is fetched once per job and file', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet });
  const file = join(t.testdir(), 'remote.parquet');
  const size = content.length;
  const parquet = (start: number, end: number): PartitionSource => ({
    ...source(file, start, end),
    fileSize: size,
    format: 'parquet',
    rowGroups: [0, 1],
    footerStart: size - 10,
  });
  const first = await reader.bytesFor('jp', 'drv', parquet(4, 30));
  t.same(Buffer.from(first!), Buffer.concat([content.subarray(4, 30), content.subarray(size - 10)]), 'range, then footer');
  t.ok(first!.buffer instanceof SharedArrayBuffer, 'range and footer together on shared memory');
  const second = await reader.bytesFor('jp', 'drv', parquet(30, 60));
  t.same(Buffer.from(second!), Buffer.concat([content.subarray(30, 60), content.subarray(size - 10)]));
  t.same(
    requests.map((r) => [r.start, r.end]),
    [
      [4, 30],
      [size - 10, size],
      [30, 60],
    ],
    'the footer crossed the network once for both partitions',
  );
});

t.test('source-reader: at most rangesAhead fetched ranges are held by tasks at once; done() frees a place', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, rangesAhead: 2 });
  const missing = '/nowhere/ahead.csv';
  // A stage's tasks all ask at once (the driver launches them together).
  const got: Uint8Array[] = [];
  const asked = [0, 1, 2, 3, 4].map((i) =>
    reader.bytesFor('ja', 'drv', source(missing, 2 + i * 10, 12 + i * 10)).then((b) => {
      got.push(b!);
      return b!;
    }),
  );
  const settle = async (): Promise<void> => {
    await driver.flush();
    await new Promise((r) => setTimeout(r, 100));
  };
  await settle();
  t.equal(requests.length, 2, 'two ranges fetched; the other three tasks wait for a place');
  t.equal(got.length, 2);
  reader.done(new Uint8Array(3)); // bytes the reader never handed out hold no place
  await settle();
  t.equal(requests.length, 2, 'unknown bytes free nothing');
  reader.done(got[0]!);
  await settle();
  t.equal(requests.length, 3, "a task's end lets the next range be fetched");
  reader.done(got[0]!);
  await settle();
  t.equal(requests.length, 3, 'done() twice frees one place');
  for (const x of got.slice(1)) reader.done(x);
  const all = await Promise.all(asked);
  t.equal(requests.length, 5, 'every task got its bytes in the end');
  all.forEach((b, i) => t.same(Buffer.from(b), Buffer.from(content.subarray(2 + i * 10, 12 + i * 10)), `task ${i}: its own range`));
});

t.test('source-reader: a failed fetch gives its place back', async (t) => {
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, rangesAhead: 1, timeoutMs: 300 });
  await t.rejects(reader.bytesFor('jf', 'nobody', source('/nowhere/f.csv', 2, 12)), { code: 'E_IO' });
  const ok = await reader.bytesFor('jf', 'drv', source('/nowhere/f.csv', 2, 12));
  t.same(Buffer.from(ok!), Buffer.from(content.subarray(2, 12)), 'the next fetch did not wait for the failed one');
});

t.test('source-reader: a kept range handed to two tasks at once holds a place for each', async (t) => {
  requests.length = 0;
  const reader = new SourceReader({ transport: executor, prefix: PREFIX, log: quiet, rangesAhead: 2 });
  const src = source('/nowhere/kept.csv', 2, 12);
  const first = await reader.bytesFor('jk', 'drv', src, true); // inference: fetched and kept
  const again = await reader.bytesFor('jk', 'drv', src, true); // the load, while inference still runs
  t.equal(again, first, 'the same kept bytes');
  const waiting = reader.bytesFor('jk', 'drv', source('/nowhere/kept.csv', 12, 22));
  let third: Uint8Array | undefined;
  void waiting.then((b) => (third = b));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(third, undefined, 'both places are taken');
  reader.done(first!);
  third = await waiting;
  t.ok(third, "the first task's end freed one place");
  reader.done(again!);
  reader.done(third!);
  // Every place is free again: two fetches proceed at once.
  const both = await Promise.all([
    reader.bytesFor('jk', 'drv', source('/nowhere/kept.csv', 22, 32)),
    reader.bytesFor('jk', 'drv', source('/nowhere/kept.csv', 32, 42)),
  ]);
  t.equal(both.length, 2, 'no place was lost');
});
