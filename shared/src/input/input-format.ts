/**
 * What kind of file an input file is, from its first and last bytes and its name: Parquet
 * (`PAR1` at both ends), gzip-compressed CSV (`1f 8b`), or plain CSV. Magic bytes win over
 * the extension: a `.csv` holding gzip data is read as gzip, a `.gz` without the gzip magic
 * as plain text (with a note for the log), and a `.parquet` without `PAR1` is an error, as are
 * compressions Kindling cannot decompress (bzip2, zstd, xz, lz4, zip), named by file.
 * Pure: the driver reads the bytes (see coordinator/src/input/input-planner.ts).
 */
import { DataError } from '../errors.js';
import type { InputCompression, InputFormat } from '../tasks.js';

/** What `input.format` asks for: decide per file, or insist on one format. */
export type DeclaredFormat = 'auto' | InputFormat;

/** Bytes to read at each end of a file for detectInputFormat. */
export const MAGIC_BYTES = 8;

/** The format and compression of one file, plus an optional note for the log. */
export interface DetectedFormat {
  readonly format: InputFormat;
  readonly compression: InputCompression;
  /** Set when the name and the content disagree in a way that is not an error. */
  readonly note?: string;
}

const UNSUPPORTED: readonly { readonly name: string; readonly magic: readonly number[]; readonly ext: RegExp }[] = [
  // 'BZh', a block-size digit, then the block magic's first bytes (1AY&): not plausible CSV text.
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68, -1, 0x31, 0x41, 0x59, 0x26], ext: /\.bz2$/i },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], ext: /\.(zst|zstd)$/i },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], ext: /\.(xz|lzma)$/i },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], ext: /\.lz4$/i },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], ext: /\.zip$/i },
  { name: 'snappy', magic: [], ext: /\.(snappy|sz)$/i },
];

function startsWith(buf: Uint8Array, magic: readonly number[]): boolean {
  if (magic.length === 0 || buf.length < magic.length) return false;
  return magic.every((b, i) => (b < 0 ? buf[i]! >= 0x31 && buf[i]! <= 0x39 : buf[i] === b));
}

/** True when the bytes open (or close) like a Parquet file: the 4 bytes `PAR1`. */
function isPar1(buf: Uint8Array, at: number): boolean {
  return at >= 0 && buf[at] === 0x50 && buf[at + 1] === 0x41 && buf[at + 2] === 0x52 && buf[at + 3] === 0x31;
}

/**
 * Decides how to read `file` from its first bytes (`head`), its last bytes (`tail`), its size
 * and `input.format`. Throws KindlingError E_INPUT_FORMAT naming the file when it cannot be
 * read as asked.
 */
export function detectInputFormat(
  file: string,
  head: Uint8Array,
  tail: Uint8Array,
  size: number,
  declared: DeclaredFormat,
): DetectedFormat {
  const parquet = size >= 12 && isPar1(head, 0) && isPar1(tail, tail.length - 4);
  const namedParquet = /\.parquet$/i.test(file) || /\.parq$/i.test(file);
  if (parquet) {
    if (declared === 'csv') {
      throw new DataError('E_INPUT_FORMAT', `${file} is a Parquet file (PAR1 magic), but input.format is csv`, { file });
    }
    return { format: 'parquet', compression: 'none' };
  }
  if (declared === 'parquet' || (declared === 'auto' && namedParquet)) {
    const why = isPar1(head, 0) ? 'it starts with PAR1 but does not end with it (truncated?)' : 'no PAR1 magic at its start and end';
    throw new DataError('E_INPUT_FORMAT', `${file} is not a Parquet file: ${why}`, { file });
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return /\.gz$/i.test(file)
      ? { format: 'csv', compression: 'gzip' }
      : { format: 'csv', compression: 'gzip', note: `${file} holds gzip data: read as gzip` };
  }
  for (const u of UNSUPPORTED) {
    if (startsWith(head, u.magic) || u.ext.test(file)) {
      throw new DataError(
        'E_INPUT_FORMAT',
        `${file}: unsupported compression (${u.name}); Kindling reads plain and gzip-compressed CSV, and Parquet`,
        { file, compression: u.name },
      );
    }
  }
  if (/\.gz$/i.test(file)) return { format: 'csv', compression: 'none', note: `${file} has no gzip magic bytes: read as plain CSV` };
  return { format: 'csv', compression: 'none' };
}
