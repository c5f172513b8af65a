/**
 * The history server's incremental index over real files and a real server over HTTP: a log
 * that grows (a torn last line included) shows its new state in the run list, its run page and
 * its live SSE stream; a deleted log leaves; a truncated or replaced log is read again from the
 * start; an unchanged log is never opened again — neither by later refreshes nor by a restarted
 * server, which reads the index file `.kindling-history-index.json` instead; a garbage index
 * file is ignored; and the replay cache of run pages stays within its bound.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { appendFileSync, existsSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HistoryServer } from '@kindling/coordinator';
import { cliMain } from '../harness/paths.js';

const line = (o: object): string => `${JSON.stringify(o)}\n`;

/** A valid log's first part: header (this process as the writer, so it is RUNNING), job start, one finished stage. */
function head(runId: string, name = 'bank-lr', ts = 1_700_000_000_000): string {
  return [
    line({
      event: 'log-header',
      ts,
      format: 1,
      runId,
      name,
      master: 'local[2]',
      conf: {},
      spec: { name, model: { maxIter: 4 } },
      versions: { kindling: '0.0.0-test' },
      pid: process.pid,
    }),
    line({ event: 'job-started', ts: ts + 1, jobId: `job-${runId}`, name, partitions: 2 }),
    line({ event: 'stage-submitted', ts: ts + 2, stageId: 0, name: 'scan', tasks: 2 }),
    line({ event: 'task-completed', ts: ts + 3, stageId: 0, partition: 0, attempt: 0, executorId: 'driver', queuedMs: 1, runMs: 5 }),
    line({ event: 'task-completed', ts: ts + 4, stageId: 0, partition: 1, attempt: 0, executorId: 'driver', queuedMs: 1, runMs: 6 }),
    line({ event: 'stage-completed', ts: ts + 5, stageId: 0, durationMs: 3 }),
  ].join('');
}

/** The rest of a successful run: iterations, the end and the result with test metrics. */
function rest(auc: number, ts = 1_700_000_000_100): string {
  return [
    line({ event: 'iteration', ts, iteration: 1, loss: 0.6 }),
    line({ event: 'iteration', ts: ts + 1, iteration: 2, loss: 0.5 }),
    line({ event: 'job-completed', ts: ts + 2 }),
    line({
      event: 'job-result',
      ts: ts + 3,
      metrics: {
        test: {
          areaUnderROC: auc,
          accuracy: 0.75,
          logLoss: 0.5,
          roc: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
      },
    }),
  ].join('');
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

const statusIn = (body: string, id: string): string | undefined => new RegExp(`data-run="${id}" class="run-([A-Z]+)"`).exec(body)?.[1];

t.test('a growing log shows its new state: run list, run page, REST and the live SSE stream; a torn line waits', async (t) => {
  const dir = t.testdir({});
  writeFileSync(join(dir, 'live.jsonl'), head('live'));
  writeFileSync(join(dir, 'done.jsonl'), head('done') + rest(0.8));
  const server = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000 });
  t.teardown(() => server.close());

  const list1 = await get(server.url);
  t.equal(statusIn(list1.body, 'live'), 'RUNNING');
  t.equal(statusIn(list1.body, 'done'), 'SUCCEEDED');
  t.match((await get(`${server.url}run/live/?page=jobs`)).body, /RUNNING/);
  t.equal(server.cache.stats.replays, 1, 'the run page replayed its log once');

  // A live page's SSE stream, opened before the log grows.
  const updates: string[] = [];
  const sse = request(`${server.url}run/live/events`);
  const gotDone = new Promise<void>((resolve) => {
    sse.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        updates.push(d);
        if (d.includes('event: done')) resolve();
      });
    });
  });
  sse.end();
  t.teardown(() => sse.destroy());
  while (!updates.join('').includes('event: update')) await new Promise((r) => setTimeout(r, 10));

  // The writer is mid-line: the torn line is neither damage nor lost.
  const more = rest(0.9);
  const cut = more.indexOf('"job-completed"') + 5;
  appendFileSync(join(dir, 'live.jsonl'), more.slice(0, cut));
  await server.index.refresh();
  const list2 = await get(server.url);
  t.equal(statusIn(list2.body, 'live'), 'RUNNING', 'a torn last line is not read yet');
  t.notOk(server.index.runs.get('live')!.damage.length, 'and is not damage');

  appendFileSync(join(dir, 'live.jsonl'), more.slice(cut));
  await server.index.refresh();
  const list3 = await get(`${server.url}?metrics=areaUnderROC`);
  t.equal(statusIn(list3.body, 'live'), 'SUCCEEDED', 'the grown log shows the new state');
  t.match(list3.body, /data-metric="areaUnderROC">0\.9000</, 'with the metrics of its result');
  t.notOk(server.index.runs.get('live')!.damage.length, 'the line completed later parses whole');
  await gotDone;
  t.match(updates.join(''), /"status":"SUCCEEDED"/, 'the live page was told over SSE, without a request of its own');
  t.equal(server.cache.stats.replays, 1, 'the cached replay was read on, not replayed');
  t.ok(server.cache.stats.tails >= 1);
  const jobs = JSON.parse((await get(`${server.url}api/v1/applications/live/jobs`)).body) as Array<{ status: string }>;
  t.equal(jobs[0]!.status, 'SUCCEEDED', 'the REST API of the run sees the new state');
  const apps = JSON.parse((await get(`${server.url}api/v1/applications`)).body) as Array<{
    id: string;
    attempts: Array<{ completed: boolean }>;
  }>;
  t.same(apps.map((a) => [a.id, a.attempts[0]!.completed]).sort(), [
    ['job-done', true],
    ['job-live', true],
  ]);
});

t.test('a deleted log leaves the list; a truncated or replaced log is read again from the start', async (t) => {
  const dir = t.testdir({});
  writeFileSync(join(dir, 'a.jsonl'), head('a') + rest(0.81));
  writeFileSync(join(dir, 'b.jsonl'), head('b') + rest(0.82));
  writeFileSync(join(dir, 'c.jsonl'), head('c') + rest(0.83));
  const server = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000 });
  t.teardown(() => server.close());
  t.equal((await get(`${server.url}run/a/?page=jobs`)).status, 200);

  unlinkSync(join(dir, 'a.jsonl'));
  await server.index.refresh();
  const list = await get(server.url);
  t.equal(statusIn(list.body, 'a'), undefined, 'the deleted log is not listed');
  t.match(list.body, /Runs \(2\)/);
  t.equal((await get(`${server.url}run/a/`)).status, 404, 'nor served');
  t.equal(server.cache.size, 0, 'and its replay is dropped');

  // Truncated (a log rotated or cut back): what is left is the run.
  const fromStart = server.index.stats.readsFromStart;
  truncateSync(join(dir, 'b.jsonl'), Buffer.byteLength(head('b')));
  await server.index.refresh();
  t.equal(statusIn((await get(server.url)).body, 'b'), 'RUNNING', 'the truncated log shows what it holds now');
  t.equal(server.index.stats.readsFromStart, fromStart + 1, 'read again from the start');

  // Replaced in place by a longer log of another run (same inode, more bytes): not appended to the old one.
  writeFileSync(
    join(dir, 'c.jsonl'),
    head('c', 'replacement', 1_700_000_900_000) +
      rest(0.99, 1_700_000_900_100) +
      line({ event: 'iteration', ts: 1, iteration: 3, loss: 0.4 }),
  );
  await server.index.refresh();
  const after = await get(`${server.url}?metrics=areaUnderROC`);
  t.match(after.body, /<td>replacement<\/td>/, 'the replacement is read');
  t.match(after.body, /data-metric="areaUnderROC">0\.9900</);
  t.equal(server.index.stats.readsFromStart, fromStart + 2, 'from the start');
  t.notOk(server.index.runs.get('c')!.damage.length, 'no half-old, half-new lines');
});

t.test('an unchanged log is never read again: not by refreshes, not by a restarted server (the index file)', async (t) => {
  const dir = t.testdir({});
  for (const id of ['r1', 'r2', 'r3']) writeFileSync(join(dir, `${id}.jsonl`), head(id) + rest(0.7));
  writeFileSync(join(dir, 'grow.jsonl'), head('grow'));
  const server = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000 });
  const first = await get(server.url);
  t.same(
    ['r1', 'r2', 'r3', 'grow'].map((id) => server.index.readsOf(id)),
    [1, 1, 1, 1],
    'each log read once to index it',
  );
  const indexFile = join(dir, '.kindling-history-index.json');
  t.ok(existsSync(indexFile), 'the index is written beside the logs');
  t.equal(statusIn(first.body, '.kindling-history-index'), undefined, 'and is not a run');

  for (let i = 0; i < 3; i++) await server.index.refresh();
  await get(server.url);
  t.same(
    ['r1', 'r2', 'r3', 'grow'].map((id) => server.index.readsOf(id)),
    [1, 1, 1, 1],
    'refreshes open no unchanged log',
  );

  const bytes = server.index.stats.bytesRead;
  const added = rest(0.95);
  appendFileSync(join(dir, 'grow.jsonl'), added);
  await server.index.refresh();
  t.same(
    ['r1', 'r2', 'r3', 'grow'].map((id) => server.index.readsOf(id)),
    [1, 1, 1, 2],
    'only the grown log is read',
  );
  t.equal(server.index.stats.bytesRead - bytes, Buffer.byteLength(added), 'and only its new bytes');
  const before = await get(`${server.url}?metrics=areaUnderROC`);
  await server.close();

  const again = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000 });
  t.teardown(() => again.close());
  const listed = await get(`${again.url}?metrics=areaUnderROC`);
  t.equal(again.index.stats.bytesRead, 0, 'a restarted server reads no log');
  t.same(
    ['r1', 'r2', 'r3', 'grow'].map((id) => again.index.readsOf(id)),
    [0, 0, 0, 0],
  );
  t.equal(listed.body, before.body, 'and lists the same runs, statuses and metrics');
  const saved = JSON.parse(readFileSync(indexFile, 'utf8')) as {
    format: number;
    runs: Array<{ name: string; offset: number; size: number }>;
  };
  t.equal(saved.format, 1);
  t.same(saved.runs.map((r) => r.name).sort(), ['grow.jsonl', 'r1.jsonl', 'r2.jsonl', 'r3.jsonl']);
  t.ok(
    saved.runs.every((r) => r.offset === r.size),
    'every log read to its end',
  );
  await again.close();

  // A garbage index file is not trusted: every log is read again.
  writeFileSync(indexFile, '{"format":1,"runs":[{"name":"r1.jsonl","ino":"x"}');
  const third = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000 });
  t.teardown(() => third.close());
  t.same(
    ['r1', 'r2', 'r3', 'grow'].map((id) => third.index.readsOf(id)),
    [1, 1, 1, 1],
    'a garbage index: every log read once',
  );
  t.equal((await get(`${third.url}?metrics=areaUnderROC`)).body, before.body);
  JSON.parse(readFileSync(indexFile, 'utf8'));
  t.pass('and a valid index written over it');
});

t.test('the replay cache of run pages is bounded; a recently viewed run is answered without reading', async (t) => {
  const dir = t.testdir({});
  const ids = Array.from({ length: 14 }, (_, i) => `run${String(i).padStart(2, '0')}`);
  for (const id of ids) writeFileSync(join(dir, `${id}.jsonl`), head(id) + rest(0.6));
  const server = await HistoryServer.start({ dir, port: 0, refreshMs: 3_600_000, cacheEntries: 10 });
  t.teardown(() => server.close());
  for (const id of ids) t.equal((await get(`${server.url}run/${id}/?page=stages`)).status, 200);
  t.equal(server.cache.size, 10, 'at most 10 replays kept');
  const read = server.cache.stats.bytesRead;
  t.equal((await get(`${server.url}run/${ids.at(-1)}/?page=jobs`)).status, 200);
  t.equal(server.cache.stats.bytesRead, read, 'the last run viewed is served from the cache');
  t.equal((await get(`${server.url}compare?runs=${ids.slice(0, 2).join(',')}`)).status, 200);
  t.ok(server.cache.stats.bytesRead > read, 'evicted runs are replayed again when asked for');
  t.equal(server.cache.size, 10);
});

t.test('kindling history: writes the index file, not with --no-index-file; one it cannot write is a warning', async (t) => {
  const serve = async (dir: string, extra: string[]): Promise<{ stderr: string; code: number | null }> => {
    const child = spawn(process.execPath, [cliMain, 'history', '--dir', dir, '--port', '0', ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exit = new Promise<number | null>((r) => child.once('exit', r));
    while (!/History: (http\S+)/.test(stderr)) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const url = /History: (http\S+)/.exec(stderr)?.[1];
    if (url) t.equal(statusIn((await get(url)).body, 'a'), 'SUCCEEDED', 'serves the run');
    child.kill('SIGTERM');
    return { stderr, code: await exit };
  };
  const withIndex = t.testdir({ 'a.jsonl': head('a') + rest(0.8) });
  t.equal((await serve(withIndex, [])).code, 0);
  t.ok(existsSync(join(withIndex, '.kindling-history-index.json')), 'the index file is written');

  const without = join(t.testdir({ d: { 'a.jsonl': head('a') + rest(0.8) } }), 'd');
  t.equal((await serve(without, ['--no-index-file'])).code, 0);
  t.notOk(existsSync(join(without, '.kindling-history-index.json')), '--no-index-file writes none');

  // A directory where the index file would go: the rename cannot replace it, as in a read-only folder.
  const blocked = join(t.testdir({ d: { 'a.jsonl': head('a') + rest(0.8), '.kindling-history-index.json': {} } }), 'd');
  const r = await serve(blocked, []);
  t.equal(r.code, 0, 'still serves');
  t.match(r.stderr, /kindling: warning: cannot write .*\.kindling-history-index\.json: E\w+; the index is kept in memory only/);
});
