/// <reference lib="dom" />
/**
 * The history server over real runs of `kindling submit` (local mode): two finished runs are
 * listed and compared (curves overlaid, in Chromium), a driver killed with SIGKILL shows as
 * incomplete, a garbage log is marked damaged without hiding the others, Spark's REST field
 * names are there, nothing outside the folder is served, and a bad --dir is a usage error.
 */
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { symlinkSync, writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { HistoryServer } from '@kindling/coordinator';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';
import { launchBrowser } from './browser.js';

const run = promisify(execFile);

function submit(history: string, out: string, maxIter: number): Promise<unknown> {
  return run(
    process.execPath,
    [
      cliMain,
      'submit',
      '--master',
      'local[2]',
      bankJob,
      '--output',
      out,
      '--history-dir',
      history,
      '--no-ui',
      '--conf',
      `model.maxIter=${maxIter}`,
      '--no-progress',
      '--log-level',
      'error',
      '--json',
    ],
    { cwd: repoRoot },
  );
}

/** A raw GET (no URL normalisation, unlike fetch): status and body. */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('history server: runs listed, compared, killed, damaged; Spark field names; nothing outside the folder', async (t) => {
  const dir = t.testdir({});
  const history = join(dir, 'history');
  await submit(history, join(dir, 'out-a'), 4);
  await submit(history, join(dir, 'out-b'), 12);
  const [a, b] = readdirSync(history)
    .map((n) => n.replace(/\.jsonl$/, ''))
    .sort();

  // A driver killed with SIGKILL once its log shows the job under way.
  const victim = spawn(
    process.execPath,
    [
      cliMain,
      'submit',
      '--master',
      'local[1]',
      bankJob,
      '--output',
      join(dir, 'out-k'),
      '--history-dir',
      history,
      '--no-ui',
      '--conf',
      'model.maxIter=100',
      '--conf',
      'model.tol=0',
      '--no-progress',
      '--log-level',
      'error',
    ],
    { cwd: repoRoot, stdio: 'ignore' },
  );
  const victimExit = new Promise((r) => victim.once('exit', r));
  for (;;) {
    const k = readdirSync(history).find((n) => ![a, b].includes(n.replace(/\.jsonl$/, '')));
    if (k && readFileSync(join(history, k), 'utf8').includes('"iteration"')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  victim.kill('SIGKILL');
  await victimExit;
  const killed = readdirSync(history)
    .map((n) => n.replace(/\.jsonl$/, ''))
    .find((n) => ![a, b].includes(n))!;

  writeFileSync(join(history, 'garbage.jsonl'), '{"event":"log-header","ts":1,"name":"garbage"}\nthis is not json\n');
  const outside = join(dir, 'secret.jsonl');
  writeFileSync(outside, '{"event":"log-header","ts":1,"name":"SECRET-OUTSIDE"}\n');
  symlinkSync(outside, join(history, 'evil.jsonl'));

  const server = await HistoryServer.start({ dir: history, port: 0 });
  t.teardown(() => server.close());
  const base = server.url;
  const runs = server.index.list();
  t.same(runs.map((r) => r.runId).sort(), [a, b, 'garbage', killed].sort(), 'the symlink is not a run');
  const status = (id: string): string => {
    const r = server.index.runs.get(id)!;
    return r.damage.length ? 'DAMAGED' : r.status;
  };
  t.equal(status(a!), 'SUCCEEDED');
  t.equal(status(b!), 'SUCCEEDED');
  t.equal(status(killed), 'INCOMPLETE', "the killed driver's run is incomplete");
  t.equal(status('garbage'), 'DAMAGED');

  const killedPage = await fetch(`${base}run/${killed}/?page=jobs`);
  t.equal(killedPage.status, 200, 'an incomplete run is a page, not an error');
  t.match(await killedPage.text(), /INCOMPLETE/);

  // REST: Spark's field names (docs/monitoring.md / api.scala) for what the two have in common.
  const apps = (await (await fetch(`${base}api/v1/applications`)).json()) as Array<{ id: string; name: string; attempts: object[] }>;
  t.equal(apps.length, 4);
  const app = server.index.runs.get(a!)!.summary.jobId!;
  const jobs = (await (await fetch(`${base}api/v1/applications/${app}/jobs`)).json()) as object[];
  t.hasOwnProps(jobs[0]!, [
    'jobId',
    'name',
    'submissionTime',
    'completionTime',
    'stageIds',
    'status',
    'numTasks',
    'numActiveTasks',
    'numCompletedTasks',
    'numSkippedTasks',
    'numFailedTasks',
    'numKilledTasks',
    'numActiveStages',
    'numCompletedStages',
    'numSkippedStages',
    'numFailedStages',
  ]);
  const stages = (await (await fetch(`${base}api/v1/applications/${app}/stages`)).json()) as Array<{ stageId: number }>;
  t.hasOwnProps(stages[0]!, [
    'status',
    'stageId',
    'attemptId',
    'numTasks',
    'numActiveTasks',
    'numCompleteTasks',
    'numFailedTasks',
    'numKilledTasks',
    'submissionTime',
    'completionTime',
    'executorRunTime',
    'name',
  ]);
  const sid = stages.at(-1)!.stageId;
  const summary = (await (await fetch(`${base}api/v1/applications/${app}/stages/${sid}/0/taskSummary?quantiles=0.05,0.5,0.95`)).json()) as {
    quantiles: number[];
    executorRunTime: number[];
  };
  t.hasOwnProps(summary, [
    'quantiles',
    'executorRunTime',
    'executorDeserializeTime',
    'resultSize',
    'jvmGcTime',
    'schedulerDelay',
    'gettingResultTime',
    'resultSerializationTime',
    'peakExecutionMemory',
  ]);
  t.same(summary.quantiles, [0.05, 0.5, 0.95]);
  t.equal(summary.executorRunTime.length, 3);
  const execs = (await (await fetch(`${base}api/v1/applications/${app}/executors`)).json()) as object[];
  t.hasOwnProps(execs[0]!, [
    'id',
    'hostPort',
    'isActive',
    'rddBlocks',
    'memoryUsed',
    'diskUsed',
    'totalCores',
    'maxTasks',
    'activeTasks',
    'failedTasks',
    'completedTasks',
    'totalTasks',
    'totalDuration',
    'addTime',
  ]);
  t.hasOwnProps((await (await fetch(`${base}api/v1/applications/${app}/environment`)).json()) as object, [
    'runtime',
    'sparkProperties',
    'systemProperties',
  ]);

  // Unknown ids: 404 page and JSON error.
  const r404 = await fetch(`${base}run/no-such-run/`);
  t.equal(r404.status, 404);
  t.match(await r404.text(), /no run no-such-run/);
  const s404 = await fetch(`${base}run/${a}/?page=stage&id=9999`);
  t.equal(s404.status, 404);
  const j404 = await fetch(`${base}api/v1/applications/${app}/stages/9999`);
  t.equal(j404.status, 404);
  t.match(await j404.json(), { error: 'not found', message: /9999/ });
  t.equal((await fetch(`${base}api/v1/applications/nope/jobs`)).status, 404);

  // Nothing outside the folder: .., encoded .., absolute paths, the symlink.
  for (const p of [
    '/../../../../etc/passwd',
    '/run/../../etc/passwd',
    '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/run/%2e%2e%2f%2e%2e%2fetc%2fpasswd/',
    '/run/..%2F..%2Fsecret/',
    '//etc/passwd',
    '/run/%2Fetc%2Fpasswd/',
    '/run/evil/',
    `/run/${encodeURIComponent(outside)}/`,
    '/static/..%2f..%2fpackage.json',
  ]) {
    const r = await rawGet(base, p);
    t.equal(r.status, 404, `${p} → 404`);
    t.notMatch(r.body, /root:|SECRET-OUTSIDE|"workspaces"/, `${p} serves nothing outside`);
  }

  // In the browser: the list with chosen metric columns, then the compare view of a and b.
  const { browser, close } = await launchBrowser();
  t.teardown(close);
  const page = await browser.newPage();
  await page.goto(`${base}?metrics=areaUnderROC,f1`);
  t.same(
    await page.locator('#runs-table thead th').evaluateAll((ths) => ths.slice(-2).map((th) => th.textContent)),
    ['areaUnderROC', 'f1'],
    'user-chosen metric columns',
  );
  t.equal(await page.locator(`tr[data-run="${killed}"] td.status-INCOMPLETE`).count(), 1);
  t.equal(await page.locator('tr[data-run="garbage"] td.status-DAMAGED').count(), 1);
  await page.check(`tr[data-run="${a}"] input`);
  await page.check(`tr[data-run="${b}"] input`);
  await Promise.all([page.waitForURL(/compare\?/), page.click('#compare button')]);
  t.same(
    await page.locator('#compare-loss polyline.series').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-label')).sort()),
    [a, b],
    'learning curves overlaid',
  );
  t.equal(await page.locator('#compare-roc polyline.series').count(), 2, 'ROC curves overlaid');
  t.match(await page.locator('#param-diff').textContent(), /model\.maxIter/, 'the parameter diff shows maxIter');
  mkdirSync(join(repoRoot, 'docs/images'), { recursive: true });
  await page.screenshot({ path: join(repoRoot, 'docs/images/ui-compare.png'), fullPage: true });
});

t.test('kindling history: a missing folder or a file as --dir is a usage error (exit 2)', async (t) => {
  const dir = t.testdir({ 'file.txt': 'x' });
  for (const d of [join(dir, 'missing'), join(dir, 'file.txt')]) {
    const r = await run(process.execPath, [cliMain, 'history', '--dir', d, '--port', '0']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    t.equal(r.code, 2, `${d}: exit 2`);
    t.match(r.stderr, new RegExp(`kindling: error: --dir ${d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (no such folder|not a folder)`));
    t.notMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
  const bad = await run(process.execPath, [cliMain, 'history', '--dir', dir, '--port', 'abc']).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--port "abc"/);
});
