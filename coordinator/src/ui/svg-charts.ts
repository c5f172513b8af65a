/**
 * Server-rendered SVG charts for the UI: line charts (loss, gradient norm, RSS, overlaid runs'
 * learning curves), ROC/PR curves and the confusion matrix. Each chart carries its points in
 * a data-points attribute so the client script can show the value under the cursor. Used by
 * ui-pages.ts and history/compare-page.ts. THREADING: pure functions.
 */
import { html, fmt, type Html } from './html.js';

/** One series of a line chart. */
export interface Series {
  readonly label: string;
  /** [x, y] or [x, y, threshold]: the cursor readout shows the threshold when a point has one. */
  readonly points: ReadonlyArray<readonly [number, number] | readonly [number, number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const W = 420,
  H = 240,
  PAD = 40;

/** A line chart of one or more series; `id` names it for tests and the cursor readout. */
export function lineChart(
  id: string,
  title: string,
  series: readonly Series[],
  opts: { xLabel?: string; yLabel?: string; unitSquare?: boolean; logY?: boolean } = {},
): Html {
  const all = series.flatMap((s) => s.points);
  const ty = (y: number): number => (opts.logY && y > 0 ? Math.log10(y) : y);
  let [x0, x1, y0, y1] = opts.unitSquare
    ? [0, 1, 0, 1]
    : [
        Math.min(...all.map((p) => p[0])),
        Math.max(...all.map((p) => p[0])),
        Math.min(...all.map((p) => ty(p[1]))),
        Math.max(...all.map((p) => ty(p[1]))),
      ];
  if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x: number): number => PAD + ((x - x0) / (x1 - x0)) * (W - 2 * PAD);
  const sy = (y: number): number => H - PAD - ((ty(y) - y0) / (y1 - y0)) * (H - 2 * PAD);
  const lines = series.map(
    (s, i) =>
      html`<polyline
        class="series"
        data-label="${s.label}"
        fill="none"
        stroke="${COLORS[i % COLORS.length]}"
        stroke-width="2"
        points="${s.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"
      />`,
  );
  // Below the plot, not over it: many runs' labels would hide the curves.
  const legend =
    series.length > 1
      ? html`<ul class="legend">
          ${series.map((s, i) => html`<li style="color:${COLORS[i % COLORS.length]}">${s.label}</li>`)}
        </ul>`
      : '';
  const count = all.length;
  return html`<figure class="chart" id="${id}" data-count="${count}">
    <figcaption>${title}</figcaption>
    <svg
      viewBox="0 0 ${W} ${H}"
      width="${W}"
      height="${H}"
      role="img"
      aria-label="${title}"
      data-points="${JSON.stringify(series.map((s) => s.points))}"
      data-x0="${x0}"
      data-x1="${x1}"
      data-pad="${PAD}"
      data-w="${W}"
    >
      <rect x="${PAD}" y="${PAD}" width="${W - 2 * PAD}" height="${H - 2 * PAD}" fill="none" stroke="#ccc" />
      <text x="${PAD}" y="${H - PAD + 14}" font-size="10">${fmt(x0)}</text>
      <text x="${W - PAD}" y="${H - PAD + 14}" font-size="10" text-anchor="end">${fmt(x1)}</text>
      <text x="${PAD - 4}" y="${H - PAD}" font-size="10" text-anchor="end">${fmt(opts.logY ? 10 ** y0 : y0)}</text>
      <text x="${PAD - 4}" y="${PAD + 8}" font-size="10" text-anchor="end">${fmt(opts.logY ? 10 ** y1 : y1)}</text>
      <text x="${W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${opts.xLabel ?? ''}</text>
      <text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${opts.yLabel ?? ''}</text>
      ${lines}
      <text class="readout" x="${PAD + 4}" y="${PAD + 12}" font-size="11"></text></svg
    >${legend}
  </figure>`;
}

/** The confusion matrix as a 2×2 grid of counts (rows actual, columns predicted). */
export function confusionMatrix(
  id: string,
  c: { tp: number; fp: number; tn: number; fn: number },
  labels: readonly [string, string] = ['0', '1'],
): Html {
  const max = Math.max(c.tp, c.fp, c.tn, c.fn, 1);
  const cell = (x: number, y: number, v: number, name: string): Html =>
    html`<rect x="${x}" y="${y}" width="90" height="60" fill="rgba(31,119,180,${(0.1 + 0.8 * (v / max)).toFixed(2)})" /><text
        class="cm-${name}"
        x="${x + 45}"
        y="${y + 35}"
        text-anchor="middle"
        font-size="14"
        >${v}</text
      >`;
  return html`<figure class="chart" id="${id}">
    <figcaption>Confusion matrix (rows: actual, columns: predicted)</figcaption>
    <svg viewBox="0 0 260 170" width="260" height="170" role="img" aria-label="confusion matrix">
      <text x="115" y="14" font-size="11" text-anchor="middle">${labels[0]}</text>
      <text x="205" y="14" font-size="11" text-anchor="middle">${labels[1]}</text>
      <text x="60" y="55" font-size="11" text-anchor="end">${labels[0]}</text>
      <text x="60" y="115" font-size="11" text-anchor="end">${labels[1]}</text>
      ${cell(70, 20, c.tn, 'tn')}${cell(160, 20, c.fp, 'fp')}${cell(70, 80, c.fn, 'fn')}${cell(160, 80, c.tp, 'tp')}
    </svg>
  </figure>`;
}
