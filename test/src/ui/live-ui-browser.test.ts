/// <reference lib="dom" />
/**
 * The live UI in a real headless Chromium, of a real `kindling submit` on a local cluster (a
 * nats-server and 2 executor processes): the stage table advances, both executors show, the
 * loss chart gains points over SSE while L-BFGS runs, an executor killed with SIGKILL shows
 * lost with its failed attempts, and after the job the evaluation matches metrics.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readEventLog } from '@kindling/coordinator';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';
import { launchBrowser } from './browser.js';

t.test('live UI: a cluster job watched in Chromium, with an executor killed mid-training', async (t) => {
  const dir = t.testdir({});
  const history = join(dir, 'history');
  const out = join(dir, 'out');
  // Big enough that training outlasts the browser's first looks on a quiet machine too:
  // 1M bank-like rows, up to 100 iterations (it converges in about 45).
  const data = join(dir, 'bank-1m.csv');
  execFileSync(process.execPath, [join(repoRoot, 'scripts/gen-bank-like.mjs'), '--rows', '1000000', '--out', data]);
  const cluster = await LocalCluster.start(2, { cores: 1 });
  t.teardown(() => cluster.stop());
  // The browser and its three tabs are ready before the job starts: on a fast run, training
  // can be over within the seconds a browser takes to start on a loaded machine.
  const { browser, close } = await launchBrowser();
  t.teardown(close);
  const [stages, model, execs] = await Promise.all([browser.newPage(), browser.newPage(), browser.newPage()]);
  const cli = spawn(
    process.execPath,
    [
      cliMain,
      'submit',
      '--master',
      cluster.url,
      bankJob,
      '--output',
      out,
      '--history-dir',
      history,
      '--ui-port',
      '0',
      '--ui-linger',
      '120',
      '--conf',
      `input.path=${data}`,
      '--conf',
      'model.maxIter=100',
      '--conf',
      'model.tol=0',
      '--no-progress',
      '--log-level',
      'info',
      '--json',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  cli.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
  t.teardown(() => {
    if (cli.exitCode === null) cli.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /UI: (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`submit exited before printing the UI URL: ${stderr}`)));
  });
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'binds loopback by default');

  // All three tabs open at once, before training starts, so each sees the run change live.
  await Promise.all([stages.goto(`${url}?page=stages`), model.goto(`${url}?page=model`), execs.goto(`${url}?page=executors`)]);
  const running = async (p: typeof model): Promise<boolean> => (await p.locator('#run-status').textContent()) === 'RUNNING';
  // The model page records every loss-chart point count it shows while the run is RUNNING,
  // from the moment it opens: training can be over before the stage checks below are done.
  await model.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { lossCounts: number[] }).lossCounts = seen;
    setInterval(() => {
      const c = Number(document.querySelector('#loss-chart')?.getAttribute('data-count'));
      if (c > 0 && document.querySelector('#run-status')?.textContent === 'RUNNING' && seen[seen.length - 1] !== c) seen.push(c);
    }, 10);
  });

  // A wait that times out says what the job was doing: the tail of submit's log.
  const orLog = async <T>(what: string, wait: Promise<T>): Promise<T> => {
    try {
      return await wait;
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}\n--- submit's stderr, last 4000 characters ---\n${stderr.slice(-4000)}`);
    }
  };

  // Stages: the table grows while the job runs, without reloading the page. Like the loss
  // chart, the page records each row count it shows while the run is RUNNING.
  await stages.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { rowCounts: number[] }).rowCounts = seen;
    setInterval(() => {
      const c = document.querySelectorAll('#stages-table tbody tr').length;
      if (c > 0 && document.querySelector('#run-status')?.textContent === 'RUNNING' && seen[seen.length - 1] !== c) seen.push(c);
    }, 10);
  });
  await orLog(
    'the stage table growing',
    stages.waitForFunction(() => (window as unknown as { rowCounts: number[] }).rowCounts.length >= 2, undefined, { timeout: 60_000 }),
  );
  const rows = await stages.evaluate(() => [...(window as unknown as { rowCounts: number[] }).rowCounts]);
  t.ok(rows[1]! > rows[0]!, `the stage table advanced from ${rows[0]} to ${rows[1]} rows over SSE`);

  // Model: the loss chart gains points while training runs.
  await model.waitForFunction(() => (window as unknown as { lossCounts: number[] }).lossCounts.length >= 2, undefined, { timeout: 60_000 });
  const counts = await model.evaluate(() => [...(window as unknown as { lossCounts: number[] }).lossCounts]);
  t.ok(counts[1]! > counts[0]!, `the loss chart grew from ${counts[0]} to ${counts[1]} points while training ran`);

  // Executors: both show; kill one during training and it shows lost, with its failed attempts.
  await execs.waitForFunction(() => document.querySelectorAll('#executors-table tbody tr').length === 2, undefined, { timeout: 30_000 });
  t.same(
    (await execs.locator('#executors-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-executor')))).sort(),
    ['executor-0', 'executor-1'],
  );
  t.ok(await running(execs), 'the kill comes while the job runs');
  const victim = cluster.executors.get('executor-1')!;
  victim.child.kill('SIGKILL');
  await execs.waitForSelector('tr[data-executor="executor-1"].executor-lost', { timeout: 60_000 });
  t.pass('the killed executor shows as lost');

  // After the job: the evaluation in the page matches metrics.json.
  await model.waitForSelector('#confusion-matrix', { timeout: 120_000 });
  const result = JSON.parse(stdout) as { outputPath: string };
  const metrics = JSON.parse(readFileSync(join(result.outputPath, 'metrics.json'), 'utf8')) as {
    test: { areaUnderROC: number; confusion: Record<string, number> };
  };
  for (const k of ['tp', 'fp', 'tn', 'fn'])
    t.equal(
      Number(await model.locator(`#confusion-matrix .cm-${k}`).textContent()),
      metrics.test.confusion[k],
      `confusion ${k} as in metrics.json`,
    );
  t.match(
    await model.locator('#roc-chart figcaption').textContent(),
    metrics.test.areaUnderROC.toPrecision(4),
    'ROC caption shows the AUC of metrics.json',
  );
  const rocPoints = JSON.parse((await model.locator('#roc-chart svg').getAttribute('data-points'))!) as number[][][];
  const log = await readEventLog(join(result.outputPath, 'eventlog.jsonl'));
  const final = log.records.find((r) => r.event === 'job-result')!;
  const roc = (final['metrics'] as { test: { roc: Array<{ fpr: number; tpr: number; threshold?: number }> } }).test.roc;
  t.same(
    rocPoints[0],
    // Interior points carry their score threshold, which the cursor readout shows.
    roc.map((p) => (p.threshold === undefined ? [p.fpr, p.tpr] : [p.fpr, p.tpr, p.threshold])),
    "the ROC chart plots the job's ROC curve",
  );
  // PR: the chart plots the job's PR curve, and the readout under the cursor names the threshold.
  const pr = (final['metrics'] as { test: { pr: Array<{ recall: number; precision: number; threshold?: number }> } }).test.pr;
  const prPoints = JSON.parse((await model.locator('#pr-chart svg').getAttribute('data-points'))!) as number[][][];
  t.same(
    prPoints[0],
    pr.map((p) => (p.threshold === undefined ? [p.recall, p.precision] : [p.recall, p.precision, p.threshold])),
    "the PR chart plots the job's PR curve",
  );
  // hover() scrolls the chart into view and moves the mouse to its centre.
  await model.locator('#pr-chart svg').hover();
  await model.waitForFunction(() => (document.querySelector('#pr-chart svg .readout')?.textContent ?? '') !== '', undefined, {
    timeout: 10_000,
  });
  const readout = (await model.locator('#pr-chart svg .readout').textContent()) ?? '';
  const shown = /threshold ([\d.e+-]+)/.exec(readout)?.[1];
  t.ok(
    shown !== undefined && pr.some((p) => p.threshold !== undefined && p.threshold.toPrecision(4) === shown),
    `the PR readout shows a threshold of the curve (${readout})`,
  );
  const failures = log.records.filter((r) => r.event === 'task-failed' && r['executorId'] === 'executor-1').length;
  await execs.reload();
  t.equal(
    await execs.locator('#failed-tasks tbody tr').count(),
    log.records.filter((r) => r.event === 'task-failed').length,
    `the failed attempts are listed (${failures} on the victim)`,
  );
  t.ok(
    log.records.some((r) => r.event === 'executor-removed' && r['executorId'] === 'executor-1' && r['lost'] === true),
    'the event log records the loss',
  );

  // Storage: the lost executor's partitions were rebuilt on the survivor, which holds them all.
  await execs.goto(`${url}?page=storage`);
  t.equal(
    await execs.locator('#storage-executors tr[data-executor="executor-1"]').count(),
    0,
    'the lost executor holds no cached partitions',
  );
  t.match(
    await execs.locator('#storage-table tr[data-dataset="train"] td').nth(2).textContent(),
    /^(\d+) \/ \1$/,
    'every train partition is cached again after the loss',
  );
  // Executors: CPU from the real executors' heartbeats, one series per executor.
  await execs.goto(`${url}?page=executors`);
  const cpuSeries = JSON.parse((await execs.locator('#cpu-chart svg').getAttribute('data-points'))!) as number[][][];
  t.ok(
    cpuSeries.length >= 1 && cpuSeries.every((pts) => pts.every(([, c]) => c! >= 0 && c! < 64)),
    `CPU series charted (${cpuSeries.length})`,
  );

  mkdirSync(join(repoRoot, 'docs/images'), { recursive: true });
  await model.setViewportSize({ width: 1280, height: 1300 });
  await model.screenshot({ path: join(repoRoot, 'docs/images/ui-model.png'), fullPage: false });
  await execs.screenshot({ path: join(repoRoot, 'docs/images/ui-executors.png') });
  cli.kill('SIGTERM');
  t.equal(await exited, 0, 'submit exits 0 when its lingering UI is stopped');
});
