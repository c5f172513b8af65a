/**
 * A 10,000-task stage through the real UI server: the stage page and the taskList API return
 * one sorted page (never the whole table), quantiles match a direct computation, and the
 * SSE stream sends an update per change with the store's version as its id.
 */
import t from 'tap';
import { StatusStore, WebUi, quantile } from '@kindling/coordinator';

t.test('stage page: 10,000 tasks are paginated and sorted on the server', async (t) => {
  const store = new StatusStore();
  const N = 10_000;
  store.apply({ event: 'stage-submitted', ts: 1, stageId: 0, name: 'gradient 1', tasks: N });
  const runMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const r = (i * 7919) % 1000;
    runMs.push(r);
    store.apply({
      event: 'task-completed',
      ts: 2 + i,
      stageId: 0,
      partition: i,
      attempt: 0,
      executorId: `executor-${i % 3}`,
      queuedMs: i % 17,
      runMs: r,
    });
  }
  const ui = await WebUi.start({ store, runId: 'big', port: 0 });
  t.teardown(() => ui.close());

  const html = await (await fetch(`${ui.url}?page=stage&id=0&sortBy=runMs&desc=1`)).text();
  const rows = html.match(/<tr class="task-SUCCESS">/g) ?? [];
  t.equal(rows.length, 100, 'one page of 100 rows, not 10,000');
  t.match(html, /1–100 of 10000/);
  t.match(html, /next ›/);

  const page = (await (
    await fetch(`${ui.url}api/v1/applications/big/stages/0/0/taskList?offset=20&length=50&sortBy=-runtime`)
  ).json()) as Array<{ duration: number; taskId: number }>;
  const expected = [...runMs.map((r, i) => ({ r, i }))].sort((a, b) => b.r - a.r || a.i - b.i).slice(20, 70);
  t.same(
    page.map((x) => [x.duration, x.taskId]),
    expected.map((e) => [e.r, e.i]),
    "offset/length/sortBy=-runtime as Spark's taskList",
  );

  const sorted = [...runMs].sort((a, b) => a - b);
  const summary = (await (await fetch(`${ui.url}api/v1/applications/big/stages/0/0/taskSummary`)).json()) as {
    quantiles: number[];
    executorRunTime: number[];
  };
  t.same(summary.quantiles, [0, 0.25, 0.5, 0.75, 1], "Spark's default quantiles");
  t.same(
    summary.executorRunTime,
    [0, 0.25, 0.5, 0.75, 1].map((q) => quantile(sorted, q)),
  );
  t.equal(summary.executorRunTime[0], 0);
  t.equal(summary.executorRunTime[4], 999);
  const bad = await fetch(`${ui.url}api/v1/applications/big/stages/0/0/taskSummary?quantiles=0.5,abc`);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { message: /quantiles=0\.5,abc/ });
  t.equal((await fetch(`${ui.url}api/v1/applications/big/stages/0/0/taskList?sortBy=nope`)).status, 400);

  // SSE: the first message carries the current version; a change sends another.
  const ctrl = new AbortController();
  const res = await fetch(`${ui.url}events`, { signal: ctrl.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!/id: \d+/.test(text)) text += decoder.decode((await reader.read()).value);
  t.match(text, new RegExp(`id: ${store.version}`));
  store.apply({ event: 'stage-completed', ts: 99999, stageId: 0, name: 'gradient 1', durationMs: 5, tasks: N });
  while (!new RegExp(`id: ${store.version}\\b`).test(text)) text += decoder.decode((await reader.read()).value);
  t.pass('a change was pushed');
  ctrl.abort();
});
