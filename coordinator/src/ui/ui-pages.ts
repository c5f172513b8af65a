/**
 * The UI's pages, rendered on the server from a StatusStore: Jobs, Stages, one stage (task
 * quantiles, per-executor aggregates, a sorted and paginated task table), Executors,
 * Environment and Model (pipeline, loss and gradient-norm charts, ROC/PR, confusion matrix,
 * coefficients). Every link is relative (`?page=…`), so the UI works under a port-forward or
 * an ingress path prefix; every user string goes through `html`, which escapes it. Used by
 * ui-router.ts (live UI and history server). THREADING: pure functions of the store.
 */
import { html, raw, fmt, fmtMs, fmtBytes, type Html } from './html.js';
import { TASK_SORT_KEYS, type StatusStore, type TaskSortKey } from './status-store.js';
import { confusionMatrix, lineChart } from './svg-charts.js';

/** A page's parameters, from the query string. */
export interface PageQuery {
  readonly page: string;
  readonly id?: string;
  readonly offset?: number;
  readonly length?: number;
  readonly sortBy?: string;
  readonly desc?: boolean;
}

/** What a page render gives: the body and a status (404 for an unknown page or id). */
export interface RenderedPage {
  readonly status: number;
  readonly title: string;
  readonly body: Html;
}

const TABS: ReadonlyArray<[string, string]> = [
  ['jobs', 'Jobs'],
  ['stages', 'Stages'],
  ['executors', 'Executors'],
  ['storage', 'Storage'],
  ['environment', 'Environment'],
  ['model', 'Model'],
];

/** Renders the page `q` names. */
export function renderPage(store: StatusStore, q: PageQuery): RenderedPage {
  switch (q.page) {
    case 'jobs':
      return { status: 200, title: 'Jobs', body: jobsPage(store) };
    case 'stages':
      return { status: 200, title: 'Stages', body: stagesPage(store) };
    case 'stage': {
      const id = Number(q.id);
      if (!/^\d+$/.test(q.id ?? '') || !store.stages.has(id)) return notFound(`no stage ${q.id ?? ''} in this run`);
      return { status: 200, title: `Stage ${id}`, body: stagePage(store, id, q) };
    }
    case 'executors':
      return { status: 200, title: 'Executors', body: executorsPage(store) };
    case 'storage':
      return { status: 200, title: 'Storage', body: storagePage(store, q) };
    case 'environment':
      return { status: 200, title: 'Environment', body: environmentPage(store) };
    case 'model':
      return { status: 200, title: 'Model', body: modelPage(store) };
    default:
      return notFound(`no page ${q.page}`);
  }
}

/** A 404 body. */
export function notFound(message: string): RenderedPage {
  return {
    status: 404,
    title: 'Not found',
    body: html`<h2>Not found</h2>
      <p class="error">${message}</p>
      <p><a href="?page=jobs">Back to jobs</a></p>`,
  };
}

/** The whole document: tabs, the page body in <main>, the client script (relative URLs only). */
export function document(store: StatusStore, page: RenderedPage, current: string, opts: { live: boolean; home?: string }): string {
  const tabs = TABS.map(
    ([k, label]) =>
      html`<a class="${k === current || (current === 'stage' && k === 'stages') ? 'tab active' : 'tab'}" href="?page=${k}">${label}</a>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${page.title} · ${store.jobName ?? 'Kindling'}</title>
        <link rel="stylesheet" href="static/ui.css" />
      </head>
      <body data-live="${opts.live ? '1' : '0'}">
        <header>
          <span class="brand">Kindling</span> ${opts.home ? html`<a class="tab" href="${opts.home}">All runs</a>` : ''}${tabs}
          <span class="app">${store.jobName ?? ''} <span class="status status-${store.status}" id="run-status">${store.status}</span></span>
        </header>
        <main id="main">${page.body}</main>
        <script src="static/ui.js"></script>
      </body>
    </html>`.text;
}

function jobsPage(s: StatusStore): Html {
  const stages = [...s.stages.values()];
  const done = stages.filter((x) => x.status === 'COMPLETE').length;
  const dur = (s.endedAt ?? Date.now()) - (s.startedAt ?? Date.now());
  return html`<h2>Jobs</h2>
    <table class="grid" id="jobs-table">
      <thead>
        <tr>
          <th>Job</th>
          <th>Name</th>
          <th>Status</th>
          <th>Submitted</th>
          <th>Duration</th>
          <th>Stages</th>
          <th>Partitions</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>${s.jobId ?? '(starting)'}</td>
          <td>${s.jobName ?? ''}</td>
          <td class="status-${s.status}">${s.status}</td>
          <td>${s.startedAt ? new Date(s.startedAt).toISOString() : '–'}</td>
          <td>${fmtMs(dur)}</td>
          <td>${done}/${stages.length}</td>
          <td>${s.partitions}</td>
        </tr>
      </tbody>
    </table>
    ${s.failure ? html`<p class="error">Failed: ${s.failure.code}: ${s.failure.message}</p>` : ''}
    <h3>Timeline</h3>
    <ul class="timeline">
      ${[...s.executors.values()]
        .flatMap((e) => e.events.map((ev) => ({ ts: ev.ts, text: `executor ${e.id} ${ev.what}` })))
        .sort((a, b) => a.ts - b.ts)
        .map((ev) => html`<li>${new Date(ev.ts).toISOString()} ${ev.text}</li>`)}
    </ul>`;
}

function stagesPage(s: StatusStore): Html {
  const rows = [...s.stages.values()].reverse().map((st) => {
    const pct = st.numTasks ? Math.round((100 * st.completed) / st.numTasks) : 0;
    return html`<tr data-stage="${st.stageId}">
      <td><a href="?page=stage&amp;id=${st.stageId}">${st.stageId}</a></td>
      <td>${st.name}</td>
      <td class="status-${st.status}">${st.status}</td>
      <td>
        <div class="bar">
          <div style="width:${pct}%"></div>
          <span>${st.completed}/${st.numTasks}${st.running ? ` (${st.running} running)` : ''}</span>
        </div>
      </td>
      <td>${st.failed}</td>
      <td>${fmtMs(st.durationMs ?? Date.now() - st.submittedAt)}</td>
    </tr>`;
  });
  return html`<h2>Stages (${s.stages.size})</h2>
    <table class="grid" id="stages-table">
      <thead>
        <tr>
          <th>Stage</th>
          <th>Name</th>
          <th>Status</th>
          <th>Tasks</th>
          <th>Failed</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

function stagePage(s: StatusStore, id: number, q: PageQuery): Html {
  const st = s.stages.get(id)!;
  const qs = s.taskQuantiles(id)!;
  const qrow = (label: string, xs: Array<number | null>, f: (x: unknown) => string): Html =>
    html`<tr>
      <td>${label}</td>
      ${xs.map((x) => html`<td>${f(x ?? undefined)}</td>`)}
    </tr>`;
  const sortBy: TaskSortKey = (TASK_SORT_KEYS as readonly string[]).includes(q.sortBy ?? '') ? (q.sortBy as TaskSortKey) : 'taskId';
  const length = Math.min(Math.max(q.length ?? 100, 1), 1000);
  const offset = Math.max(q.offset ?? 0, 0);
  const page = s.taskPage(id, { offset, length, sortBy, desc: q.desc === true })!;
  const link = (o: number, key: TaskSortKey = sortBy, desc = q.desc === true): string =>
    `?page=stage&id=${id}&offset=${o}&length=${length}&sortBy=${key}${desc ? '&desc=1' : ''}`;
  const head = TASK_SORT_KEYS.map(
    (k) => html`<th><a href="${link(0, k, k === sortBy ? !q.desc : false)}">${k}${k === sortBy ? (q.desc ? ' ▼' : ' ▲') : ''}</a></th>`,
  );
  return html`<h2>Stage ${id}: ${st.name}</h2>
    <p>
      Status <span class="status-${st.status}">${st.status}</span>, ${st.completed}/${st.numTasks} tasks, ${st.failed} failed attempts,
      duration ${fmtMs(st.durationMs)}
    </p>
    <h3>Summary metrics for ${qs.count} completed tasks</h3>
    <table class="grid" id="task-quantiles">
      <thead>
        <tr>
          <th>Metric</th>
          <th>Min</th>
          <th>25th percentile</th>
          <th>Median</th>
          <th>75th percentile</th>
          <th>Max</th>
        </tr>
      </thead>
      <tbody>
        ${qrow('Queue wait', qs.queuedMs, fmtMs)}${qrow('Run time', qs.runMs, fmtMs)}${qrow('Result size', qs.resultBytes, fmtBytes)}
      </tbody>
    </table>
    <h3>Aggregated by executor</h3>
    <table class="grid" id="stage-executors">
      <thead>
        <tr>
          <th>Executor</th>
          <th>Succeeded</th>
          <th>Failed</th>
          <th>Run time</th>
          <th>Queue wait</th>
        </tr>
      </thead>
      <tbody>
        ${s.stageExecutors(id).map(
          (a) =>
            html`<tr>
              <td>${a.executorId}</td>
              <td>${a.succeeded}</td>
              <td>${a.failed}</td>
              <td>${fmtMs(a.runMs)}</td>
              <td>${fmtMs(a.queuedMs)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Tasks (${page.total})</h3>
    <p class="pager">
      ${offset > 0 ? html`<a href="${link(Math.max(0, offset - length))}">‹ previous</a>` : ''}
      ${page.total ? offset + 1 : 0}–${Math.min(offset + length, page.total)} of ${page.total}
      ${offset + length < page.total ? html`<a href="${link(offset + length)}">next ›</a>` : ''}
    </p>
    <table class="grid" id="task-table">
      <thead>
        <tr>
          ${head}
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        ${page.tasks.map(
          (t) =>
            html`<tr class="task-${t.status}">
              <td>${t.taskId}</td>
              <td>${t.partition}</td>
              <td>${t.attempt}</td>
              <td>${t.executorId}</td>
              <td>${t.status}</td>
              <td>${fmtMs(t.queuedMs)}</td>
              <td>${fmtMs(t.runMs)}</td>
              <td>${fmtBytes(t.resultBytes)}</td>
              <td>${new Date(t.finishedAt).toISOString()}</td>
              <td>${t.errorMessage ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

/** Rows of the cached-partition table per page. */
const STORAGE_PAGE_ROWS = 100;

/**
 * Storage: what each executor caches, as Spark's Storage tab shows RDDs — per dataset (rows,
 * train, test) the cached partitions, fraction cached and bytes, their spread over executors,
 * then every cached partition with its executor and block sizes (paginated). Figures are the
 * executors' own block sizes, reported with each task's outcome.
 */
function storagePage(s: StatusStore, q: PageQuery): Html {
  const datasets = s.storage();
  if (datasets.length === 0)
    return html`<h2>Storage</h2>
      <p class="muted" id="storage-empty">No cached partitions reported yet.</p>`;
  const offset = Math.max(0, q.offset ?? 0);
  const length = Math.min(1000, Math.max(1, q.length ?? STORAGE_PAGE_ROWS));
  const page = s.cachedPage(offset, length);
  const link = (o: number): string => `?page=storage&offset=${o}&length=${length}`;
  const done = s.status !== 'RUNNING';
  return html`<h2>Storage</h2>
    ${done ? html`<p class="muted">As last reported: executors free a job's blocks when the job ends.</p>` : ''}
    <table class="grid" id="storage-table">
      <thead>
        <tr>
          <th>Dataset</th>
          <th>Storage level</th>
          <th>Cached partitions</th>
          <th>Fraction cached</th>
          <th>Size in memory</th>
        </tr>
      </thead>
      <tbody>
        ${datasets.map(
          (d) =>
            html`<tr data-dataset="${d.name}">
              <td>${d.name}</td>
              <td>Memory, deserialized, 1 replica</td>
              <td>${d.cachedPartitions} / ${d.numPartitions}</td>
              <td>${d.numPartitions > 0 ? `${((100 * d.cachedPartitions) / d.numPartitions).toFixed(1)} %` : '–'}</td>
              <td>${fmtBytes(d.bytes)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Data distribution</h3>
    <table class="grid" id="storage-executors">
      <thead>
        <tr>
          <th>Executor</th>
          ${datasets.map(
            (d) =>
              html`<th>${d.name} partitions</th>
                <th>${d.name} bytes</th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${[...new Set(datasets.flatMap((d) => d.byExecutor.map((e) => e.executorId)))].sort().map(
          (id) =>
            html`<tr data-executor="${id}">
              <td>${id}</td>
              ${datasets.map((d) => {
                const e = d.byExecutor.find((x) => x.executorId === id);
                return html`<td>${e?.partitions ?? 0}</td>
                  <td>${fmtBytes(e?.bytes ?? 0)}</td>`;
              })}
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Cached partitions (${page.total})</h3>
    <table class="grid" id="storage-partitions">
      <thead>
        <tr>
          <th>Partition</th>
          <th>Executor</th>
          ${datasets.map((d) => html`<th>${d.name}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${page.rows.map(
          (c) =>
            html`<tr data-partition="${c.partition}">
              <td>${c.partition}</td>
              <td>${c.executorId}</td>
              ${datasets.map((d) => html`<td>${c.blocks.has(d.name) ? fmtBytes(c.blocks.get(d.name)) : '–'}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="pager">
      ${offset > 0 ? html`<a href="${link(Math.max(0, offset - length))}">‹ previous</a>` : ''}
      ${page.total > 0 ? `${offset + 1}–${Math.min(page.total, offset + length)} of ${page.total}` : ''}
      ${offset + length < page.total ? html`<a href="${link(offset + length)}">next ›</a>` : ''}
    </p>`;
}

function executorsPage(s: StatusStore): Html {
  const rows = [...s.executors.values()].map((e) => {
    const state = e.removedAt === undefined ? (e.heartbeat?.draining ? 'draining' : 'active') : e.lost ? 'lost' : 'drained';
    return html`<tr data-executor="${e.id}" class="executor-${state}">
      <td>${e.id}</td>
      <td>${state}</td>
      <td>${e.slots}</td>
      <td>${e.heartbeat?.runningTasks ?? '–'}</td>
      <td>${e.completedTasks}</td>
      <td>${e.failedTasks}</td>
      <td>${e.heartbeat?.cachedBlocks ?? '–'}</td>
      <td>${fmtBytes(e.heartbeat?.cachedBytes)}</td>
      <td>${fmtBytes(e.heartbeat?.rssBytes)}</td>
      <td>${e.heartbeat ? new Date(e.heartbeat.sentAt).toISOString() : '–'}</td>
      <td>${e.events.map((ev) => ev.what).join(', ')}</td>
    </tr>`;
  });
  const failed = s.failedTasks();
  // metrics-server's pod figures when the master is k8s:// (what the kubelet accounts: the
  // container's working set and CPU), else the executors' own heartbeats (process RSS, CPU time).
  const t0 = (t: number): number => (t - (s.startedAt ?? t)) / 1000;
  const execs = [...s.executors.values()];
  const fromPods = execs.some((e) => e.podCpu.length > 0);
  const rss = execs
    .filter((e) => (fromPods ? e.podMemory : e.rss).length > 0)
    .map((e) => ({ label: e.id, points: (fromPods ? e.podMemory : e.rss).map(([t, b]) => [t0(t), b / 2 ** 20] as const) }));
  const cpu = execs
    .filter((e) => (fromPods ? e.podCpu : e.cpu).length > 0)
    .map((e) => ({ label: e.id, points: (fromPods ? e.podCpu : e.cpu).map(([t, c]) => [t0(t), c] as const) }));
  const source = fromPods ? 'metrics-server' : 'heartbeats';
  return html`<h2>Executors (${s.executors.size})</h2>
    <table class="grid" id="executors-table">
      <thead>
        <tr>
          <th>Id</th>
          <th>State</th>
          <th>Threads</th>
          <th>Running</th>
          <th>Finished tasks</th>
          <th>Failed tasks</th>
          <th>Cached blocks</th>
          <th>Cached bytes</th>
          <th>RSS</th>
          <th>Last heartbeat</th>
          <th>Events</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${
      rss.length
        ? lineChart('rss-chart', `Executor memory (MiB, ${fromPods ? 'pod working set' : 'RSS'}, from ${source}) over time (s)`, rss, {
            xLabel: 's',
            yLabel: 'MiB',
          })
        : html`<p class="muted">No executor memory figures (local mode has no heartbeats).</p>`
    }
    ${cpu.length ? lineChart('cpu-chart', `Executor CPU (cores, from ${source}) over time (s)`, cpu, { xLabel: 's', yLabel: 'cores' }) : ''}
    <h3>Failed and retried task attempts (${failed.length})</h3>
    <table class="grid" id="failed-tasks">
      <thead>
        <tr>
          <th>Stage</th>
          <th>Partition</th>
          <th>Attempt</th>
          <th>Executor</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        ${failed.map(
          (t) =>
            html`<tr>
              <td>${t.stageId}</td>
              <td>${t.partition}</td>
              <td>${t.attempt}</td>
              <td>${t.executorId}</td>
              <td>${t.errorCode}: ${t.errorMessage}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${s.moves.length ? html`<h3>Partitions moved (${s.moves.length})</h3>` : ''}`;
}

function environmentPage(s: StatusStore): Html {
  const h = s.header ?? { event: 'log-header' };
  const versions = (h['versions'] ?? {}) as Record<string, unknown>;
  const conf = (h['conf'] ?? {}) as Record<string, unknown>;
  const kv = (o: Record<string, unknown>): Html[] =>
    Object.entries(o).map(
      ([k, v]) =>
        html`<tr>
          <td>${k}</td>
          <td>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
        </tr>`,
    );
  return html`<h2>Environment</h2>
    <h3>Runtime</h3>
    <table class="grid" id="env-runtime">
      <tbody>
        ${kv({ master: h['master'], ...versions, pid: h['pid'] })}
      </tbody>
    </table>
    <h3>--conf</h3>
    <table class="grid" id="env-conf">
      <tbody>
        ${kv(conf)}
      </tbody>
    </table>
    <h3>Job spec as run (defaults resolved)</h3>
    <pre id="env-spec">${JSON.stringify(h['spec'] ?? null, null, 2)}</pre>`;
}

function modelPage(s: StatusStore): Html {
  const it = s.iterations;
  const series = (key: string): Array<readonly [number, number]> =>
    it.filter((x) => typeof x[key] === 'number').map((x) => [Number(x['iteration']), Number(x[key])] as const);
  const r = s.result;
  const metrics = r?.['metrics'] as { test?: Record<string, unknown>; train?: Record<string, unknown> } | undefined;
  const test = metrics?.test;
  const spec = (s.header?.['spec'] ?? {}) as Record<string, unknown>;
  const coefs = (r?.['coefficients'] ?? []) as Array<{ name: string; value: number }>;
  const split = it.filter((x) => typeof x['computeMs'] === 'number');
  return html`<h2>Model</h2>
    <h3>Pipeline</h3>
    <ol class="pipeline" id="pipeline">
      ${pipelineSteps(spec, r).map((p) => html`<li>${p}</li>`)}
    </ol>
    <h3>Training (${it.length} iterations)</h3>
    <div class="charts">
      ${lineChart('loss-chart', 'Loss by iteration', [{ label: 'loss', points: series('loss') }], { xLabel: 'iteration', yLabel: 'loss' })}
      ${series('gradNorm').length ? lineChart('gradnorm-chart', 'Gradient norm by iteration', [{ label: 'gradNorm', points: series('gradNorm') }], { xLabel: 'iteration', yLabel: '|g|', logY: true }) : ''}
      ${
        split.length
          ? lineChart(
              'split-chart',
              'Coordination vs compute per iteration (ms)',
              [
                { label: 'compute', points: series('computeMs') },
                { label: 'coordination', points: series('coordinationMs') },
              ],
              { xLabel: 'iteration', yLabel: 'ms' },
            )
          : ''
      }
    </div>
    <table class="grid" id="iterations-table">
      <thead>
        <tr>
          <th>Iteration</th>
          <th>Loss</th>
          <th>Grad norm</th>
          <th>Step</th>
          <th>Evaluations</th>
          <th>Wall</th>
          <th>Compute</th>
          <th>Coordination</th>
        </tr>
      </thead>
      <tbody>
        ${it.slice(-10).map(
          (x) =>
            html`<tr>
              <td>${x['iteration']}</td>
              <td>${fmt(x['loss'])}</td>
              <td>${fmt(x['gradNorm'])}</td>
              <td>${fmt(x['stepSize'])}</td>
              <td>${fmt(x['evaluations'])}</td>
              <td>${fmtMs(x['wallMs'])}</td>
              <td>${fmtMs(x['computeMs'])}</td>
              <td>${fmtMs(x['coordinationMs'])}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${test ? evaluation(test, coefs, Number(r?.['intercept'])) : html`<p class="muted" id="no-evaluation">The evaluation appears when the job finishes.</p>`}`;
}

function evaluation(test: Record<string, unknown>, coefs: Array<{ name: string; value: number }>, intercept: number): Html {
  // Interior ROC points carry the score threshold they stand for: the cursor readout shows it.
  const roc = ((test['roc'] ?? []) as Array<{ fpr: number; tpr: number; threshold?: number }>).map((p) =>
    p.threshold !== undefined && Number.isFinite(p.threshold) ? ([p.fpr, p.tpr, p.threshold] as const) : ([p.fpr, p.tpr] as const),
  );
  // PR points after the first carry their threshold too (the score of the curve's step).
  const pr = ((test['pr'] ?? []) as Array<{ recall: number; precision: number; threshold?: number }>).map((p) =>
    p.threshold !== undefined && Number.isFinite(p.threshold)
      ? ([p.recall, p.precision, p.threshold] as const)
      : ([p.recall, p.precision] as const),
  );
  const scalars = ['areaUnderROC', 'areaUnderPR', 'accuracy', 'precision', 'recall', 'f1', 'logLoss', 'count'];
  return html`<h3>Evaluation (test set)</h3>
    <table class="grid" id="metrics-table">
      <tbody>
        ${scalars.map(
          (k) =>
            html`<tr>
              <td>${k}</td>
              <td data-metric="${k}">${fmt(test[k])}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="charts">
      ${lineChart('roc-chart', `ROC (AUC ${fmt(test['areaUnderROC'])})`, [{ label: 'ROC', points: roc }], { xLabel: 'false positive rate', yLabel: 'true positive rate', unitSquare: true })}
      ${lineChart('pr-chart', `Precision-recall (AUC ${fmt(test['areaUnderPR'])})`, [{ label: 'PR', points: pr }], { xLabel: 'recall', yLabel: 'precision', unitSquare: true })}
      ${test['confusion'] ? confusionMatrix('confusion-matrix', test['confusion'] as { tp: number; fp: number; tn: number; fn: number }) : ''}
    </div>
    <h3>Coefficients (${coefs.length})</h3>
    <table class="grid" id="coefficients-table">
      <thead>
        <tr>
          <th>Feature</th>
          <th>Coefficient</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>(intercept)</td>
          <td>${fmt(intercept)}</td>
        </tr>
        ${coefs.map(
          (c) =>
            html`<tr>
              <td>${c.name}</td>
              <td>${fmt(c.value)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

/** The pipeline's steps from the spec as run, with the row/feature counts known so far. */
function pipelineSteps(spec: Record<string, unknown>, r: Record<string, unknown> | undefined): string[] {
  const input = (spec['input'] ?? {}) as Record<string, unknown>;
  const pipe = (spec['pipeline'] ?? {}) as Record<string, unknown>;
  const label = pipe['label'];
  const coefs = (r?.['coefficients'] ?? []) as unknown[];
  const rows = r ? `${r['trainRows']} train / ${r['testRows']} test rows` : 'rows: counting…';
  const drop = pipe['drop'];
  const model = (spec['model'] ?? {}) as Record<string, unknown>;
  return [
    `read ${String(input['path'] ?? '')} (${rows})`,
    ...(Array.isArray(drop) && drop.length ? [`drop ${drop.join(', ')}`] : []),
    `StringIndexer → OneHotEncoder on ${Array.isArray(pipe['categorical']) ? (pipe['categorical'] as string[]).join(', ') : 'every string column'}`,
    `VectorAssembler → ${coefs.length || '?'} features`,
    `LogisticRegression (label ${String(label ?? '?')}, maxIter ${String(model['maxIter'] ?? '?')}, regParam ${String(model['regParam'] ?? '?')})`,
  ];
}

/** Marks markup as trusted for the page shell (exported for the history pages). */
export const trusted = raw;
