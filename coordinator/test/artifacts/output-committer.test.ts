import { promises as fsp } from 'node:fs';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { KindlingError, OutputError } from '@kindling/shared';
import { OutputCommitter } from '../../src/artifacts/output-committer.js';

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

/** Resolves to what `promise` rejects with (fails the test when it resolves). */
async function rejection(t: TapTest, promise: Promise<unknown>): Promise<KindlingError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err, 'rejects');
  return err as KindlingError;
}

t.test('output-committer: a committed job leaves the final folder with _SUCCESS and nothing staged', async (t) => {
  const parent = t.testdir({});
  const out = path.join(parent, 'out');
  const c = await OutputCommitter.begin(out, 'error');
  t.equal(path.dirname(c.stagingPath), parent, 'staging sits beside the final folder');
  t.match(path.basename(c.stagingPath), /^\.out\.staging-\d+-[0-9a-f]+$/);
  mkdirSync(path.dirname(c.path('model/data/x.txt')), { recursive: true });
  writeFileSync(c.path('model/data/x.txt'), 'hello');
  await c.writeJsonAtomic('metrics.json', { auc: 0.9, n: 3 });
  await c.writeJson('nested/run.json', { ok: true });
  t.notOk(existsSync(out), 'nothing at the final path before commit');

  await c.commit();
  t.same(readdirSync(parent), ['out'], 'no staging or temporary folders left');
  t.same(readdirSync(out).sort(), ['_SUCCESS', 'metrics.json', 'model', 'nested']);
  t.same(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')), { auc: 0.9, n: 3 });
  t.same(JSON.parse(readFileSync(path.join(out, 'nested/run.json'), 'utf8')), { ok: true });
  t.equal(readFileSync(path.join(out, 'model/data/x.txt'), 'utf8'), 'hello');
  t.same(readdirSync(path.join(out, 'nested')), ['run.json'], 'no temporary JSON files left');
  await c.abort(); // a no-op once committed
  t.ok(existsSync(path.join(out, '_SUCCESS')), 'abort after commit keeps the output');
});

t.test('output-committer: abort removes the staging folder and leaves no output', async (t) => {
  const parent = t.testdir({});
  const c = await OutputCommitter.begin(path.join(parent, 'out'), 'overwrite');
  writeFileSync(c.path('part.txt'), 'partial');
  await c.abort();
  await c.abort();
  t.same(readdirSync(parent), [], 'nothing left behind');
  const err = await rejection(t, c.commit());
  t.equal(err.code, 'E_INTERNAL', 'commit after abort is refused');
  t.same(readdirSync(parent), []);
});

t.test("output-committer: 'error' mode refuses an existing folder before any work", async (t) => {
  const parent = t.testdir({ out: { 'old.txt': 'keep me' } });
  const out = path.join(parent, 'out');
  const err = (await rejection(t, OutputCommitter.begin(out, 'error'))) as OutputError;
  t.equal(err.code, 'E_OUTPUT');
  t.equal(err.name, 'OutputError');
  t.equal(err.path, out);
  t.match(err.message, `output folder ${out} already exists; use output.mode: overwrite or --overwrite`);
  t.same(readdirSync(parent), ['out'], 'no staging folder was created');
  t.equal(readFileSync(path.join(out, 'old.txt'), 'utf8'), 'keep me');
});

t.test("output-committer: 'error' mode refuses a folder that appears while the job runs", async (t) => {
  const parent = t.testdir({});
  const out = path.join(parent, 'out');
  const c = await OutputCommitter.begin(out, 'error');
  writeFileSync(c.path('new.txt'), 'new');
  mkdirSync(out); // an empty folder: rename(2) would replace it silently
  const err = await rejection(t, c.commit());
  t.equal(err.code, 'E_OUTPUT');
  await c.abort();
  t.same(readdirSync(out), [], 'the other folder is untouched');
  t.same(readdirSync(parent), ['out']);
});

t.test("output-committer: 'overwrite' replaces an existing folder and removes the old one", async (t) => {
  const parent = t.testdir({ out: { 'old.txt': 'old', _SUCCESS: '' } });
  const out = path.join(parent, 'out');
  const c = await OutputCommitter.begin(out, 'overwrite');
  writeFileSync(c.path('new.txt'), 'new');
  t.same(readdirSync(out).sort(), ['_SUCCESS', 'old.txt'], 'the old output stays until commit');
  await c.commit();
  t.same(readdirSync(out).sort(), ['_SUCCESS', 'new.txt']);
  t.same(readdirSync(parent), ['out'], 'old copy and staging are gone');
});

t.test("output-committer: 'overwrite' keeps the old folder in place when the swap fails", async (t) => {
  const parent = t.testdir({ out: { 'old.txt': 'old' } });
  const out = path.join(parent, 'out');
  const c = await OutputCommitter.begin(out, 'overwrite');
  writeFileSync(c.path('new.txt'), 'new');
  const rename = fsp.rename;
  // Fail only the staging → final rename, after the old folder was moved aside.
  fsp.rename = async (from, to) => {
    if (from === c.stagingPath) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
    return rename(from, to);
  };
  let err: KindlingError;
  try {
    err = await rejection(t, c.commit());
  } finally {
    fsp.rename = rename;
  }
  t.equal(err.code, 'E_OUTPUT');
  t.match(err.message, out);
  t.same(readdirSync(out), ['old.txt'], 'the old output is back at the final path');
  await c.abort();
  t.same(readdirSync(parent), ['out'], 'staging removed by abort, no old copy left aside');
});

t.test('output-committer: an unwritable parent gives an OutputError naming the path', async (t) => {
  // Tests run as root, where chmod does not stop writes: a path under a regular file always fails.
  const dir = t.testdir({ 'a-file': 'x' });
  for (const out of [path.join(dir, 'a-file', 'out'), path.join(dir, 'a-file', 'deeper', 'out')]) {
    const err = (await rejection(t, OutputCommitter.begin(out, 'error'))) as OutputError;
    t.equal(err.code, 'E_OUTPUT');
    t.equal(err.path, out);
    t.match(err.message, `cannot create output folder ${out}`);
    t.match(err.message, `its parent ${path.dirname(out)} is not a folder`);
  }
  t.same(readdirSync(dir), ['a-file']);
});

t.test('output-committer: overwrite refuses to replace a regular file', async (t) => {
  const dir = t.testdir({ out: 'not a folder' });
  const err = await rejection(t, OutputCommitter.begin(path.join(dir, 'out'), 'overwrite'));
  t.equal(err.code, 'E_OUTPUT');
  t.match(err.message, /is not a folder/);
  t.equal(readFileSync(path.join(dir, 'out'), 'utf8'), 'not a folder');
});

t.test('output-committer: path() refuses files outside the output folder', async (t) => {
  const dir = t.testdir({});
  const c = await OutputCommitter.begin(path.join(dir, 'out'), 'error');
  t.equal(c.path('model/metadata'), path.join(c.stagingPath, 'model/metadata'));
  t.throws(() => c.path('../escape.txt'), { code: 'E_OUTPUT' });
  t.throws(() => c.path('/etc/passwd'), { code: 'E_OUTPUT' });
  await t.rejects(c.writeJsonAtomic('../x.json', {}), { code: 'E_OUTPUT' });
  await c.abort();
});
