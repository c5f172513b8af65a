/**
 * The history server's own pages: the run list (status, master, parameters and the metric
 * columns the user picks with `?metrics=a,b`) and the compare view of up to 10 runs
 * (parameter diff, metric table, overlaid learning curves and ROC curves). Links are
 * relative to the server root. Used by history-server.ts. THREADING: pure functions.
 */
import { html, fmt, fmtMs, type Html } from '../ui/html.js';
import type { StatusStore } from '../ui/status-store.js';
import { lineChart } from '../ui/svg-charts.js';
import type { IndexedRun } from './run-index.js';

/** A run of the compare view: its index entry and its replayed store. */
export interface ReplayedRun {
  readonly run: IndexedRun;
  readonly store: StatusStore;
}

/** Most runs one compare view overlays (KFP caps ROC overlays at 10 too). */
export const MAX_COMPARE = 10;
export const DEFAULT_METRIC_COLUMNS = ['areaUnderROC', 'accuracy', 'logLoss'];

/** A whole page around `body`. */
export function historyDocument(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Kindling history</title>
        <link rel="stylesheet" href="static/ui.css" />
      </head>
      <body data-live="0">
        <header><span class="brand">Kindling history</span><a class="tab" href="./">Runs</a></header>
        <main id="main">${body}</main>
        <script src="static/ui.js"></script>
      </body>
    </html>`.text;
}

/** Status shown for a run: damaged wins over the recorded one. */
export function runStatus(run: Pick<IndexedRun, 'damage' | 'status'>): string {
  return run.damage.length > 0 ? 'DAMAGED' : run.status;
}

/** The run list. */
export function runListPage(runs: readonly IndexedRun[], metricColumns: readonly string[]): Html {
  const rows = runs.map((r) => {
    const test = r.summary.metrics;
    const s = r.summary;
    return html`<tr data-run="${r.runId}" class="run-${runStatus(r)}">
      <td><input type="checkbox" name="runs" value="${r.runId}" form="compare" /></td>
      <td><a href="run/${encodeURIComponent(r.runId)}/">${r.runId}</a></td>
      <td>${s.jobName ?? ''}</td>
      <td class="status-${runStatus(r)}">
        ${runStatus(r)}${r.damage.length ? html` <span class="error">(line ${r.damage[0]!.line}: ${r.damage[0]!.message})</span>` : ''}
      </td>
      <td>${s.startedAt ? new Date(s.startedAt).toISOString() : '–'}</td>
      <td>${fmtMs(s.endedAt !== undefined && s.startedAt !== undefined ? s.endedAt - s.startedAt : undefined)}</td>
      <td>${String(s.header?.['master'] ?? '')}</td>
      ${metricColumns.map((m) => html`<td data-metric="${m}">${fmt(test?.[m])}</td>`)}
    </tr>`;
  });
  return html`<h2>Runs (${runs.length})</h2>
    <form method="get" action="./">
      <label>Metric columns <input name="metrics" value="${metricColumns.join(',')}" size="40" /></label> <button>Show</button>
    </form>
    <form id="compare" method="get" action="compare"><button>Compare selected (up to ${MAX_COMPARE})</button></form>
    <table class="grid" id="runs-table">
      <thead>
        <tr>
          <th></th>
          <th>Run</th>
          <th>Name</th>
          <th>Status</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Master</th>
          ${metricColumns.map((m) => html`<th>${m}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

/** The compare view of `runs` (already capped and found). */
export function comparePage(replayed: readonly ReplayedRun[]): Html {
  const runs = replayed.map(({ run, store }) => ({ runId: run.runId, damage: run.damage, status: run.status, store }));
  const params = runs.map((r) => flatten(r.store.header?.['spec'] ?? {}));
  const keys = [...new Set(params.flatMap((p) => Object.keys(p)))].filter((k) => !/^(specFile|output\.path|name)$/.test(k)).sort();
  const differing = keys.filter((k) => new Set(params.map((p) => JSON.stringify(p[k]))).size > 1);
  const metricNames = ['areaUnderROC', 'areaUnderPR', 'accuracy', 'f1', 'logLoss', 'count'];
  const losses = runs.map((r) => ({
    label: r.runId,
    points: r.store.iterations
      .filter((i) => typeof i['loss'] === 'number')
      .map((i) => [Number(i['iteration']), Number(i['loss'])] as const),
  }));
  const rocs = runs.map((r) => ({
    label: r.runId,
    points: ((testMetrics(r)?.['roc'] ?? []) as Array<{ fpr: number; tpr: number }>).map((p) => [p.fpr, p.tpr] as const),
  }));
  return html`<h2>Compare ${runs.length} runs</h2>
    <h3>Parameters that differ (${differing.length} of ${keys.length})</h3>
    <table class="grid" id="param-diff">
      <thead>
        <tr>
          <th>Parameter</th>
          ${runs.map((r) => html`<th>${r.runId}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${differing.map(
          (k) =>
            html`<tr>
              <td>${k}</td>
              ${params.map((p) => html`<td>${JSON.stringify(p[k] ?? null)}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Metrics (test set)</h3>
    <table class="grid" id="metric-compare">
      <thead>
        <tr>
          <th>Metric</th>
          ${runs.map((r) => html`<th>${r.runId}</th>`)}
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>status</td>
          ${runs.map((r) => html`<td class="status-${runStatus(r)}">${runStatus(r)}</td>`)}
        </tr>
        <tr>
          <td>duration</td>
          ${runs.map((r) => html`<td>${fmtMs(r.store.endedAt !== undefined && r.store.startedAt !== undefined ? r.store.endedAt - r.store.startedAt : undefined)}</td>`)}
        </tr>
        <tr>
          <td>iterations</td>
          ${runs.map((r) => html`<td>${r.store.iterations.length}</td>`)}
        </tr>
        ${metricNames.map(
          (m) =>
            html`<tr>
              <td>${m}</td>
              ${runs.map((r) => html`<td>${fmt(testMetrics(r)?.[m])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="charts">
      ${lineChart('compare-loss', 'Learning curves (loss by iteration)', losses, { xLabel: 'iteration', yLabel: 'loss' })}
      ${lineChart('compare-roc', 'ROC curves', rocs, { xLabel: 'false positive rate', yLabel: 'true positive rate', unitSquare: true })}
    </div>`;
}

function testMetrics(r: { store: StatusStore }): Record<string, unknown> | undefined {
  return (r.store.result?.['metrics'] as { test?: Record<string, unknown> } | undefined)?.test;
}

/** `{a: {b: 1}}` → `{'a.b': 1}`; arrays stay values. */
function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
  return out;
}
