/**
 * Safe HTML building for the UI pages: the `html` tagged template escapes every interpolated
 * value unless it is already Html (built by `html` itself or `raw` for trusted markup), so a
 * column named `<img src=x onerror=alert(1)>` renders as text. Used by ui-pages.ts and
 * svg-charts.ts. THREADING: pure functions.
 */

/** Markup that is already safe to emit. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Marks trusted markup (constants of this package only, never user strings). */
export function raw(text: string): Html {
  return new Html(text);
}

/** Template tag: strings as written, values escaped; arrays are joined (their items escaped unless Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(v);
}

/** A number for display: integers as is, others to 4 significant digits; missing → '–'. */
export function fmt(x: unknown): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** Milliseconds for display. */
export function fmtMs(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

/** Bytes for display. */
export function fmtBytes(b: unknown): string {
  if (typeof b !== 'number' || !Number.isFinite(b)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = b,
    u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
