/// <reference lib="dom" />
/**
 * User strings are text, never markup: a job named `<b>…</b>` over a CSV whose column name and
 * category values are HTML, viewed in Chromium — no element is injected, no script runs, and
 * the strings show literally. Also: the UI's ports (the next free one from 4040; an explicit
 * port that is taken is a usage error naming it) and bad observability flags (exit 2).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { HistoryServer, StatusStore, WebUi, UI_DEFAULT_PORT, UI_LAST_PORT } from '@kindling/coordinator';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';
import { launchBrowser } from './browser.js';

const run = promisify(execFile);
const EVIL_COL = '<img src=x onerror=alert(1)>';
const EVIL_VAL = '<script>alert(2)</script>';

t.test('escaping: HTML in a job name, a column name and category values renders as text in Chromium', async (t) => {
  const dir = t.testdir({});
  const rows = [`"${EVIL_COL}",x,label`];
  for (let i = 0; i < 80; i++)
    rows.push(
      `${i % 3 === 0 ? EVIL_VAL : i % 3 === 1 ? 'plain' : '&amp;'},${(i * 37) % 11},${(i * 37) % 11 > 5 === (i % 3 === 0) ? 'yes' : 'no'}`,
    );
  writeFileSync(join(dir, 'evil.csv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 'evil.yaml'),
    `name: evil\ninput:\n  path: evil.csv\n  header: true\n  inferSchema: true\npipeline:\n  drop: []\n  label: label\n  categorical: auto\n  numeric: auto\nsplit:\n  weights: [0.7, 0.3]\n  seed: 1\nmodel:\n  type: logistic-regression\n  maxIter: 5\noutput:\n  path: out\n  mode: overwrite\n`,
  );
  const history = join(dir, 'history');
  await run(process.execPath, [
    cliMain,
    'submit',
    '--master',
    'local[1]',
    join(dir, 'evil.yaml'),
    '--name',
    '<b>bold<b>',
    '--history-dir',
    history,
    '--no-ui',
    '--no-progress',
    '--log-level',
    'error',
  ]);
  const server = await HistoryServer.start({ dir: history, port: 0 });
  t.teardown(() => server.close());
  const [runId] = [...server.index.runs.keys()];
  const { browser, close } = await launchBrowser();
  t.teardown(close);
  const page = await browser.newPage();
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  for (const p of ['model', 'environment', 'jobs', 'stages']) {
    await page.goto(`${server.url}run/${runId}/?page=${p}`);
    t.equal(await page.locator('main img, main script, main b').count(), 0, `${p}: no injected element`);
  }
  await page.goto(`${server.url}run/${runId}/?page=model`);
  const coefs = await page.locator('#coefficients-table').textContent();
  t.match(coefs, EVIL_COL, 'the column name shows literally in the coefficients');
  t.match(coefs, EVIL_VAL, 'the category value shows literally');
  await page.goto(`${server.url}run/${runId}/?page=environment`);
  t.match(await page.locator('#env-spec').textContent(), '<b>bold<b>', 'the job name shows literally');
  await page.goto(server.url);
  t.equal(await page.locator('main b, main img').count(), 0, 'run list: no injected element');
  t.equal(dialogs, 0, 'no script ran');
});

t.test('ports: the next free one from 4040; a taken --ui-port is a usage error', async (t) => {
  // Hold 4040 if it is free (another process may hold it already: either way it is taken).
  const holder = createServer();
  await new Promise<void>((r) => {
    holder.once('error', () => r());
    holder.listen(UI_DEFAULT_PORT, '127.0.0.1', () => r());
  });
  t.teardown(() => new Promise<void>((r) => holder.close(() => r())));
  const ui = await WebUi.start({ store: new StatusStore(), runId: 'p' });
  t.teardown(() => ui.close());
  t.ok(ui.port > UI_DEFAULT_PORT && ui.port <= UI_LAST_PORT, `took ${ui.port}, the next free port after 4040`);
  t.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await t.rejects(WebUi.start({ store: new StatusStore(), runId: 'q', port: ui.port }), {
    code: 'E_INVALID_VALUE',
    message: new RegExp(`--ui-port ${ui.port}: port ${ui.port} on 127\\.0\\.0\\.1 is already in use`),
  });

  const taken = await run(
    process.execPath,
    [cliMain, 'submit', bankJob, '--ui-port', String(ui.port), '--no-event-log', '--output', join(t.testdir({}), 'o')],
    { cwd: repoRoot },
  ).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  t.equal(taken.code, 2, 'exit 2 before the job starts');
  t.match(taken.stderr, /kindling: error: --ui-port \d+: port \d+ on 127\.0\.0\.1 is already in use.*\[E_INVALID_VALUE\]/);
  for (const [args, msg] of [
    [['--ui-port', 'abc'], /--ui-port "abc": expected a port number/],
    [['--conf', 'ui.enabled=maybe'], /--conf ui\.enabled=maybe: expected true or false/],
    [['--ui-linger', 'soon'], /--ui-linger "soon"/],
  ] as const) {
    const r = await run(process.execPath, [cliMain, 'submit', bankJob, '--no-event-log', ...args], { cwd: repoRoot }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, msg);
  }
});
