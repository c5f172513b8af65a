/**
 * The Parquet layout Spark itself writes, shared by the model, predictions and features
 * writers: Spark SQL schema JSON for the footer (`org.apache.spark.sql.parquet.row.metadata`,
 * which is how Spark knows a struct column is a Vector or Matrix), parquetjs-style field
 * definitions for Spark's standard 3-level LIST arrays and the VectorUDT/MatrixUDT structs, one
 * function that streams rows into a file (through parquet-file-writer.ts) and turns any failure
 * into an OutputError, and a small-file reader. parquetjs is loaded only by the reader, on first
 * use: the CLI's start, `--help` and every job that only writes do not pay ~0.3 s for it.
 */
import { promises as fs } from 'node:fs';
import type { FieldDefinition, ParquetCompression, SchemaDefinition } from '@dsnp/parquetjs';
import { KindlingError, OutputError } from '@kindling/shared/compute';
import { ParquetFileWriter } from './parquet-file-writer.js';
import { RecordShredder, parquetNodesFromDefinition } from './parquet-record-shredder.js';

/** Footer key under which Spark stores the table schema as JSON. */
export const SPARK_ROW_METADATA_KEY = 'org.apache.spark.sql.parquet.row.metadata';
/** Footer key under which Spark 3+ stores the writer's version. */
export const SPARK_VERSION_METADATA_KEY = 'org.apache.spark.version';
/** Scala class of Spark ML's vector type. */
export const VECTOR_UDT_CLASS = 'org.apache.spark.ml.linalg.VectorUDT';
/** Scala class of Spark ML's matrix type. */
export const MATRIX_UDT_CLASS = 'org.apache.spark.ml.linalg.MatrixUDT';

/** A Spark SQL data type in the JSON form of `DataType.json`. */
export type SparkType =
  | 'byte'
  | 'integer'
  | 'long'
  | 'double'
  | 'boolean'
  | 'string'
  | SparkStructType
  | { readonly type: 'array'; readonly elementType: SparkType; readonly containsNull: boolean }
  | { readonly type: 'udt'; readonly class: string; readonly pyClass: string; readonly sqlType: SparkType };

/** One StructField in Spark's JSON form (key order as Spark writes it). */
export interface SparkField {
  readonly name: string;
  readonly type: SparkType;
  readonly nullable: boolean;
  readonly metadata: Record<string, unknown>;
}

/** A StructType in Spark's JSON form. */
export interface SparkStructType {
  readonly type: 'struct';
  readonly fields: readonly SparkField[];
}

/** Builds a StructField. */
export function sparkField(name: string, type: SparkType, nullable: boolean): SparkField {
  return { name, type, nullable, metadata: {} };
}

/** Builds a StructType. */
export function sparkStruct(fields: readonly SparkField[]): SparkStructType {
  return { type: 'struct', fields };
}

function sparkArray(elementType: SparkType): SparkType {
  return { type: 'array', elementType, containsNull: false };
}

/** VectorUDT as Spark serialises it: struct<type: byte, size: int, indices: array<int>, values: array<double>>. */
export const VECTOR_UDT: SparkType = {
  type: 'udt',
  class: VECTOR_UDT_CLASS,
  pyClass: 'pyspark.ml.linalg.VectorUDT',
  sqlType: sparkStruct([
    sparkField('type', 'byte', false),
    sparkField('size', 'integer', true),
    sparkField('indices', sparkArray('integer'), true),
    sparkField('values', sparkArray('double'), true),
  ]),
};

/** MatrixUDT as Spark serialises it. */
export const MATRIX_UDT: SparkType = {
  type: 'udt',
  class: MATRIX_UDT_CLASS,
  pyClass: 'pyspark.ml.linalg.MatrixUDT',
  sqlType: sparkStruct([
    sparkField('type', 'byte', false),
    sparkField('numRows', 'integer', false),
    sparkField('numCols', 'integer', false),
    sparkField('colPtrs', sparkArray('integer'), true),
    sparkField('rowIndices', sparkArray('integer'), true),
    sparkField('values', sparkArray('double'), true),
    sparkField('isTransposed', 'boolean', false),
  ]),
};

/**
 * A nullable array<int|double> in Spark's standard (non-legacy) Parquet layout:
 * `optional group x (LIST) { repeated group list { required <type> element; } }`.
 * Statistics are off: min/max of list elements help no reader and cost a Set per page.
 */
export function parquetList(elementType: 'INT32' | 'DOUBLE', compression: ParquetCompression): FieldDefinition {
  return {
    type: 'LIST',
    optional: true,
    fields: { list: { repeated: true, fields: { element: { type: elementType, compression, statistics: false } } } },
  };
}

/** Parquet definition of a VectorUDT column (the struct itself is nullable, as in Spark). */
export function parquetVector(compression: ParquetCompression): FieldDefinition {
  return {
    optional: true,
    fields: {
      type: { type: 'INT_8', compression },
      size: { type: 'INT32', optional: true, compression },
      indices: parquetList('INT32', compression),
      values: parquetList('DOUBLE', compression),
    },
  };
}

/** Parquet definition of a MatrixUDT column. */
export function parquetMatrix(compression: ParquetCompression): FieldDefinition {
  return {
    optional: true,
    fields: {
      type: { type: 'INT_8', compression },
      numRows: { type: 'INT32', compression },
      numCols: { type: 'INT32', compression },
      colPtrs: parquetList('INT32', compression),
      rowIndices: parquetList('INT32', compression),
      values: parquetList('DOUBLE', compression),
      isTransposed: { type: 'BOOLEAN', compression },
    },
  };
}

/** The row value of a LIST column built by parquetList(). */
export interface ParquetListValue {
  list: { element: number }[];
}

/** Wraps numbers into the shape parquetjs shreds into a 3-level LIST. */
export function toParquetList(values: ArrayLike<number>): ParquetListValue {
  const list = new Array<{ element: number }>(values.length);
  for (let i = 0; i < values.length; i++) list[i] = { element: values[i] as number };
  return { list };
}

/**
 * Reads back an array column in any layout Spark or parquetjs produce: 3-level LIST
 * (`{ list: [{ element }] }`, `{ list: null }` when empty), legacy 2-level
 * (`{ array: [...] }`, `{ bag: [{ array_element }] }`) or a bare repeated field (a JS array).
 * Returns null for a null array.
 */
export function fromParquetList(value: unknown, where: string): number[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => toNumber(v, where));
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const inner = (value as Record<string, unknown>)[keys[0] as string];
      if (inner === null || inner === undefined) return [];
      if (Array.isArray(inner)) return inner.map((item) => toNumber(unwrapElement(item), where));
    }
  }
  throw new KindlingError('E_SCHEMA', `${where}: expected an array column, found ${describe(value)}`, { where });
}

function unwrapElement(item: unknown): unknown {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const values = Object.values(item);
    if (values.length === 1) return values[0];
  }
  return item;
}

/** Converts a parquetjs scalar (number or, for INT64, bigint) to a number. */
export function toNumber(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new KindlingError('E_SCHEMA', `${where}: expected a number, found ${describe(value)}`, { where });
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** How a file is written. */
export interface ParquetFileOptions {
  /** Rows buffered per row group: bounds the writer's memory. */
  readonly rowGroupSize: number;
  /** Extra footer key/values besides the Spark schema. */
  readonly footer?: Readonly<Record<string, string>>;
}

/**
 * Writes `rows` (consumed lazily, so memory stays at one row group) to `file` with the given
 * parquetjs-style schema and the Spark schema in the footer. Data pages are v1, as Spark writes
 * them. On failure the partial file is deleted; a KindlingError thrown by `rows` passes through,
 * anything else becomes an OutputError naming the file.
 */
export async function writeParquetFile(
  file: string,
  schema: SchemaDefinition,
  sparkSchema: SparkStructType,
  rows: Iterable<Record<string, unknown>>,
  options: ParquetFileOptions,
): Promise<void> {
  const nodes = parquetNodesFromDefinition(schema, file);
  const writer = await ParquetFileWriter.open(file, nodes, {
    metadata: { [SPARK_ROW_METADATA_KEY]: JSON.stringify(sparkSchema), ...options.footer },
  });
  try {
    const shredder = new RecordShredder(nodes, file);
    const groupRows = Math.max(1, options.rowGroupSize);
    for (const row of rows) {
      shredder.add(row);
      if (shredder.rowCount >= groupRows) {
        const group = shredder.take();
        await writer.writeRowGroup(group.numRows, group.columns);
      }
    }
    if (shredder.rowCount > 0) {
      const group = shredder.take();
      await writer.writeRowGroup(group.numRows, group.columns);
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    if (err instanceof KindlingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot write Parquet file ${file}: ${message}`, file, { cause: err });
  }
}

/** Writes a small text file (a `_SUCCESS` marker, a metadata line), as an OutputError on failure. */
export async function writeTextFile(file: string, text: string): Promise<void> {
  try {
    await fs.writeFile(file, text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot write ${file}: ${message}`, file, { cause: err });
  }
}

/** Creates a folder (and its parents), as an OutputError on failure. */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot create folder ${dir}: ${message}`, dir, { cause: err });
  }
}

/** Reads every row and the footer key/values of a (small) Parquet file. */
export async function readParquetFile(file: string): Promise<{
  rows: Record<string, unknown>[];
  footer: Record<string, string>;
}> {
  const { ParquetReader } = await import('@dsnp/parquetjs');
  let reader: Awaited<ReturnType<typeof ParquetReader.openFile>>;
  try {
    reader = await ParquetReader.openFile(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new KindlingError('E_IO', `cannot open Parquet file ${file}: ${message}`, { file }, { cause: err });
  }
  try {
    const footer: Record<string, string> = {};
    // parquetjs's getMetadata() throws on a file with no key/value metadata at all (DuckDB and
    // Arrow write none unless asked); such a file simply has an empty footer map.
    const kv = (reader.metadata as { key_value_metadata?: unknown } | undefined)?.key_value_metadata;
    if (Array.isArray(kv)) for (const [key, value] of Object.entries(reader.getMetadata())) footer[key] = String(value);
    const rows: Record<string, unknown>[] = [];
    const cursor = reader.getCursor();
    for (let row = await cursor.next(); row !== null && row !== undefined; row = await cursor.next()) {
      rows.push(row as Record<string, unknown>);
    }
    return { rows, footer };
  } catch (err) {
    if (err instanceof KindlingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new KindlingError('E_SCHEMA', `cannot read Parquet file ${file}: ${message}`, { file }, { cause: err });
  } finally {
    await reader.close().catch(() => undefined);
  }
}
