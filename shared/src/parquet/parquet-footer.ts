/**
 * A Parquet file's footer: its metadata (schema, row groups, column chunk offsets) parsed by
 * hyparquet, and the byte span of each row group (from its column chunks), which is what a
 * partition reads. Pure: the caller reads the footer bytes (the driver through its file
 * reader, a worker from the tail of its partition's bytes).
 */
import type { ColumnChunk, FileMetaData, RowGroup } from 'hyparquet';
import { hyparquet } from './hyparquet-library.js';
import { DataError } from '../errors.js';

/** Length of the trailer: metadata length (4 bytes, little-endian) + `PAR1`. */
export const PARQUET_TRAILER = 8;

/** Where a row group's column chunks lie in the file, and its row count. */
export interface RowGroupSpan {
  readonly start: number;
  readonly end: number;
  readonly rows: number;
  /** Sum of the column chunks' compressed sizes (what partitioning balances). */
  readonly bytes: number;
}

/** The metadata length stored in a file's last 8 bytes; E_INPUT_FORMAT when they are not a Parquet trailer. */
export function footerLength(trailer: Uint8Array, file: string, fileSize: number): number {
  const dv = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const n = trailer.length;
  if (n < PARQUET_TRAILER || dv.getUint32(n - 4, true) !== 0x31524150) {
    throw new DataError('E_INPUT_FORMAT', `${file} is not a Parquet file: it does not end with PAR1`, { file });
  }
  const len = dv.getUint32(n - 8, true);
  if (len + PARQUET_TRAILER + 4 > fileSize) {
    throw new DataError('E_INPUT_FORMAT', `${file}: Parquet footer of ${len} bytes does not fit a file of ${fileSize} bytes (truncated?)`, {
      file,
    });
  }
  return len;
}

/** Parses footer bytes (metadata + trailer, the end of the file); E_INPUT_FORMAT naming `file` when they do not parse. */
export function parseParquetFooter(footer: Uint8Array, file: string): FileMetaData {
  try {
    return hyparquet().parquetMetadata(footer);
  } catch (err) {
    throw new DataError('E_INPUT_FORMAT', `${file}: cannot read the Parquet footer: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** First byte of a column chunk (its dictionary page when it has one), as hyparquet computes it. */
export function chunkStart(chunk: ColumnChunk): number {
  const m = chunk.meta_data!;
  return Number(m.dictionary_page_offset || m.data_page_offset);
}

/**
 * The byte span and row count of every row group, in file order. With `footerStart` (where
 * the metadata begins), a column chunk outside the data bytes [4, footerStart) is refused as
 * E_INPUT_FORMAT here, on the driver: a partition planned from it would read bytes that are
 * not there (a damaged or truncated file whose footer still parses).
 */
export function rowGroupSpans(metadata: FileMetaData, file: string, footerStart?: number): RowGroupSpan[] {
  return metadata.row_groups.map((rg: RowGroup, i) => {
    let start = Infinity;
    let end = 0;
    let bytes = 0;
    for (const c of rg.columns) {
      if (c.file_path)
        throw new DataError('E_INPUT_FORMAT', `${file}: row group ${i} keeps columns in another file (${c.file_path})`, { file });
      if (!c.meta_data) throw new DataError('E_INPUT_FORMAT', `${file}: row group ${i} has a column without metadata`, { file });
      const s = chunkStart(c);
      const size = Number(c.meta_data.total_compressed_size);
      if (
        footerStart !== undefined &&
        !(Number.isSafeInteger(s) && Number.isSafeInteger(size) && s >= 4 && size >= 0 && s + size <= footerStart)
      )
        throw new DataError(
          'E_INPUT_FORMAT',
          `${file}: row group ${i}: column ${c.meta_data.path_in_schema.join('.')} claims bytes ${s} to ${s + size}, outside the data (bytes 4 to ${footerStart}): the file is damaged or truncated`,
          { file },
        );
      start = Math.min(start, s);
      end = Math.max(end, s + size);
      bytes += size;
    }
    return { start: start === Infinity ? 0 : start, end, rows: Number(rg.num_rows), bytes };
  });
}
