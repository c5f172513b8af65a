/**
 * Loads one Parquet partition (a run of row groups) into the same ColumnBatch and the same
 * column statistics as the CSV parser builds for a CSV partition, so every later op is
 * blind to the input format. Runs in the executor's worker threads; pure apart from its
 * input, the partition's bytes as partition-bytes.ts lays them out: the row groups' span
 * [start, end) followed by the file's footer.
 *
 * Decoding is hyparquet's (page headers, decompression with hyparquet-compressors for snappy,
 * gzip, zstd, brotli and lz4, levels, plain/dictionary/delta encodings), driven page by page
 * here, synchronously: the bytes are already in memory.
 * Values are kept raw (byte arrays, day counts, timestamp units) and converted here: strings
 * go straight from their UTF-8 bytes into the column's dictionary, as the CSV parser's do.
 */
import type { ColumnChunk, FileMetaData, SchemaTree } from 'hyparquet';
import type { readColumn } from 'hyparquet/src/column.js';
import { DataError, KindlingError } from '../errors.js';
import type { Schema } from '../columnar/schema.js';
import type { Column, ColumnBatch } from '../columnar/column-batch.js';
import { sharedFloat64, sharedUint8, toSharedCodes, toSharedNumbers } from '../columnar/shared-arrays.js';
import { numericStats } from '../csv/batch-statistics.js';
import { StringDictionaryBuilder } from '../csv/string-dictionary-builder.js';
import type { ColumnStats, LoadPartial, PartitionSource } from '../tasks.js';
import { chunkStart, parseParquetFooter } from './parquet-footer.js';
import { parquetColumns, type ParquetColumn } from './parquet-schema.js';
import { hyparquet } from './hyparquet-library.js';

type ColumnDecoder = Parameters<typeof readColumn>[2];

let rawParsers: ColumnDecoder['parsers'] | undefined;

/** Leaves every value as stored: conversion happens in this module, per Kindling type. */
function rawParsersOf(): ColumnDecoder['parsers'] {
  return (rawParsers ??= {
    ...hyparquet().DEFAULT_PARSERS,
    timestampFromMilliseconds: (v) => v as unknown as Date,
    timestampFromMicroseconds: (v) => v as unknown as Date,
    timestampFromNanoseconds: (v) => v as unknown as Date,
    dateFromDays: (v) => v as unknown as Date,
    stringFromBytes: (v) => v as unknown as string,
  });
}

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
  const tree = hyparquet().parquetSchema(metadata);

  const outColumns: Column[] = [];
  const stats: ColumnStats[] = [];
  schema.forEach((field) => {
    const pc = columns.find((x) => x.name === field.name);
    if (pc === undefined || pc.type !== field.type) {
      throw new DataError('E_SCHEMA', `${source.file}: column ${JSON.stringify(field.name)} is not the ${field.type} column of the plan`, {
        file: source.file,
        column: field.name,
      });
    }
    const sink = new ColumnSink(pc, rows);
    let at = 0;
    for (const [k, g] of groups.entries()) {
      const chunk = g.columns.find((x) => x.meta_data?.path_in_schema[0] === field.name);
      if (!chunk)
        throw new DataError('E_INPUT_FORMAT', `${source.file}: row group ${g0 + k} has no column ${field.name}`, { file: source.file });
      const n = Number(g.num_rows);
      const got = decodeChunk(bytes, source, tree, chunk, sink, at, g0 + k);
      if (got !== n) {
        throw new DataError(
          'E_INPUT_FORMAT',
          `${source.file}: column ${field.name} of row group ${g0 + k} has ${got} values for ${n} rows`,
          {
            file: source.file,
            column: field.name,
          },
        );
      }
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

/**
 * Decodes one column chunk page by page into `sink` at row `at`, returning the rows written.
 * The page loop is this module's rather than hyparquet's readColumn: for flat columns it can
 * skip hyparquet's general list assembly (which boxes every value into an array) and map a
 * dictionary page's entries to Kindling codes once per entry instead of once per row.
 */
function decodeChunk(
  bytes: Uint8Array,
  source: PartitionSource,
  tree: SchemaTree,
  chunk: ColumnChunk,
  sink: ColumnSink,
  at: number,
  group: number,
): number {
  const { compressors, convert, decompressPage, getTreePath, parquetHeader, readDataPage, readDataPageV2, readPlain } = hyparquet();
  const meta = chunk.meta_data!;
  const column = meta.path_in_schema.join('.');
  const start = chunkStart(chunk) - source.start;
  const length = Number(meta.total_compressed_size);
  if (start < 0 || start + length > source.end - source.start) {
    throw new DataError('E_INPUT_FORMAT', `${source.file}: column chunk ${column} of row group ${group} lies outside the partition`, {
      file: source.file,
    });
  }
  const schemaPath = getTreePath(tree, meta.path_in_schema);
  const element = schemaPath[schemaPath.length - 1]!.element;
  const decoder: ColumnDecoder = {
    pathInSchema: meta.path_in_schema,
    element,
    schemaPath,
    type: meta.type,
    codec: meta.codec,
    compressors,
    parsers: rawParsersOf(),
    utf8: true,
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  const reader = { view, offset: 0 };
  const nullable = element.repetition_type !== 'REQUIRED';
  let rows = 0;
  try {
    while (reader.offset < length) {
      const header = parquetHeader(reader);
      const compressed = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      if (header.type === 'DICTIONARY_PAGE') {
        const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, compressors);
        const plain = readPlain(
          { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 },
          meta.type,
          header.dictionary_page_header!.num_values,
          element.type_length,
        );
        sink.setDictionary(convert(plain, decoder));
        continue;
      }
      let levels: ArrayLike<number>;
      let data: ArrayLike<unknown>;
      let encoding: string;
      if (header.type === 'DATA_PAGE') {
        const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, compressors);
        const r = readDataPage(page, header.data_page_header!, decoder);
        levels = r.definitionLevels ?? [];
        data = r.dataPage;
        encoding = header.data_page_header!.encoding;
      } else if (header.type === 'DATA_PAGE_V2') {
        const r = readDataPageV2(compressed, header, decoder);
        levels = r.definitionLevels ?? [];
        data = r.dataPage;
        encoding = header.data_page_header_v2!.encoding;
      } else {
        continue; // index pages carry no values
      }
      const dictionary = encoding.endsWith('_DICTIONARY');
      const n = nullable && levels.length > 0 ? levels.length : data.length;
      sink.putPage(at + rows, n, nullable ? levels : null, dictionary ? data : convert(data as never, decoder), dictionary);
      rows += n;
    }
  } catch (err) {
    if (err instanceof KindlingError) throw err;
    throw new DataError(
      'E_INPUT_FORMAT',
      `${source.file}: cannot decode column ${column} of row group ${group} (${meta.codec}): ${(err as Error).message}`,
      { file: source.file, column, rowGroup: group },
      { cause: err },
    );
  }
  return rows;
}

/** Accumulates one column's values into its Kindling form. */
class ColumnSink {
  private readonly values: Float64Array | null;
  private nulls: Uint8Array | null = null;
  private readonly codes: Int32Array | null;
  private readonly dict: StringDictionaryBuilder | null;
  /** The current dictionary page's entries (raw), and per entry its converted value or Kindling code. */
  private dictionary: ArrayLike<unknown> = [];
  private entryValues: Float64Array = new Float64Array(0);
  private entryCodes: Int32Array = new Int32Array(0);

  constructor(
    private readonly col: ParquetColumn,
    private readonly rows: number,
  ) {
    const isString = col.type === 'string';
    // Filled here, then copied into shared storage as narrow as the values allow (finish).
    this.values = isString ? null : new Float64Array(rows);
    this.codes = isString ? new Int32Array(rows) : null;
    this.dict = isString ? new StringDictionaryBuilder(64) : null;
  }

  /** A new dictionary page: its entries are converted lazily, once each. */
  setDictionary(entries: ArrayLike<unknown>): void {
    this.dictionary = entries;
    if (this.values !== null) this.entryValues = Float64Array.from({ length: entries.length }, (_, i) => this.number(entries[i]));
    else this.entryCodes = new Int32Array(entries.length).fill(-2);
  }

  /**
   * Writes one page of `n` rows at row `at`: `levels` are the definition levels (null for a
   * required column; below 1 is null), `data` the non-null values or, for a dictionary-encoded
   * page, their dictionary indices.
   */
  putPage(at: number, n: number, levels: ArrayLike<number> | null, data: ArrayLike<unknown>, byIndex: boolean): void {
    // A plain Error: decodeChunk wraps it with the file, column and row group.
    if (at + n > this.rows) throw new Error(`more values than the partition's ${this.rows} rows`);
    let k = 0;
    if (this.values !== null) {
      const values = this.values;
      const entries = this.entryValues;
      for (let i = 0; i < n; i++) {
        if (levels !== null && levels[i] === 0) {
          values[at + i] = NaN;
          (this.nulls ??= sharedUint8(this.rows))[at + i] = 1;
          continue;
        }
        const v = data[k++];
        values[at + i] = byIndex ? entries[v as number]! : this.number(v);
      }
      return;
    }
    const codes = this.codes!;
    for (let i = 0; i < n; i++) {
      if (levels !== null && levels[i] === 0) {
        codes[at + i] = -1;
        continue;
      }
      const v = data[k++];
      if (byIndex) {
        const e = v as number;
        let code = this.entryCodes[e]!;
        if (code === -2) code = this.entryCodes[e] = this.code(this.dictionary[e]);
        codes[at + i] = code;
      } else {
        codes[at + i] = this.code(v);
      }
    }
  }

  private number(v: unknown): number {
    return this.col.kind === 'boolean' ? (v ? 1 : 0) : Number(v);
  }

  private code(v: unknown): number {
    const { col } = this;
    const b =
      col.kind === 'string'
        ? (v as Uint8Array)
        : utf8.encode(col.kind === 'date' ? formatDate(Number(v)) : formatTimestamp(v as bigint, col));
    return this.dict!.add(b, 0, b.length);
  }

  finish(): { column: Column; stat: ColumnStats } {
    if (this.values !== null) {
      return {
        column: { kind: 'numeric', values: toSharedNumbers(this.values, this.rows), nulls: this.nulls },
        stat: numericStats(this.values, this.nulls, this.rows),
      };
    }
    const dict = this.dict!.toShared();
    return {
      column: { kind: 'string', codes: toSharedCodes(this.codes!, dict.size, this.rows), dict },
      stat: this.dict!.stats(this.codes!, this.rows),
    };
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
