/**
 * Per-partition state shared by the inference and load passes of csv-partition-parser.ts:
 * the tokenizer, the option bytes, and the builders of the errors those passes throw (file,
 * line, column; partition-relative lines while the partition's first line is unknown).
 * Internal to the CSV reader (not re-exported).
 */
import { CsvParseError, KindlingError } from '../errors.js';
import type { ColumnType } from '../columnar/schema.js';
import type { CsvOptions, PartitionSource } from '../tasks.js';
import { csvByteOptions, type CsvByteOptions } from './csv-options.js';
import { CR, CsvRecordReader, LF, REC_UNTERMINATED } from './csv-record-parser.js';

const utf8 = new TextDecoder('utf-8');

/** The tokenizer, option bytes and error builders of one partition pass. */
export class PartitionContext {
  readonly reader: CsvRecordReader;
  readonly opts: CsvByteOptions;
  /** A quoted empty field is null too (Spark, when nullValue is ''). */
  readonly nullEmptyQuoted: boolean;
  readonly nullBytes: Uint8Array;
  /** Bytes that end an unquoted field: 1 for the delimiter, 2 for CR and LF. */
  readonly stop: Uint8Array;
  /**
   * One past the last line break of the bytes: a record starting before it, read without
   * quotes, ends at a line break no later than it, so the fast paths scan without bounds
   * checks (that line break stops every scan).
   */
  readonly fastEnd: number;
  private readonly isLast: boolean;

  constructor(
    bytes: Uint8Array,
    readonly source: PartitionSource,
    private readonly csv: CsvOptions,
    private readonly firstLine: number | null,
    fileSize: number | undefined,
  ) {
    this.opts = csvByteOptions(csv);
    this.reader = new CsvRecordReader(this.opts);
    this.nullEmptyQuoted = csv.nullValue === '';
    this.nullBytes = this.opts.nullValue;
    this.stop = new Uint8Array(256);
    this.stop[this.opts.delimiter] = 1;
    this.stop[LF] = 2;
    this.stop[CR] = 2;
    let fe = bytes.length;
    while (fe > 0 && bytes[fe - 1] !== LF && bytes[fe - 1] !== CR) fe--;
    this.fastEnd = fe;
    const last = bytes[bytes.length - 1];
    // Every partition but the last ends right after a line break.
    this.isLast = fileSize !== undefined ? source.end >= fileSize : !(last === LF || last === CR);
  }

  /**
   * Handles the REC_* status of the reader's current record: true when it is malformed (the
   * caller applies the mode); throws in FAILFAST, and in every mode when a quoted field runs
   * past the end of a partition that is not the file's last (a bad split plan).
   */
  recordProblem(): boolean {
    const r = this.reader;
    const col = r.problemField;
    if ((r.status & REC_UNTERMINATED) !== 0) {
      if (!this.isLast) {
        const s = this.source;
        throw new KindlingError(
          'E_CSV_MALFORMED',
          `${baseName(s.file)}: the record at ${this.lineText(r.recordLine)} (byte ${s.start + r.recordStart}) has a quoted ` +
            `field that runs past the end of partition ${s.index} (byte ${s.end}): the split plan cut a record inside ` +
            `quotes, or the file has an unterminated quote (reading with partitions: 1 avoids the split)`,
          { file: s.file, partition: s.index, byteOffset: s.start + r.recordStart, partitionEnd: s.end, splitPlanError: true },
        );
      }
      if (this.csv.mode === 'FAILFAST') {
        throw this.error(col, `${this.columnLabel(col)}: quoted field is not closed before the end of the file`);
      }
      return true;
    }
    if (this.csv.mode === 'FAILFAST') {
      throw this.error(col, `${this.columnLabel(col)}: unexpected character after the closing quote`);
    }
    return true;
  }

  /** FAILFAST error for a record with the wrong number of fields. */
  fieldCountError(found: number): CsvParseError {
    return this.error(undefined, `expected ${this.source.numColumns} fields, found ${found}`);
  }

  /** FAILFAST error for a value that does not parse as its column's type. */
  valueError(column: number, type: ColumnType, buf: Uint8Array, s: number, e: number): CsvParseError {
    let text = utf8.decode(buf.slice(s, Math.min(e, s + 64)));
    if (e - s > 64) text += '…';
    return this.error(column, `${this.columnLabel(column)}: cannot parse ${JSON.stringify(text)} as ${type}`);
  }

  private columnLabel(col: number): string {
    const name = this.source.columnNames[col];
    return name === undefined ? `column ${col}` : `column ${col} (${name})`;
  }

  private lineText(relLine: number): string {
    return this.firstLine !== null ? `line ${this.firstLine + relLine - 1}` : `line ${relLine} of partition ${this.source.index}`;
  }

  private error(column: number | undefined, reason: string): CsvParseError {
    const s = this.source;
    const r = this.reader;
    const byteOffset = s.start + r.recordStart;
    const name = baseName(s.file);
    let err: CsvParseError;
    if (this.firstLine !== null) {
      const line = this.firstLine + r.recordLine - 1;
      err = new CsvParseError(`${name}:${line}: ${reason}`, s.file, line, column, byteOffset);
      err.details.lineRelative = false;
    } else {
      err = new CsvParseError(
        `${name}: line ${r.recordLine} of partition ${s.index} (which starts at byte ${s.start}): ${reason}`,
        s.file,
        r.recordLine,
        column,
        byteOffset,
      );
      err.details.lineRelative = true;
      err.details.partitionStart = s.start;
    }
    err.details.reason = reason;
    err.details.partition = s.index;
    if (column !== undefined) err.details.columnName = s.columnNames[column];
    return err;
  }
}

/** Last path component, as messages show the file (details keep the full path). */
export function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}
