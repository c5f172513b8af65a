/**
 * Maps a Parquet file's schema (from its footer, as hyparquet parses it) onto Kindling's
 * column types, the same five a CSV inference gives: INT32 → int, INT64 → long, FLOAT and
 * DOUBLE → double, BOOLEAN → boolean, UTF8/STRING/ENUM byte arrays → string; DECIMAL → double,
 * DATE → string `YYYY-MM-DD`, TIMESTAMP (and INT96) → an ISO-8601 string (see
 * parquet-values.ts). Anything else — nested groups, LIST, MAP, repeated fields, non-UTF-8
 * binary, TIME, INTERVAL, FLOAT16, UUID — is an E_INPUT_FORMAT error naming the file and the
 * column, raised on the driver when it plans the input, before any task runs.
 */
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { hyparquet } from './hyparquet-library.js';
import { DataError } from '../errors.js';
import type { ColumnType, Schema } from '../columnar/schema.js';

/** How a Parquet column's values become Kindling values. */
export type ParquetValueKind = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'date' | 'timestamp';

/** One top-level column of a Parquet file, with its Kindling type. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly kind: ParquetValueKind;
  /** timestamp: digits of the fraction (3 millis, 6 micros, 9 nanos). */
  readonly fractionDigits?: 3 | 6 | 9;
  /** timestamp: an instant (UTC, written with a `Z`) rather than a local date-time. */
  readonly utc?: boolean;
}

function unsupported(file: string, column: string, what: string): DataError {
  return new DataError(
    'E_INPUT_FORMAT',
    `${file}: column ${JSON.stringify(column)} has an unsupported Parquet type (${what}); Kindling reads flat columns of ` +
      'integers, floating point, decimals, booleans, UTF-8 strings, dates and timestamps (drop or cast the column when writing the file)',
    { file, column, parquetType: what },
  );
}

/** The Kindling columns of a Parquet file, in schema order; throws E_INPUT_FORMAT naming `file` and the first unsupported column. */
export function parquetColumns(metadata: FileMetaData, file: string): ParquetColumn[] {
  const tree = hyparquet().parquetSchema(metadata);
  return tree.children.map((child) => {
    const e = child.element;
    if (child.children.length > 0) {
      const lt = e.logical_type?.type ?? e.converted_type;
      throw unsupported(file, e.name, lt === 'LIST' || lt === 'MAP' || lt === 'MAP_KEY_VALUE' ? String(lt) : 'nested group');
    }
    if (e.repetition_type === 'REPEATED') throw unsupported(file, e.name, `repeated ${e.type ?? 'field'}`);
    return columnOf(e, file);
  });
}

function columnOf(e: SchemaElement, file: string): ParquetColumn {
  const name = e.name;
  const lt = e.logical_type;
  const ct = e.converted_type;
  const col = (type: ColumnType, kind: ParquetValueKind): ParquetColumn => ({ name, type, kind });
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') return col('double', 'double');
  if (lt?.type === 'TIMESTAMP' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || e.type === 'INT96') {
    const unit = lt?.type === 'TIMESTAMP' ? lt.unit : ct === 'TIMESTAMP_MILLIS' ? 'MILLIS' : ct === 'TIMESTAMP_MICROS' ? 'MICROS' : 'NANOS';
    const utc = lt?.type === 'TIMESTAMP' ? lt.isAdjustedToUTC : true;
    return { name, type: 'string', kind: 'timestamp', fractionDigits: unit === 'MILLIS' ? 3 : unit === 'MICROS' ? 6 : 9, utc };
  }
  if (ct === 'DATE' || lt?.type === 'DATE') return col('string', 'date');
  if (lt !== undefined && !(lt.type === 'INTEGER' || lt.type === 'STRING' || lt.type === 'ENUM')) throw unsupported(file, name, lt.type);
  if (ct !== undefined && (ct.startsWith('TIME_') || ct === 'INTERVAL' || ct === 'JSON' || ct === 'BSON'))
    throw unsupported(file, name, ct);
  switch (e.type) {
    case 'BOOLEAN':
      return col('boolean', 'boolean');
    case 'INT32':
      // An unsigned 32-bit value may not fit Spark's int: read it as long.
      return ct === 'UINT_32' || (lt?.type === 'INTEGER' && !lt.isSigned && lt.bitWidth === 32) ? col('long', 'long') : col('int', 'int');
    case 'INT64':
      return col('long', 'long');
    case 'FLOAT':
    case 'DOUBLE':
      return col('double', 'double');
    case 'BYTE_ARRAY':
      if (ct === 'UTF8' || ct === 'ENUM' || lt?.type === 'STRING' || lt?.type === 'ENUM') return col('string', 'string');
      throw unsupported(file, name, 'BYTE_ARRAY without a UTF8/STRING annotation (binary)');
    default:
      throw unsupported(file, name, String(e.type ?? 'group'));
  }
}

/** The Kindling schema of the columns. */
export function schemaOfColumns(columns: readonly ParquetColumn[]): Schema {
  return columns.map((c) => ({ name: c.name, type: c.type }));
}

/** Describes the first difference between two files' columns, or undefined when they agree (names and types). */
export function columnsDiffer(expected: readonly ParquetColumn[], found: readonly ParquetColumn[]): string | undefined {
  const show = (cs: readonly ParquetColumn[]) => cs.map((c) => `${c.name}: ${c.kind}`).join(', ');
  const same = expected.length === found.length && expected.every((c, i) => c.name === found[i]!.name && c.kind === found[i]!.kind);
  return same ? undefined : `expected columns [${show(expected)}], found [${show(found)}]`;
}
