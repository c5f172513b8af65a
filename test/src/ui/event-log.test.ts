/**
 * Event log: what the writer appends, what the reader makes of it — whole, incrementally,
 * truncated by a real `kill -9`, or with garbage lines — and the read model replayed from it.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EventBus, EventLogParser, EventLogWriter, StatusStore, readEventLog, type JobResult } from '@kindling/coordinator';
import { repoRoot } from '../harness/paths.js';

const header = { name: 'unit <run>', spec: { model: { maxIter: 3 } }, master: 'local[2]', conf: { 'model.maxIter': '3' } };

t.test('event log: header, every event with a timestamp, final record; typed arrays become numbers', async (t) => {
  const dir = t.testdir({});
  const events = new EventBus();
  const w = EventLogWriter.open(join(dir, 'history'), header).attach(events);
  events.emit('job-started', { jobId: 'j1', name: 'unit', partitions: 2, executors: 1 });
  events.emit('stage-submitted', { stageId: 0, name: 'load', tasks: 2 });
  events.emit('task-completed', { stageId: 0, partition: 0, attempt: 0, executorId: 'e0', queuedMs: 3, runMs: 10 });
  events.emit('task-failed', {
    stageId: 0,
    partition: 1,
    attempt: 0,
    executorId: 'e0',
    code: 'E_EXECUTOR_LOST',
    message: 'gone',
    willRetry: true,
    queuedMs: 1,
    runMs: 2,
  });
  events.emit('task-completed', { stageId: 0, partition: 1, attempt: 1, executorId: 'e1', queuedMs: 5, runMs: 30 });
  events.emit('stage-completed', { stageId: 0, name: 'load', durationMs: 40, tasks: 2 });
  events.emit('iteration', { iteration: 1, loss: 0.5, gradNorm: 0.1 });
  events.emit('job-completed', { jobId: 'j1', durationMs: 50 });
  const result = {
    jobId: 'j1',
    outputPath: dir,
    trainRows: 7,
    testRows: 3,
    metrics: { train: {}, test: { areaUnderROC: 0.9 } },
    coefficients: new Float64Array([1.5, -2]),
    intercept: 0.25,
    featureNames: ['a', 'b'],
    objectiveHistory: [0.7, 0.5],
    tasksByExecutor: { e0: 1, e1: 1 },
    durationMs: 50,
  } as unknown as JobResult;
  w.finishWith(result);
  const copy = w.copyInto(dir);
  w.close();
  events.emit('iteration', { iteration: 2, loss: 0.4 });

  const log = await readEventLog(w.path);
  t.same(log.damage, [], 'no damage');
  t.equal(log.truncated, false);
  t.same(
    log.records.map((r) => r.event),
    [
      'log-header',
      'job-started',
      'stage-submitted',
      'task-completed',
      'task-failed',
      'task-completed',
      'stage-completed',
      'iteration',
      'job-completed',
      'job-result',
    ],
    'every event once, in order; nothing after close',
  );
  t.ok(
    log.records.every((r) => typeof r.ts === 'number'),
    'each record has a timestamp',
  );
  t.match(log.records[0], {
    format: 1,
    name: 'unit <run>',
    master: 'local[2]',
    conf: { 'model.maxIter': '3' },
    spec: { model: { maxIter: 3 } },
    versions: { node: process.version },
  });
  t.same(log.records.at(-1)!['coefficients'], [
    { name: 'a', value: 1.5 },
    { name: 'b', value: -2 },
  ]);
  t.equal(readFileSync(copy, 'utf8'), readFileSync(w.path, 'utf8'), 'the output folder gets the same log');

  const store = new StatusStore();
  for (const r of log.records) store.apply(r);
  t.equal(store.status, 'SUCCEEDED');
  t.equal(store.stages.get(0)!.tasks.length, 3);
  t.same(
    store.failedTasks().map((x) => [x.partition, x.executorId]),
    [[1, 'e0']],
  );
  t.same(store.taskQuantiles(0)!.runMs, [10, 15, 20, 25, 30], 'quantiles over the successful attempts, interpolated');
  t.same(store.iterations, [{ iteration: 1, loss: 0.5, gradNorm: 0.1 }]);
});

t.test('event log reader: a truncated last line is not damage; garbage lines are, with their line numbers', async (t) => {
  const dir = t.testdir({});
  const ok = join(dir, 'ok.jsonl');
  writeFileSync(
    ok,
    '{"event":"log-header","ts":1}\n{"event":"stage-submitted","ts":2,"stageId":0,"name":"s","tasks":1}\n{"event":"task-comp',
  );
  const a = await readEventLog(ok);
  t.equal(a.records.length, 2);
  t.equal(a.truncated, true);
  t.same(a.damage, []);

  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"event":"log-header","ts":1}\nnot json at all\n[1,2]\n{"ts":3}\n{"event":"job-completed","ts":4}\n');
  const b = await readEventLog(bad);
  t.same(
    b.records.map((r) => r.event),
    ['log-header', 'job-completed'],
    'good lines are still read',
  );
  t.same(
    b.damage.map((d) => d.line),
    [2, 3, 4],
  );
  t.match(b.damage[0]!.message, /not JSON/);
  t.match(b.damage[1]!.message, /not an event record/);
  await t.rejects(readEventLog(join(dir, 'missing.jsonl')), { code: 'E_IO', message: /missing\.jsonl/ });
});

t.test('event log parser: any chunking gives the same records, multi-byte characters included', async (t) => {
  const text = '{"event":"a","name":"é→ü"}\n{"event":"b"}\n{"event":"c","x":[1,2,3]}\n';
  const whole = new EventLogParser().push(text);
  const p = new EventLogParser();
  const pieces = [...text].flatMap((ch) => p.push(ch));
  t.same(pieces, whole);
  t.equal(whole.length, 3);
  t.equal(p.lines, 3);
});

t.test('event log: a writer killed with SIGKILL leaves a readable log; the replay shows the run incomplete', async (t) => {
  const dir = t.testdir({});
  const script = `
    import { EventBus, EventLogWriter } from '@kindling/coordinator';
    const events = new EventBus();
    const w = EventLogWriter.open(${JSON.stringify(dir)}, { name: 'killed', spec: {}, master: 'local', conf: {} }).attach(events);
    events.emit('job-started', { jobId: 'k', name: 'killed', partitions: 1, executors: 1 });
    events.emit('stage-submitted', { stageId: 0, name: 'gradient 1', tasks: 1000000 });
    let i = 0;
    setInterval(() => { for (let k = 0; k < 50; k++) events.emit('task-completed', { stageId: 0, partition: i++, attempt: 0, executorId: 'e', queuedMs: 1, runMs: 2 }); }, 1);
    process.stdout.write(w.path + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(repoRoot, 'test'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const path = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  // Wait for real progress, then kill without warning.
  for (;;) {
    if ((await readEventLog(path)).records.length > 500) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const log = await readEventLog(path);
  t.same(log.damage, [], 'no damaged line: each record is one write');
  t.ok(log.records.length > 500);
  const store = new StatusStore();
  for (const r of log.records) store.apply(r);
  t.equal(store.status, 'RUNNING', 'no final record');
  store.markIncomplete();
  t.equal(store.status, 'INCOMPLETE');
});
