/**
 * Spark's CSV inferSchema, over raw field bytes: what type one value needs, how types widen,
 * and the driver-side merge of per-partition results. The value parsers the partition parser
 * uses to convert typed fields live here too, so inference and conversion accept exactly the
 * same spellings (a column inferred as int always parses as int: row counts agree).
 *
 * Rules (spark-semantics.md §1, CSVInferSchema): a value is tried as int (32-bit) → long →
 * double → boolean → string, starting from the column's type so far; types merge by widening
 * (int+long → long, int/long+double → double, anything else mixed → string); nulls leave the
 * type alone and a column of only nulls is string. Deliberate differences from Spark:
 * - dates and timestamps are not inferred (Spark 3.4+ infers `yyyy-MM-dd` as date): string;
 * - integral literals beyond long (Spark: decimal(p,0)) and decimals are double;
 * - Java's parseDouble extras (surrounding blanks, hex floats, `1d`/`1f` suffixes) are string.
 * Doubles accept `[+-]?(d+[.d*]|.d+)([eE][+-]?d+)?`, `[+-]?NaN`, `[+-]?Infinity`, `Inf`, `-Inf`.
 */
import { KindlingError } from '../errors.js';
import type { ColumnType, Schema } from '../columnar/schema.js';
import type { InferPartial } from '../tasks.js';

/** Type codes, ordered so that the numeric ones widen upwards. */
export const T_NULL = 0;
export const T_INT = 1;
export const T_LONG = 2;
export const T_DOUBLE = 3;
export const T_BOOLEAN = 4;
export const T_STRING = 5;

const TYPE_NAMES: readonly (ColumnType | null)[] = [null, 'int', 'long', 'double', 'boolean', 'string'];

/** Name of a type code (null for T_NULL). */
export function typeName(code: number): ColumnType | null {
  return TYPE_NAMES[code] ?? null;
}

/** Code of a column type. */
export function typeCode(t: ColumnType | null): number {
  switch (t) {
    case null:
      return T_NULL;
    case 'int':
      return T_INT;
    case 'long':
      return T_LONG;
    case 'double':
      return T_DOUBLE;
    case 'boolean':
      return T_BOOLEAN;
    default:
      return T_STRING;
  }
}

/** Widening join of two type codes (Spark's compatibleType, incompatible → string). */
export function joinTypes(a: number, b: number): number {
  if (a === b || b === T_NULL) return a;
  if (a === T_NULL) return b;
  if (a <= T_DOUBLE && b <= T_DOUBLE) return a > b ? a : b;
  return T_STRING;
}

const INT_MAX = 2147483647;
const LONG_MAX_DIGITS = '9223372036854775807';
const LONG_MIN_DIGITS = '9223372036854775808';
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MINUS = 0x2d;
const PLUS = 0x2b;

/**
 * Width of the optional sign at buf[p] within a field ending at e: 1 for `+` or `-`, else 0.
 * Every numeric spelling (and the NaN token, and an exponent) allows one; whether it is a
 * minus is `buf[p] === MINUS`.
 */
function signWidth(buf: Uint8Array, p: number, e: number): number {
  if (p >= e) return 0;
  const c = buf[p];
  return c === MINUS || c === PLUS ? 1 : 0;
}

/** Latin-1 text of buf[s, e): only used on rare paths (long tails, inexact decimals, messages). */
export function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let p = s; p < e; p++) out += String.fromCharCode(buf[p]!);
  return out;
}

/**
 * Integer literal `[+-]?digits` within 32-bit range → its value; otherwise NaN.
 * No leading/trailing blanks (Java's Integer.parseInt rules).
 */
export function parseIntField(buf: Uint8Array, s: number, e: number): number {
  const neg = buf[s] === MINUS;
  let p = s + signWidth(buf, s, e);
  if (p >= e) return NaN;
  let v = 0;
  const limit = neg ? INT_MAX + 1 : INT_MAX;
  while (p < e) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
    if (v > limit) return NaN;
    p++;
  }
  return neg ? 0 - v : v;
}

/** Integer literal within 64-bit range → its value (rounded to double); otherwise NaN. */
export function parseLongField(buf: Uint8Array, s: number, e: number): number {
  const neg = buf[s] === MINUS;
  let p = s + signWidth(buf, s, e);
  if (p >= e) return NaN;
  let v = 0;
  let sig = 0;
  let firstSig = -1;
  while (p < e) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    if (sig > 0 || d !== 0) {
      if (sig === 0) firstSig = p;
      sig++;
      if (sig > 19) return NaN;
      v = v * 10 + d;
    }
    p++;
  }
  if (sig <= 15) return neg ? 0 - v : v;
  // Beyond 2^53 the digit loop may round; check the range exactly and let Number round once.
  const digits = latin1(buf, firstSig, e);
  if (sig === 19 && digits > (neg ? LONG_MIN_DIGITS : LONG_MAX_DIGITS)) return NaN;
  const r = Number(digits);
  return neg ? 0 - r : r;
}

/**
 * Double literal or special token → its value, correctly rounded; NaN when it does not parse
 * (a literal `NaN` also gives NaN: tell them apart with isNaNToken).
 */
export function parseDoubleField(buf: Uint8Array, s: number, e: number): number {
  const neg = buf[s] === MINUS;
  const body = s + signWidth(buf, s, e);
  let p = body;
  if (p >= e) return NaN;
  if (buf[p] === 0x49 /* I */) {
    // Infinity with any sign; Inf only bare or negative (Spark's positiveInf/negativeInf).
    const len = e - p;
    if (len === 8 && matchAscii(buf, p, 'Infinity')) return neg ? -Infinity : Infinity;
    if (len === 3 && matchAscii(buf, p, 'Inf') && (neg || body === s)) return neg ? -Infinity : Infinity;
    return NaN;
  }
  let m = 0;
  let sig = 0;
  let digits = 0;
  let exp = 0;
  while (p < e) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) break;
    digits++;
    if (sig > 0 || d !== 0) {
      sig++;
      if (sig <= 15) m = m * 10 + d;
      else exp++;
    }
    p++;
  }
  if (p < e && buf[p] === 0x2e) {
    p++;
    while (p < e) {
      const d = buf[p]! - 0x30;
      if (d < 0 || d > 9) break;
      digits++;
      if (sig > 0 || d !== 0) {
        sig++;
        if (sig <= 15) {
          m = m * 10 + d;
          exp--;
        }
      } else {
        exp--;
      }
      p++;
    }
  }
  if (digits === 0) return NaN;
  if (p < e) {
    const x = buf[p];
    if (x !== 0x65 && x !== 0x45) return NaN;
    p++;
    const eneg = p < e && buf[p] === MINUS;
    p += signWidth(buf, p, e);
    if (p >= e) return NaN;
    let ev = 0;
    while (p < e) {
      const d = buf[p]! - 0x30;
      if (d < 0 || d > 9) return NaN;
      if (ev < 100000) ev = ev * 10 + d;
      p++;
    }
    exp += eneg ? -ev : ev;
  }
  let r: number;
  if (sig <= 15 && exp >= -22 && exp <= 22) {
    // Both operands are exact doubles, so one IEEE operation rounds correctly (Clinger).
    r = exp >= 0 ? m * POW10[exp]! : m / POW10[-exp]!;
  } else if (m === 0) {
    r = 0;
  } else {
    r = Number(latin1(buf, body, e));
  }
  return neg ? -r : r;
}

/** True for `[+-]?NaN`, which parseDoubleField maps to NaN on purpose. */
export function isNaNToken(buf: Uint8Array, s: number, e: number): boolean {
  const p = s + signWidth(buf, s, e);
  return e - p === 3 && matchAscii(buf, p, 'NaN');
}

/** `true`/`false` in any letter case → 1/0; otherwise NaN. */
export function parseBooleanField(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 4 && matchLower(buf, s, 'true')) return 1;
  if (n === 5 && matchLower(buf, s, 'false')) return 0;
  return NaN;
}

/**
 * The narrowest type code that holds the (non-null) value buf[s, e): what Spark's
 * inferField would find starting from the null type.
 */
export function classifyField(buf: Uint8Array, s: number, e: number): number {
  if (!Number.isNaN(parseIntField(buf, s, e))) return T_INT;
  if (!Number.isNaN(parseLongField(buf, s, e))) return T_LONG;
  if (!Number.isNaN(parseDoubleField(buf, s, e)) || isNaNToken(buf, s, e)) return T_DOUBLE;
  if (!Number.isNaN(parseBooleanField(buf, s, e))) return T_BOOLEAN;
  return T_STRING;
}

/**
 * Merges per-partition inference results, in partition order, into the table schema:
 * per column the widening join of the partition types; a column never seen non-null is string.
 */
export function mergeInferPartials(partials: readonly InferPartial[], columnNames: readonly string[]): Schema {
  const codes = new Array<number>(columnNames.length).fill(T_NULL);
  for (const [pi, part] of partials.entries()) {
    if (part.types.length !== columnNames.length) {
      throw new KindlingError(
        'E_INTERNAL',
        `inference result of partition ${pi} has ${part.types.length} columns, expected ${columnNames.length}`,
        { partition: pi },
      );
    }
    part.types.forEach((t, i) => {
      codes[i] = joinTypes(codes[i]!, typeCode(t));
    });
  }
  return columnNames.map((name, i) => ({ name, type: typeName(codes[i]!) ?? 'string' }));
}

function matchAscii(buf: Uint8Array, p: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  return true;
}

function matchLower(buf: Uint8Array, p: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if ((buf[p + i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}
