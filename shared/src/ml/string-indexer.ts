/**
 * StringIndexer fitting on the driver: merges the per-partition value counts of a string
 * column (LoadPartial → StringColumnStats) and orders the distinct values into labels
 * (index = position), as Spark 3.x's StringIndexer does. The driver calls these after the
 * load stage; the encode kernel then maps values to indices with the resulting labels.
 *
 * Value order. Spark 3.x sorts the collected label strings on the JVM: the frequency orders
 * break ties with Scala's `strA < strB` and the alphabet orders use `.sorted`, both Java
 * `String.compareTo`, i.e. UTF-16 code-unit order — the same as JS `<` on strings. That
 * differs from UTF-8 byte (code point) order only between a supplementary character
 * (U+10000 and up, a surrogate pair) and a character in U+E000–U+FFFF. Both orders are
 * offered; 'utf16' (Spark's) is the default.
 */
import { KindlingError } from '../errors.js';
import type { StringColumnStats } from '../tasks.js';

/** Spark's `stringOrderType`. */
export type StringOrderType = 'frequencyDesc' | 'frequencyAsc' | 'alphabetDesc' | 'alphabetAsc';

/**
 * How two label strings compare: 'utf16' = Java String.compareTo (what Spark 3.x does),
 * 'utf8' = unsigned UTF-8 bytes (= Unicode code point order, Spark SQL's string order).
 */
export type LabelCollation = 'utf16' | 'utf8';

/** Compares two strings by UTF-16 code units (Java `String.compareTo`, JS `<`). */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two strings as their unsigned UTF-8 bytes would compare, without encoding them:
 * UTF-8 byte order equals code point order, which differs from UTF-16 code-unit order only
 * where a surrogate (D800–DFFF) meets a unit in E000–FFFF. At the first differing unit both
 * are shifted so that surrogates sort above E000–FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/**
 * Merges per-partition value counts of one string column, in the given (partition) order.
 * The map's iteration order is first appearance, so the result is deterministic.
 */
export function mergeStringStats(parts: readonly StringColumnStats[]): Map<string, number> {
  const merged = new Map<string, number>();
  for (const part of parts) {
    if (part.values.length !== part.counts.length) {
      throw new KindlingError('E_INTERNAL', `string column stats have ${part.values.length} values but ${part.counts.length} counts`);
    }
    for (let i = 0; i < part.values.length; i++) {
      const v = part.values[i]!;
      merged.set(v, (merged.get(v) ?? 0) + part.counts[i]!);
    }
  }
  return merged;
}

/**
 * Orders distinct values into StringIndexer labels (index = position), as Spark 3.x:
 * frequencyDesc = count descending then value ascending; frequencyAsc = count ascending then
 * value ascending; alphabetAsc / alphabetDesc = value order. `values` must be distinct.
 */
export function orderLabels(
  values: readonly string[],
  counts: readonly number[],
  orderType: StringOrderType,
  collation: LabelCollation = 'utf16',
): string[] {
  if (values.length !== counts.length) {
    throw new KindlingError('E_INTERNAL', `orderLabels: ${values.length} values but ${counts.length} counts`);
  }
  const cmp = collation === 'utf8' ? compareUtf8 : compareUtf16;
  const idx = values.map((_, i) => i);
  const byValue = (i: number, j: number): number => cmp(values[i]!, values[j]!);
  switch (orderType) {
    case 'frequencyDesc':
      idx.sort((i, j) => counts[j]! - counts[i]! || byValue(i, j));
      break;
    case 'frequencyAsc':
      idx.sort((i, j) => counts[i]! - counts[j]! || byValue(i, j));
      break;
    case 'alphabetAsc':
      idx.sort(byValue);
      break;
    case 'alphabetDesc':
      idx.sort((i, j) => byValue(j, i));
      break;
    default:
      throw new KindlingError('E_INTERNAL', `unknown string order type '${String(orderType)}'`);
  }
  return idx.map((i) => values[i]!);
}

/** StringIndexer labels of a merged value→count map (see orderLabels). */
export function labelsFromCounts(
  counts: ReadonlyMap<string, number>,
  orderType: StringOrderType,
  collation: LabelCollation = 'utf16',
): string[] {
  return orderLabels([...counts.keys()], [...counts.values()], orderType, collation);
}
