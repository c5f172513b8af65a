/**
 * Column-wise Parquet table writer on the kept library (hyparquet-writer): the caller hands over
 * whole columns (typed arrays, string arrays, per-row arrays or dense vectors) and gets one file
 * in the layout Spark itself writes — Spark SQL types, Spark's 3-level LIST arrays, VectorUDT
 * structs, and the Spark schema JSON in the footer (`org.apache.spark.sql.parquet.row.metadata`,
 * which is how Spark knows a struct is a Vector). It is the one writer for string columns
 * (StringIndexer labels, `kindling predict` pass-through columns): the home-made writer
 * (parquet-file-writer.ts) has no BYTE_ARRAY leaves. Failures become an OutputError naming the
 * file, and the partial file is removed.
 */
import { promises as fs } from 'node:fs';
import * as zlib from 'node:zlib';
import { OutputError } from '@kindling/shared/compute';
import { parquetWriteFile, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { SPARK_ROW_METADATA_KEY, SPARK_VERSION_METADATA_KEY, VECTOR_UDT, type SparkField, type SparkType } from './spark-parquet.js';

/** Column kinds writeParquetTable() understands. */
export type TableColumnType =
  | 'double'
  | 'long'
  | 'int'
  | 'boolean'
  | 'string'
  /** Spark VectorUDT, dense: `values` holds numRows × `size` doubles, row-major. */
  | 'vector'
  /** array<int> per row (`values` is one number[] per row). */
  | 'int-array'
  /** array<string> per row. */
  | 'string-array'
  /** array<array<string>> per row (StringIndexerModel's labelsArray). */
  | 'string-array-array';

/** One column of a table. `nulls[r] = 1` marks row r null (scalar kinds only). */
export interface TableColumn {
  readonly name: string;
  readonly type: TableColumnType;
  readonly values:
    | Float64Array
    | Int32Array
    | BigInt64Array
    | readonly number[]
    | readonly bigint[]
    | readonly boolean[]
    | readonly (string | null)[]
    | readonly (readonly number[])[]
    | readonly (readonly (string | null)[])[]
    | readonly (readonly (readonly (string | null)[])[])[];
  readonly nulls?: Uint8Array;
  /** Vector length of a 'vector' column. */
  readonly size?: number;
  /** Spark `nullable` of the field (default: true when `nulls` is given, else false for scalars; arrays and vectors are always nullable, as Spark writes them). */
  readonly nullable?: boolean;
}

/** Codecs of the table writer. */
export type TableCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP';

/** How a table file is written. */
export interface TableOptions {
  /** Default SNAPPY (Spark's default). */
  readonly codec?: TableCodec;
  /** Rows per row group (default 65,536). */
  readonly rowGroupSize?: number;
  /** Written as `org.apache.spark.version` in the footer when given. */
  readonly sparkVersion?: string;
  /** Extra footer key/values. */
  readonly footer?: Readonly<Record<string, string>>;
}

const DEFAULT_ROW_GROUP_ROWS = 65_536;
const GZIP = (input: Uint8Array): Uint8Array => zlib.gzipSync(input, { level: 1 });

/** Writes `columns` (all the same number of rows) to `file`. */
export async function writeParquetTable(file: string, columns: readonly TableColumn[], options: TableOptions = {}): Promise<void> {
  try {
    const numRows = columns.length === 0 ? 0 : rowCount(columns[0]!);
    const schema: SchemaElement[] = [{ name: 'spark_schema', num_children: columns.length }];
    const columnData: ColumnSource[] = [];
    const fields: SparkField[] = [];
    for (const column of columns) {
      if (rowCount(column) !== numRows) throw new Error(`column ${column.name} has ${rowCount(column)} rows, expected ${numRows}`);
      const nullable = isNullable(column);
      schema.push(...schemaElements(column, nullable));
      columnData.push({ name: column.name, data: columnValues(column) as ColumnSource['data'] });
      fields.push({ name: column.name, type: sparkType(column.type), nullable, metadata: {} });
    }
    const kvMetadata = [
      ...(options.sparkVersion !== undefined ? [{ key: SPARK_VERSION_METADATA_KEY, value: options.sparkVersion }] : []),
      { key: SPARK_ROW_METADATA_KEY, value: JSON.stringify({ type: 'struct', fields }) },
      ...Object.entries(options.footer ?? {}).map(([key, value]) => ({ key, value })),
    ];
    parquetWriteFile({
      filename: file,
      columnData,
      schema,
      codec: options.codec ?? 'SNAPPY',
      compressors: { GZIP },
      rowGroupSize: Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP_ROWS),
      kvMetadata,
      createdBy: 'kindling version 0.1.0',
    });
  } catch (err) {
    await fs.rm(file, { force: true }).catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot write Parquet file ${file}: ${message}`, file, { cause: err });
  }
}

function rowCount(column: TableColumn): number {
  if (column.type === 'vector') {
    const size = column.size ?? 0;
    if (!Number.isInteger(size) || size < 0) throw new Error(`vector column ${column.name} needs an integer size`);
    return size === 0 ? 0 : column.values.length / size;
  }
  return column.values.length;
}

function isNullable(column: TableColumn): boolean {
  if (column.type === 'vector' || column.type.endsWith('-array')) return true;
  return column.nullable ?? column.nulls !== undefined;
}

/** Spark's Parquet schema for the column (parquet-mr's standard, non-legacy layout). */
function schemaElements(column: TableColumn, nullable: boolean): SchemaElement[] {
  const repetition = nullable ? 'OPTIONAL' : 'REQUIRED';
  const list = (name: string, elements: SchemaElement[]): SchemaElement[] => [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    ...elements,
  ];
  switch (column.type) {
    case 'double':
      return [{ name: column.name, type: 'DOUBLE', repetition_type: repetition }];
    case 'long':
      return [{ name: column.name, type: 'INT64', repetition_type: repetition }];
    case 'int':
      return [{ name: column.name, type: 'INT32', repetition_type: repetition }];
    case 'boolean':
      return [{ name: column.name, type: 'BOOLEAN', repetition_type: repetition }];
    case 'string':
      return [{ name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition }];
    case 'int-array':
      return list(column.name, [{ name: 'element', type: 'INT32', repetition_type: 'REQUIRED' }]);
    case 'string-array':
      return list(column.name, [{ name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }]);
    case 'string-array-array':
      return [
        { name: column.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...list('element', [{ name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }]),
      ];
    case 'vector':
      return [
        { name: column.name, repetition_type: 'OPTIONAL', num_children: 4 },
        { name: 'type', type: 'INT32', converted_type: 'INT_8', repetition_type: 'REQUIRED' },
        { name: 'size', type: 'INT32', repetition_type: 'OPTIONAL' },
        ...list('indices', [{ name: 'element', type: 'INT32', repetition_type: 'REQUIRED' }]),
        ...list('values', [{ name: 'element', type: 'DOUBLE', repetition_type: 'REQUIRED' }]),
      ];
  }
}

/** The column as hyparquet-writer takes it: flat arrays for scalars, one JS value per row for nested kinds. */
function columnValues(column: TableColumn): unknown[] | Float64Array | Int32Array | BigInt64Array {
  const { values, nulls } = column;
  switch (column.type) {
    case 'long': {
      // INT64 leaves take bigints; a Float64Array of row ids converts here.
      const out = new Array<bigint | null>(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number | bigint;
        out[i] = nulls?.[i] ? null : typeof v === 'bigint' ? v : BigInt(v);
      }
      return out;
    }
    case 'double':
    case 'int':
    case 'boolean':
    case 'string': {
      if (nulls === undefined) return values as unknown[] | Float64Array | Int32Array;
      const out = Array.from(values as ArrayLike<unknown>);
      for (let i = 0; i < out.length; i++) if (nulls[i]) out[i] = null;
      return out;
    }
    case 'vector': {
      // Spark's dense vector: type 1, size and indices null, values the K doubles.
      const size = column.size ?? 0;
      const flat = values as Float64Array;
      const n = rowCount(column);
      const out = new Array<unknown>(n);
      for (let r = 0; r < n; r++)
        out[r] = { type: 1, size: null, indices: null, values: Array.from(flat.subarray(r * size, (r + 1) * size)) };
      return out;
    }
    default:
      return Array.from(values as ArrayLike<unknown>);
  }
}

function sparkType(type: TableColumnType): SparkType {
  switch (type) {
    case 'double':
      return 'double';
    case 'long':
      return 'long';
    case 'int':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'vector':
      return VECTOR_UDT;
    case 'int-array':
      return { type: 'array', elementType: 'integer', containsNull: false };
    case 'string-array':
      return { type: 'array', elementType: 'string', containsNull: true };
    case 'string-array-array':
      return { type: 'array', elementType: { type: 'array', elementType: 'string', containsNull: true }, containsNull: true };
  }
}
