/**
 * The metrics table `kindling submit` prints when a job ends: one row per metric, the train and
 * test values side by side, aligned for a terminal. Pure; full-precision values are in
 * `--json` output and in the job's metrics.json.
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
export function renderMetricsTable(
  metrics: { readonly train: object; readonly test: object },
  options: MetricsTableOptions = {},
): string {
  const train = numbers(metrics.train);
  const test = numbers(metrics.test);
  const names = (options.rows ?? [...new Set([...train.keys(), ...test.keys()])]).filter((n) => train.has(n) || test.has(n));
  const digits = options.digits ?? 6;
  const cell = (v: number | undefined): string =>
    v === undefined ? '-' : Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(digits) : String(v);

  const rows = names.map((n) => [n, cell(train.get(n)), cell(test.get(n))] as const);
  const header = ['metric', 'train', 'test'] as const;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function numbers(side: object): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(side)) if (typeof v === 'number') out.set(k, v);
  return out;
}
