import type { KitType } from '../wire/schema-kit.js';

/**
 * Column types as Spark's CSV inferSchema names them. int, long, double and boolean are all
 * stored as Float64 (boolean as 0/1); long values beyond 2^53 lose precision, which is fine
 * for ML features and documented.
 */
export type ColumnType = KitType<'columnType'>;

/** One column of a schema. Every field is nullable, as in Spark's CSV source. */
export type Field = KitType<'field'>;

/** An ordered list of fields, in file order. */
export type Schema = KitType<'schema'>;

/** True for the types stored as numbers (everything but string). */
export function isNumericType(t: ColumnType): boolean {
  return t !== 'string';
}
