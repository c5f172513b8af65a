/**
 * Loads one Parquet partition (a run of row groups) into the same ColumnBatch and the same
 * column statistics as the CSV parser builds for a CSV partition, so every later op is
 * blind to the input format. Runs in the executor's worker threads; pure apart from its
 * input, the partition's bytes as partition-bytes.ts lays them out: the row groups' span
 * [start, end) followed by the file's footer.
 *
 * Decoding is hyparquet's, column chunk by column chunk (synchronous: the bytes are already
 * in memory), with hyparquet-compressors for snappy, gzip, zstd, brotli and lz4 pages.
 * Values are kept raw (byte arrays, day counts, timestamp units) and converted here: strings
 * go straight from their UTF-8 bytes into the column's dictionary, as the CSV parser's do.
 */
import { parquetSchema, type ColumnChunk, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readColumn } from 'hyparquet/src/column.js';
import { getTreePath } from 'hyparquet/src/schema.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { KindlingError } from '../errors.js';
import type { Schema } from '../columnar/schema.js';
import type { Column, ColumnBatch } from '../columnar/column-batch.js';
import { sharedFloat64, sharedInt32, sharedUint8 } from '../columnar/shared-arrays.js';
import { numericStats } from '../csv/csv-partition-parser.js';
import { StringDictionaryBuilder } from '../csv/string-dictionary-builder.js';
import type { ColumnStats, LoadPartial, PartitionSource } from '../tasks.js';
import { chunkStart, parseParquetFooter } from './parquet-footer.js';
import { parquetColumns, type ParquetColumn } from './parquet-schema.js';

type ColumnDecoder = Parameters<typeof readColumn>[2];

/** Leaves every value as stored: conversion happens in this module, per Kindling type. */
const RAW_PARSERS: ColumnDecoder['parsers'] = {
  ...DEFAULT_PARSERS,
  timestampFromMilliseconds: (v) => v as unknown as Date,
  timestampFromMicroseconds: (v) => v as unknown as Date,
  timestampFromNanoseconds: (v) => v as unknown as Date,
  dateFromDays: (v) => v as unknown as Date,
  stringFromBytes: (v) => v as unknown as string,
};

const utf8 = new TextEncoder();

/** What the load pass of one Parquet partition returns (the shape of the CSV parser's ParsedPartition). */
export interface ParquetPartition {
  readonly batch: ColumnBatch;
  readonly partial: LoadPartial;
}

/** The footer of a partition's bytes (they end with it). */
export function footerOfPartitionBytes(bytes: Uint8Array, source: PartitionSource): FileMetaData {
  const size = source.fileSize ?? source.end;
  const footerStart = source.footerStart ?? source.end;
  const rangeBytes = source.end - source.start;
  if (bytes.length !== rangeBytes + (size - footerStart)) {
    throw new KindlingError(
      'E_INTERNAL',
      `${source.file}: partition ${source.index} got ${bytes.length} bytes, expected ${rangeBytes} + a footer of ${size - footerStart}`,
      { file: source.file },
    );
  }
  return parseParquetFooter(bytes.subarray(rangeBytes), source.file);
}

/**
 * Decodes the row groups of `source.rowGroups` into a batch with `schema` (the plan's, from
 * the driver's reading of the first file's footer) and row ids from `firstRowId`.
 */
export function loadParquetPartition(bytes: Uint8Array, source: PartitionSource, schema: Schema, firstRowId: number): ParquetPartition {
  const metadata = footerOfPartitionBytes(bytes, source);
  const columns = parquetColumns(metadata, source.file);
  const [g0, g1] = source.rowGroups ?? [0, metadata.row_groups.length];
  const groups = metadata.row_groups.slice(g0, g1);
  const rows = groups.reduce((a, g) => a + Number(g.num_rows), 0);
  const tree = parquetSchema(metadata);

  const outColumns: Column[] = [];
  const stats: ColumnStats[] = [];
  schema.forEach((field) => {
    const pc = columns.find((x) => x.name === field.name);
    if (pc === undefined || pc.type !== field.type) {
      throw new KindlingError(
        'E_SCHEMA',
        `${source.file}: column ${JSON.stringify(field.name)} is not the ${field.type} column of the plan`,
        {
          file: source.file,
          column: field.name,
        },
      );
    }
    const sink = new ColumnSink(pc, rows);
    let at = 0;
    for (const [k, g] of groups.entries()) {
      const chunk = g.columns.find((x) => x.meta_data?.path_in_schema[0] === field.name);
      if (!chunk)
        throw new KindlingError('E_INPUT_FORMAT', `${source.file}: row group ${g0 + k} has no column ${field.name}`, { file: source.file });
      const n = Number(g.num_rows);
      const values = decodeChunk(bytes, source, tree, chunk, n, g0 + k);
      if (values.length !== n) {
        throw new KindlingError(
          'E_INPUT_FORMAT',
          `${source.file}: column ${field.name} of row group ${g0 + k} has ${values.length} values for ${n} rows`,
          { file: source.file, column: field.name },
        );
      }
      sink.put(values, at);
      at += n;
    }
    const { column, stat } = sink.finish();
    outColumns.push(column);
    stats.push(stat);
  });
  const rowIds = sharedFloat64(rows);
  for (let i = 0; i < rows; i++) rowIds[i] = firstRowId + i;
  return {
    batch: { schema, numRows: rows, rowIds, columns: outColumns },
    partial: { rowCount: rows, malformedCount: 0, columns: stats },
  };
}

/** A column chunk's values, raw (see RAW_PARSERS), nulls as null/undefined. */
function decodeChunk(
  bytes: Uint8Array,
  source: PartitionSource,
  tree: ReturnType<typeof parquetSchema>,
  chunk: ColumnChunk,
  rows: number,
  group: number,
): ArrayLike<unknown> {
  const meta = chunk.meta_data!;
  const start = chunkStart(chunk) - source.start;
  const length = Number(meta.total_compressed_size);
  if (start < 0 || start + length > source.end - source.start) {
    throw new KindlingError(
      'E_INPUT_FORMAT',
      `${source.file}: column chunk ${meta.path_in_schema.join('.')} of row group ${group} lies outside the partition`,
      {
        file: source.file,
      },
    );
  }
  const schemaPath = getTreePath(tree, meta.path_in_schema);
  const decoder: ColumnDecoder = {
    pathInSchema: meta.path_in_schema,
    element: schemaPath[schemaPath.length - 1]!.element,
    schemaPath,
    type: meta.type,
    codec: meta.codec,
    compressors,
    parsers: RAW_PARSERS,
    utf8: true,
  };
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + start, length), offset: 0 };
  let data: ArrayLike<unknown>[];
  try {
    data = readColumn(reader, { groupStart: 0, selectStart: 0, selectEnd: rows, groupRows: rows }, decoder).data as ArrayLike<unknown>[];
  } catch (err) {
    throw new KindlingError(
      'E_INPUT_FORMAT',
      `${source.file}: cannot decode column ${meta.path_in_schema.join('.')} of row group ${group} (${meta.codec}): ${(err as Error).message}`,
      { file: source.file, column: meta.path_in_schema.join('.'), rowGroup: group },
      { cause: err },
    );
  }
  if (data.length === 1) return data[0]!;
  const out: unknown[] = [];
  for (const d of data) for (let i = 0; i < d.length; i++) out.push(d[i]);
  return out;
}

/** Accumulates one column's values into its Kindling form. */
class ColumnSink {
  private readonly values: Float64Array | null;
  private nulls: Uint8Array | null = null;
  private readonly codes: Int32Array | null;
  private readonly dict: StringDictionaryBuilder | null;

  constructor(
    private readonly col: ParquetColumn,
    private readonly rows: number,
  ) {
    const isString = col.type === 'string';
    this.values = isString ? null : sharedFloat64(rows);
    this.codes = isString ? sharedInt32(rows) : null;
    this.dict = isString ? new StringDictionaryBuilder(64) : null;
  }

  put(src: ArrayLike<unknown>, at: number): void {
    const { col } = this;
    if (this.values !== null) {
      const values = this.values;
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v === null || v === undefined) {
          values[at + i] = NaN;
          (this.nulls ??= sharedUint8(this.rows))[at + i] = 1;
        } else {
          values[at + i] = col.kind === 'boolean' ? (v ? 1 : 0) : Number(v);
        }
      }
      return;
    }
    const codes = this.codes!;
    const dict = this.dict!;
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (v === null || v === undefined) {
        codes[at + i] = -1;
        continue;
      }
      const b =
        col.kind === 'string'
          ? (v as Uint8Array)
          : utf8.encode(col.kind === 'date' ? formatDate(Number(v)) : formatTimestamp(v as bigint, col));
      codes[at + i] = dict.add(b, 0, b.length);
    }
  }

  finish(): { column: Column; stat: ColumnStats } {
    if (this.values !== null) {
      return {
        column: { kind: 'numeric', values: this.values, nulls: this.nulls },
        stat: numericStats(this.values, this.nulls, this.rows),
      };
    }
    return { column: { kind: 'string', codes: this.codes!, dict: this.dict!.toShared() }, stat: this.dict!.stats(this.codes!, this.rows) };
  }
}

/** Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian, as Spark shows dates). */
export function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A timestamp in its stored unit → ISO-8601 `YYYY-MM-DDTHH:MM:SS.fff[fff[fff]]`, with as many
 * fraction digits as the unit has (exact), and a `Z` for instants (isAdjustedToUTC, INT96).
 */
export function formatTimestamp(v: bigint | number, col: Pick<ParquetColumn, 'fractionDigits' | 'utc'>): string {
  const digits = col.fractionDigits ?? 6;
  const perSecond = 10n ** BigInt(digits);
  const n = BigInt(v);
  let seconds = n / perSecond;
  let frac = n % perSecond;
  if (frac < 0n) {
    frac += perSecond;
    seconds -= 1n;
  }
  const whole = new Date(Number(seconds) * 1000).toISOString();
  return `${whole.slice(0, whole.indexOf('.'))}.${frac.toString().padStart(digits, '0')}${col.utc ? 'Z' : ''}`;
}
