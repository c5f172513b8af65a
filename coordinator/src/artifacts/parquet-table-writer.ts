/**
 * Column-wise Parquet table writer: the caller hands over whole columns (typed arrays, string
 * arrays, per-row arrays or dense vectors) and gets one file in the layout Spark itself writes —
 * Spark SQL types, Spark's 3-level LIST arrays, VectorUDT structs, and the Spark schema JSON in
 * the footer (`org.apache.spark.sql.parquet.row.metadata`, which is how Spark knows a struct is a
 * Vector). `kindling predict` writes its part files (pass-through string columns, probability
 * vectors) through it, and the PipelineModel writer its stage data (StringIndexer labels).
 * Columns become Dremel levels and values here, row group by row group, and go to the home-made
 * writer (parquet-file-writer.ts; kept over hyparquet-writer by the 2× rule, numbers in its
 * header). Failures become an OutputError naming the file, and the partial file is removed.
 */
import { KindlingError, OutputError } from '@kindling/shared/compute';
import { ParquetFileWriter, type ParquetCodec, type ParquetColumnData, type ParquetNode } from './parquet-file-writer.js';
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
  /**
   * Spark `nullable` of the field. Default: true when `nulls` is given or `values` holds a null,
   * else false; arrays and vectors are always nullable, as Spark writes them.
   */
  readonly nullable?: boolean;
}

/** Codecs of the table writer (SNAPPY is literal-only: valid, but it does not shrink anything). */
export type TableCodec = ParquetCodec;

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

/** Writes `columns` (all the same number of rows) to `file`. */
export async function writeParquetTable(file: string, columns: readonly TableColumn[], options: TableOptions = {}): Promise<void> {
  const fail = (message: string): never => {
    throw new OutputError(`cannot write Parquet file ${file}: ${message}`, file);
  };
  const numRows = columns.length === 0 ? 0 : rowCount(columns[0]!, fail);
  const codec: ParquetCodec = options.codec ?? 'SNAPPY';
  const nodes: ParquetNode[] = [];
  const fields: SparkField[] = [];
  const nullables: boolean[] = [];
  for (const column of columns) {
    if (rowCount(column, fail) !== numRows) fail(`column ${column.name} has ${rowCount(column, fail)} rows, expected ${numRows}`);
    if (column.nulls !== undefined && column.nulls.length !== numRows)
      fail(`column ${column.name} has ${column.nulls.length} null flags for ${numRows} rows`);
    const nullable = isNullable(column);
    nullables.push(nullable);
    nodes.push(parquetNode(column, nullable, codec));
    fields.push({ name: column.name, type: sparkType(column.type), nullable, metadata: {} });
  }
  const metadata: Record<string, string> = {
    ...(options.sparkVersion !== undefined ? { [SPARK_VERSION_METADATA_KEY]: options.sparkVersion } : {}),
    [SPARK_ROW_METADATA_KEY]: JSON.stringify({ type: 'struct', fields }),
    ...options.footer,
  };
  const writer = await ParquetFileWriter.open(file, nodes, { metadata, gzipLevel: 1 });
  try {
    const step = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP_ROWS);
    // An empty table still gets one (empty) row group, so every reader sees the schema.
    for (let start = 0; start < numRows || (start === 0 && numRows === 0); start += step) {
      const end = Math.min(numRows, start + step);
      await writer.writeRowGroup(
        end - start,
        columns.flatMap((c, i) => leafData(c, nullables[i]!, start, end, fail)),
      );
      if (numRows === 0) break;
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    if (err instanceof KindlingError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot write Parquet file ${file}: ${message}`, file, { cause: err });
  }
}

function rowCount(column: TableColumn, fail: (message: string) => never): number {
  if (column.type !== 'vector') return column.values.length;
  const size = column.size ?? -1;
  if (!Number.isInteger(size) || size < 1) fail(`vector column ${column.name} needs a size >= 1`);
  if (column.values.length % size !== 0)
    fail(`vector column ${column.name}: ${column.values.length} values is not a multiple of size ${size}`);
  return column.values.length / size;
}

function isNullable(column: TableColumn): boolean {
  if (column.type === 'vector' || column.type.endsWith('-array')) return true;
  // A plain array may hold nulls itself (typed arrays cannot).
  return (
    column.nullable ??
    (column.nulls !== undefined || (Array.isArray(column.values) && column.values.some((v) => v === null || v === undefined)))
  );
}

/** Spark's Parquet schema for the column (parquet-mr's standard, non-legacy layout). */
function parquetNode(column: TableColumn, nullable: boolean, compression: ParquetCodec): ParquetNode {
  const repetition = nullable ? 'OPTIONAL' : 'REQUIRED';
  const leaf = (
    name: string,
    type: ParquetNode['type'],
    rep: ParquetNode['repetition'],
    annotation?: ParquetNode['annotation'],
  ): ParquetNode => ({
    name,
    repetition: rep,
    type,
    compression,
    ...(annotation !== undefined ? { annotation } : {}),
    // Min/max let readers skip row groups; list elements turn them off below (they help no reader).
    statistics: true,
  });
  const list = (name: string, element: ParquetNode): ParquetNode => ({
    name,
    repetition: 'OPTIONAL',
    annotation: 'LIST',
    children: [{ name: 'list', repetition: 'REPEATED', children: [element] }],
  });
  switch (column.type) {
    case 'double':
      return leaf(column.name, 'DOUBLE', repetition);
    case 'long':
      return leaf(column.name, 'INT64', repetition);
    case 'int':
      return leaf(column.name, 'INT32', repetition);
    case 'boolean':
      return leaf(column.name, 'BOOLEAN', repetition);
    case 'string':
      return leaf(column.name, 'BYTE_ARRAY', repetition, 'UTF8');
    case 'int-array':
      return list(column.name, { ...leaf('element', 'INT32', 'REQUIRED'), statistics: false });
    case 'string-array':
      return list(column.name, { ...leaf('element', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'), statistics: false });
    case 'string-array-array':
      return list(column.name, list('element', { ...leaf('element', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'), statistics: false }));
    case 'vector':
      return {
        name: column.name,
        repetition: 'OPTIONAL',
        children: [
          { ...leaf('type', 'INT32', 'REQUIRED', 'INT_8') },
          { ...leaf('size', 'INT32', 'OPTIONAL') },
          list('indices', { ...leaf('element', 'INT32', 'REQUIRED'), statistics: false }),
          list('values', { ...leaf('element', 'DOUBLE', 'REQUIRED'), statistics: false }),
        ],
      };
  }
}

/** Rows start..end-1 of the column as its leaf columns' data (values and Dremel levels). */
function leafData(
  column: TableColumn,
  nullable: boolean,
  start: number,
  end: number,
  fail: (message: string) => never,
): ParquetColumnData[] {
  const n = end - start;
  const { nulls } = column;
  switch (column.type) {
    case 'double':
    case 'long':
    case 'int':
    case 'boolean':
    case 'string': {
      const values = column.values as ArrayLike<unknown> & {
        subarray?: (a: number, b: number) => ArrayLike<unknown>;
        slice: (a: number, b: number) => ArrayLike<unknown>;
      };
      if (!nullable) {
        if (nulls !== undefined) fail(`column ${column.name} has null flags but is not nullable`);
        const slice = typeof values.subarray === 'function' ? values.subarray(start, end) : values.slice(start, end);
        return [{ values: slice as ParquetColumnData['values'] }];
      }
      const definitionLevels = new Uint8Array(n);
      const kept: unknown[] = [];
      for (let r = start; r < end; r++) {
        const v = values[r];
        if (nulls?.[r] || v === null || v === undefined) continue;
        definitionLevels[r - start] = 1;
        kept.push(v);
      }
      return [{ values: kept as ParquetColumnData['values'], definitionLevels }];
    }
    case 'vector': {
      // Spark's dense vector: type 1, size and indices null, values the `size` doubles.
      const size = column.size!;
      const flat = column.values instanceof Float64Array ? column.values : Float64Array.from(column.values as ArrayLike<number>);
      const values = flat.subarray(start * size, end * size);
      const vDef = new Uint8Array(n * size).fill(3);
      const vRep = new Uint8Array(n * size).fill(1);
      for (let r = 0; r < n; r++) vRep[r * size] = 0;
      return [
        { values: new Int32Array(n).fill(1), definitionLevels: new Uint8Array(n).fill(1) },
        { values: new Int32Array(0), definitionLevels: new Uint8Array(n).fill(1) },
        { values: new Int32Array(0), definitionLevels: new Uint8Array(n).fill(1), repetitionLevels: new Uint8Array(n) },
        { values, definitionLevels: vDef, repetitionLevels: vRep },
      ];
    }
    case 'int-array':
    case 'string-array': {
      // optional group (LIST) { repeated group list { <element> } }: null row 0, empty 1, element 2 (3 when the element is optional and set).
      const optionalElement = column.type === 'string-array';
      const rows = column.values as readonly (readonly unknown[] | null)[];
      const def: number[] = [];
      const rep: number[] = [];
      const values: unknown[] = [];
      for (let r = start; r < end; r++) {
        const row = rows[r];
        if (row === null || row === undefined) {
          def.push(0);
          rep.push(0);
          continue;
        }
        if (row.length === 0) {
          def.push(1);
          rep.push(0);
          continue;
        }
        row.forEach((v, j) => {
          rep.push(j === 0 ? 0 : 1);
          if (v === null || v === undefined) {
            if (!optionalElement) fail(`column ${column.name}, row ${r}: null element in an array of non-null ints`);
            def.push(2);
          } else {
            def.push(optionalElement ? 3 : 2);
            values.push(v);
          }
        });
      }
      return [{ values: values as ParquetColumnData['values'], definitionLevels: def, repetitionLevels: rep }];
    }
    case 'string-array-array': {
      // Levels: outer null 0, outer empty 1, inner null 2, inner empty 3, element null 4, element 5;
      // repetition 0 at a row start, 1 at a new inner list, 2 within an inner list.
      const rows = column.values as readonly (readonly (readonly (string | null)[] | null)[] | null)[];
      const def: number[] = [];
      const rep: number[] = [];
      const values: string[] = [];
      for (let r = start; r < end; r++) {
        const row = rows[r];
        if (row === null || row === undefined || row.length === 0) {
          def.push(row ? 1 : 0);
          rep.push(0);
          continue;
        }
        row.forEach((inner, k) => {
          const first = k === 0 ? 0 : 1;
          if (inner === null || inner === undefined || inner.length === 0) {
            def.push(inner ? 3 : 2);
            rep.push(first);
            return;
          }
          inner.forEach((v, j) => {
            rep.push(j === 0 ? first : 2);
            if (v === null || v === undefined) def.push(4);
            else {
              def.push(5);
              values.push(v);
            }
          });
        });
      }
      return [{ values, definitionLevels: def, repetitionLevels: rep }];
    }
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
