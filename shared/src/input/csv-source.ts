/**
 * The CSV bytes of a partition as the parser wants them: a plain CSV partition is its byte
 * range as read; a gzip file is decompressed here, in the executor's worker thread (zlib),
 * and its records start at the plan's `dataStart` (after the header, which the driver found
 * when it planned the file). A truncated or corrupt gzip stream is an E_INPUT_FORMAT error
 * naming the file. Node's zlib reads multi-member gzip files (concatenated streams) whole.
 */
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import type { PartitionSource } from '../tasks.js';

/** A partition's records as the CSV parser reads them. */
export interface CsvPartitionInput {
  readonly bytes: Uint8Array;
  /** The source with offsets into `bytes`' coordinate space (the decompressed stream for gzip). */
  readonly source: PartitionSource;
  readonly fileSize: number | undefined;
}

/** Decompresses a whole gzip file's bytes; E_INPUT_FORMAT naming `file` when they are not a valid gzip stream. */
export function gunzipFile(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    const why = (err as Error).message === 'unexpected end of file' ? 'the gzip stream is truncated' : (err as Error).message;
    throw new DataError('E_INPUT_FORMAT', `${file}: cannot decompress: ${why}`, { file }, { cause: err });
  }
}

/** The partition's CSV records: `bytes` as read (plain CSV) or decompressed from `dataStart` (gzip). */
export function csvPartitionInput(bytes: Uint8Array, source: PartitionSource): CsvPartitionInput {
  if (source.compression !== 'gzip') return { bytes, source, fileSize: source.fileSize };
  const all = gunzipFile(bytes, source.file);
  const start = Math.min(source.dataStart ?? 0, all.length);
  return { bytes: all.subarray(start), source: { ...source, start, end: all.length, fileSize: all.length }, fileSize: all.length };
}
