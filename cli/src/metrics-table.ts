/**
 * The metrics table `kindling submit` prints when a job ends: one row per metric, the train and
 * test values side by side, aligned for a terminal. Multiclass metrics add one row per label
 * for each `…ByLabel` array and, below the table, the test confusion matrix. Pure;
 * full-precision values are in `--json` output and in the job's metrics.json.
 */

/** Options of renderMetricsTable. */
export interface MetricsTableOptions {
  /** Metrics to show, in order; default every number-valued metric, in the order first seen. */
  readonly rows?: readonly string[];
  /** Decimals for non-integers; default 6. */
  readonly digits?: number;
}

/**
 * Renders `metric / train / test` as an aligned text table (no trailing newline): names
 * left-aligned, values right-aligned, `-` where a side lacks the metric. Non-number fields
 * (curves, confusion counts) are skipped.
 */
export function renderMetricsTable(metrics: { readonly train: object; readonly test: object }, options: MetricsTableOptions = {}): string {
  const train = numbers(metrics.train);
  const test = numbers(metrics.test);
  const requested = options.rows ?? [...new Set([...train.keys(), ...test.keys()])].filter((n) => !n.includes('['));
  const perLabel = [...new Set([...train.keys(), ...test.keys()])].filter((n) => n.includes('['));
  const names = [...requested, ...perLabel].filter((n) => train.has(n) || test.has(n));
  const digits = options.digits ?? 6;
  const cell = (v: number | undefined): string =>
    v === undefined ? '-' : Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(digits) : String(v);

  const rows = names.map((n) => [n, cell(train.get(n)), cell(test.get(n))] as const);
  const header = ['metric', 'train', 'test'] as const;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  return [...table, ...confusionLines(metrics.test)].join('\n');
}

/** Number-valued metrics, plus `name[k]` for each entry of a per-label array (`precisionByLabel`). */
function numbers(side: object): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(side)) {
    if (typeof v === 'number') out.set(k, v);
    else if (k.endsWith('ByLabel') && Array.isArray(v)) v.forEach((x, i) => typeof x === 'number' && out.set(`${k}[${i}]`, x));
  }
  return out;
}

/** The test split's confusion matrix (rows = label, columns = prediction), when the metrics have one. */
function confusionLines(side: object): string[] {
  const matrix = (side as { confusionMatrix?: unknown }).confusionMatrix;
  if (!Array.isArray(matrix) || !matrix.every((r) => Array.isArray(r))) return [];
  const cells = (matrix as number[][]).map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(3))));
  const width = Math.max(1, ...cells.flat().map((c) => c.length), String(matrix.length - 1).length);
  const head = ['label\\pred', ...cells.map((_, k) => String(k))];
  const first = Math.max(head[0]!.length, String(matrix.length - 1).length);
  const fmt = (label: string, row: readonly string[]): string =>
    [label.padEnd(first), ...row.map((c) => c.padStart(width))].join('  ').trimEnd();
  return [
    '',
    'test confusion matrix (rows = label, columns = prediction):',
    fmt(head[0]!, head.slice(1)),
    ...cells.map((r, k) => fmt(String(k), r)),
  ];
}

/** Metric rows in the order a Spark user reads them (submit's and evaluate's tables); absent ones are skipped. */
export const METRIC_ROWS: readonly string[] = [
  'areaUnderROC',
  'areaUnderPR',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'weightedPrecision',
  'weightedRecall',
  'weightedF1',
  'logLoss',
  'count',
  // Multiclass jobs only.
  'weightedTruePositiveRate',
  'weightedFalsePositiveRate',
  'hammingLoss',
];
