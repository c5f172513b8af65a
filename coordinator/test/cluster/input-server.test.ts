import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { InProcessBus, PROTOCOL_VERSION, asJobId, subjects, type FetchRange, type InProcessTransport } from '@kindling/shared';
import { InputServer } from '../../src/cluster/input-server.js';
import { RecordingLogger, silentTransportLog, type Teardown } from './wire-fakes.js';

const DRIVER = 'driver-1';
const CONTENT = Buffer.from('id,amount\n1,10\n2,20\n3,30\n4,40\n', 'utf8');

function setup(t: Teardown) {
  const dir = mkdtempSync(join(tmpdir(), 'input-server-'));
  const input = join(dir, 'input.csv');
  const other = join(dir, 'other.csv');
  writeFileSync(input, CONTENT);
  writeFileSync(other, 'secret\n');
  const bus = new InProcessBus();
  const driver = bus.connect({ log: silentTransportLog });
  const executor = bus.connect({ log: silentTransportLog });
  const log = new RecordingLogger();
  const server = new InputServer(driver, subjects(), DRIVER, log);
  t.teardown(async () => {
    server.close();
    await driver.close();
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, input, other, server, executor, log };
}

/** Files as a plan lists them: each with its size now (0 for one that does not exist). */
function served(...files: string[]) {
  return files.map((path) => ({ path, size: existsSync(path) ? statSync(path).size : 0 }));
}

function fetch(executor: InProcessTransport, jobId: string, file: string, start: number, end: number) {
  const msg: FetchRange = { type: 'fetch-range', version: PROTOCOL_VERSION, jobId, file, start, end };
  return executor.request(subjects().fetchRange(DRIVER), msg, { expect: 'range-data', timeoutMs: 2000 });
}

t.test('input-server: serves exactly the requested byte range of a registered job file', async (t) => {
  const { input, server, executor } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  const reply = await fetch(executor, 'job-1', input, 10, 20);
  t.same(Buffer.from(reply.bytes), CONTENT.subarray(10, 20));
  t.equal(Buffer.from(reply.bytes).toString('utf8'), '1,10\n2,20\n');
  const whole = await fetch(executor, 'job-1', input, 0, CONTENT.length);
  t.same(Buffer.from(whole.bytes), CONTENT, 'the whole file');
  t.equal(server.bytesServed, 10 + CONTENT.length, 'bytesServed counts every byte sent (the driver metrics read it)');
});

t.test('input-server: returns the bytes up to the end of the file for a range past it', async (t) => {
  const { input, server, executor } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  const tail = await fetch(executor, 'job-1', input, CONTENT.length - 6, CONTENT.length + 100);
  t.same(Buffer.from(tail.bytes), CONTENT.subarray(CONTENT.length - 6));
  const empty = await fetch(executor, 'job-1', input, 5, 5);
  t.equal(empty.bytes.length, 0, 'an empty range is empty');
});

t.test('input-server: refuses files that are not the input of the job with E_IO', async (t) => {
  const { input, other, server, executor, log } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  server.serveJob(asJobId('job-2'), served(other));
  await t.rejects(
    fetch(executor, 'job-1', other, 0, 3),
    { code: 'E_IO', message: /job job-1 has no input .*other\.csv on driver driver-1/ },
    "another job's file",
  );
  await t.rejects(fetch(executor, 'job-3', input, 0, 3), { code: 'E_IO' }, 'a job this driver does not run');
  await t.rejects(fetch(executor, 'job-1', '/etc/passwd', 0, 3), { code: 'E_IO' }, 'any other file');
  await t.rejects(fetch(executor, 'job-1', `${input}/../input.csv`, 0, 3), { code: 'E_IO' }, 'paths are compared as given, never resolved');
  t.equal(log.at('warn').filter((m) => /refused/.test(m)).length, 4);
});

t.test('input-server: stops serving the files of a job once it is forgotten', async (t) => {
  const { input, server, executor } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  server.serveJob(asJobId('job-2'), served(input));
  await fetch(executor, 'job-1', input, 0, 4);
  server.forgetJob(asJobId('job-1'));
  await t.rejects(fetch(executor, 'job-1', input, 0, 4), { code: 'E_IO' });
  t.same(server.jobs(), ['job-2']);
  const still = await fetch(executor, 'job-2', input, 0, 2);
  t.equal(Buffer.from(still.bytes).toString('utf8'), 'id', 'another job of the same file is still served');
});

t.test('input-server: answers E_IO when a registered file cannot be read', async (t) => {
  const { dir, server, executor } = setup(t);
  const missing = join(dir, 'gone.csv');
  server.serveJob(asJobId('job-1'), served(missing));
  await t.rejects(fetch(executor, 'job-1', missing, 0, 4), { code: 'E_IO', message: /ENOENT/ });
});

t.test('input-server: a file whose size is not the planned one is refused with E_IO saying it changed', async (t) => {
  const { input, server, executor, log } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  writeFileSync(input, Buffer.concat([CONTENT, Buffer.from('5,50\n')]));
  await t.rejects(fetch(executor, 'job-1', input, 0, 4), {
    code: 'E_IO',
    message: new RegExp(
      `has ${CONTENT.length + 5} bytes now, ${CONTENT.length} when job job-1 was planned \\(was it changed while the job ran\\?\\)`,
    ),
  });
  t.match(log.at('warn').join('\n'), /fetch-range failed/, "the driver's log says why");
  server.serveJob(asJobId('job-2'), served(input));
  t.equal(
    Buffer.from((await fetch(executor, 'job-2', input, 0, 2)).bytes).toString('utf8'),
    'id',
    'a job planned on the new file is served',
  );
});

t.test('input-server: answers nothing once closed', async (t) => {
  const { input, server, executor } = setup(t);
  server.serveJob(asJobId('job-1'), served(input));
  server.close();
  await t.rejects(fetch(executor, 'job-1', input, 0, 4), { message: /no responders/ }, 'nobody listens on the fetch subject');
});

t.test('input-server: serves every file of a multi-file job, and no other file of their folder', async (t) => {
  const { dir, input, other, server, executor } = setup(t);
  const second = join(dir, 'part-2.csv');
  writeFileSync(second, 'id,amount\n9,90\n');
  server.serveJob(asJobId('job-1'), served(input, second));
  t.same(Buffer.from((await fetch(executor, 'job-1', input, 0, 2)).bytes).toString('utf8'), 'id');
  t.same(Buffer.from((await fetch(executor, 'job-1', second, 10, 14)).bytes).toString('utf8'), '9,90');
  await t.rejects(fetch(executor, 'job-1', other, 0, 3), { code: 'E_IO' }, 'a file of the same folder that is not in the plan');
  server.serveJob(asJobId('job-1'), served(input));
  t.same(
    Buffer.from((await fetch(executor, 'job-1', second, 10, 14)).bytes).toString('utf8'),
    '9,90',
    'a later plan version keeps earlier files',
  );
});

t.test(
  'input-server: a range is read straight into frames of max_payload, byte-identical; fetchRange refuses a range past the end',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'input-server-frames-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const big = join(dir, 'big.csv');
    const content = Buffer.from(Array.from({ length: 4000 }, (_, i) => `${i},${(i * 7919) % 1000}\n`).join(''), 'utf8');
    writeFileSync(big, content);
    // A 256-byte max_payload: a range of tens of KiB crosses as hundreds of frames.
    const bus = new InProcessBus(256);
    const driver = bus.connect({ log: silentTransportLog });
    const executor = bus.connect({ log: silentTransportLog });
    const server = new InputServer(driver, subjects(), DRIVER, new RecordingLogger());
    t.teardown(() => server.close());
    server.serveJob(asJobId('job-1'), served(big));
    const req: FetchRange = {
      type: 'fetch-range',
      version: PROTOCOL_VERSION,
      jobId: 'job-1',
      file: big,
      start: 5,
      end: content.length - 3,
    };
    const into = new Uint8Array(req.end - req.start);
    await executor.fetchRange(subjects().fetchRange(DRIVER), req, into, { timeoutMs: 5000 });
    t.ok(Buffer.from(into).equals(content.subarray(5, content.length - 3)), 'identical bytes');
    t.equal(server.bytesServed, into.length);
    const past = { ...req, end: content.length + 10 };
    await t.rejects(executor.fetchRange(subjects().fetchRange(DRIVER), past, new Uint8Array(past.end - past.start), { timeoutMs: 5000 }), {
      code: 'E_BAD_MESSAGE',
      message: /sent \d+ bytes \(\d+ expected\)/,
    });
  },
);
