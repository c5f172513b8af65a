/**
 * Parses one partition's bytes (a record-aligned range planned by csv-split-planner.ts) in an
 * executor worker thread: `scanPartition`, the one pass a job makes over its CSV input, which
 * infers the partition's types while it builds the columnar batch (SharedArrayBuffer-backed)
 * with those types; `parsePartition`, the load of a partition with the table's schema (a
 * rebuild of a lost block, or a partition whose scanned types cannot be widened to the
 * table's in place, see provisional-batch.ts); and `inferPartition`, inference alone. Pure:
 * callers read the bytes. All keep exactly the same records, so the driver's row-id prefix
 * sums from one hold for the others.
 *
 * Each pass runs a fast path that tokenizes and converts a plain record (no quotes, right
 * field count, valid values) in one sweep, and hands every other record to the general path
 * (csv-record-parser.ts's tokenizer), which applies Spark's `mode` to malformed records.
 *
 * Nulls, as Spark reads them: an empty field is null; a field equal to nullValue (quoted or
 * not) is null; with the default nullValue '' a quoted empty field `""` is null too (Spark
 * compares the unquoted text with nullValue). With another nullValue, `""` is the empty
 * string in a string column and null in a typed one (inference skips empty values, so
 * parsing must not fail on them). Malformed records: a wrong field count, text after a
 * closing quote, an unterminated quote at end of file, or (load pass) a typed value that
 * does not parse; FAILFAST errors give the line of the record's first byte.
 */
import { CsvParseError, KindlingError, type WireError } from '../errors.js';
import type { ColumnType, Schema } from '../columnar/schema.js';
import type { Column, ColumnBatch } from '../columnar/column-batch.js';
import { sharedFloat64, sharedInt32, sharedUint8, toSharedCodes, toSharedNumbers, toSharedUint8 } from '../columnar/shared-arrays.js';
import type { CsvOptions, InferPartial, LoadPartial, PartitionSource } from '../tasks.js';
import { batchStatistics } from './batch-statistics.js';
import { PartitionContext, baseName } from './csv-partition-context.js';
import { CR, FIELD_QUOTED, FIELD_SCRATCH, LF, lineBreakEnd } from './csv-record-parser.js';
import type { ByteRangeReader } from './csv-split-planner.js';
import {
  T_BOOLEAN,
  T_DOUBLE,
  T_INT,
  T_LONG,
  T_NULL,
  T_STRING,
  classifyField,
  isNaNToken,
  joinTypes,
  parseBooleanField,
  parseDoubleField,
  parseIntField,
  parseLongField,
  typeCode,
  typeName,
} from './csv-type-inference.js';
import { StringDictionaryBuilder } from './string-dictionary-builder.js';

/** What one partition's load pass returns. */
export interface ParsedPartition {
  readonly batch: ColumnBatch;
  readonly partial: LoadPartial;
}

/**
 * Schema-inference pass over one partition: per column the narrowest type of its non-null
 * values (null when none; all 'string' when csv.inferSchema is false), plus record,
 * malformed-record and line counts. `firstLine` is the file line of bytes[0], or null when
 * not known yet (errors then carry partition-relative lines, see withAbsoluteLine).
 * `fileSize` identifies the file's last partition; see parsePartition.
 */
export function inferPartition(
  bytes: Uint8Array,
  source: PartitionSource,
  csv: CsvOptions,
  firstLine: number | null,
  fileSize?: number,
): InferPartial {
  const pass = new InferPass(bytes, source, csv, firstLine, fileSize);
  inferRecords(pass);
  return {
    rowCount: pass.rows,
    malformedCount: pass.malformed,
    lineCount: pass.ctx.reader.line - 1,
    types: Array.from(pass.types, (t) => typeName(t)),
  };
}

/**
 * Load pass over one partition: the columnar batch and per-column statistics. Numeric
 * columns are Float64 with a null mask (null slots hold NaN; the mask is null when the
 * column has no null); string columns are dictionary codes (-1 = null). Row i gets id
 * firstRowId + i. `firstLine` as in inferPartition. `fileSize`, when given, identifies the
 * last partition (whose final record may lack a closing quote: a malformed record rather than
 * a bad split); without it, a partition is the last when its bytes do not end in a line break.
 */
export function parsePartition(
  bytes: Uint8Array,
  source: PartitionSource,
  csv: CsvOptions,
  schema: Schema,
  firstRowId: number,
  firstLine: number | null,
  fileSize?: number,
  skipColumns?: readonly number[],
): ParsedPartition {
  if (schema.length !== source.numColumns) {
    throw new KindlingError(
      'E_SCHEMA',
      `schema has ${schema.length} columns but partition ${source.index} of ${source.file} has ${source.numColumns}`,
      { file: source.file, partition: source.index },
    );
  }
  const pass = new LoadPass(
    bytes,
    source,
    csv,
    Int32Array.from(schema, (f) => typeCode(f.type)),
    false,
    skipMask(source.numColumns, skipColumns),
    firstLine,
    fileSize,
    schema,
  );
  loadRecords(pass);
  return pass.finish(firstRowId);
}

/**
 * One-pass scan of one partition: inference and load together. Every column starts as the
 * null type (string without inferSchema) and widens as its values ask, exactly as
 * inferPartition would; the batch holds the values as parsePartition would with the
 * partition's final types (a widening that cannot keep the values already parsed — to string,
 * or to double after a `-0` — restarts the partition with the wider types, at most a few
 * times per column). The batch is provisional (ColumnBatch.provisional): no row ids yet and
 * no storage for all-null columns; the conform step gives it the table's schema and row ids.
 * The partial is what inferPartition returns for the same bytes. Columns in `skipColumns`
 * (the job drops them) are inferred but keep no values.
 */
export function scanPartition(
  bytes: Uint8Array,
  source: PartitionSource,
  csv: CsvOptions,
  firstLine: number | null,
  fileSize?: number,
  skipColumns?: readonly number[],
): { batch: ColumnBatch; partial: InferPartial } {
  const types = new Int32Array(source.numColumns).fill(csv.inferSchema ? T_NULL : T_STRING);
  const skip = skipMask(source.numColumns, skipColumns);
  for (;;) {
    const pass = new LoadPass(bytes, source, csv, types, true, skip, firstLine, fileSize);
    try {
      loadRecords(pass);
    } catch (err) {
      if (err === RESTART) continue; // types were widened in place
      throw err;
    }
    return { batch: pass.provisionalBatch(), partial: pass.inferPartial() };
  }
}

/** Thrown inside a scan when a column widened in a way that the values parsed so far cannot follow. */
const RESTART = Symbol('restart scan with wider types');

/** 1 for each skipped column; null when none is. */
function skipMask(ncol: number, skipColumns: readonly number[] | undefined): Uint8Array | null {
  if (!skipColumns || skipColumns.length === 0) return null;
  const mask = new Uint8Array(ncol);
  for (const c of skipColumns) if (c >= 0 && c < ncol) mask[c] = 1;
  return mask;
}

/**
 * Rewrites a FAILFAST error raised with a partition-relative line (details.lineRelative)
 * into one with the file line, given the file line of the partition's first byte. Accepts
 * the error as thrown or as it arrives from a worker/executor (a KindlingError or WireError
 * with the same details); an error that already has a file line keeps it.
 */
export function withAbsoluteLine(err: CsvParseError | KindlingError | WireError, firstLineOfPartition: number): CsvParseError {
  const d = err.details ?? {};
  const relative = d.lineRelative === true;
  if (!relative && err instanceof CsvParseError) return err;
  const file = typeof d.file === 'string' ? d.file : '';
  const column = typeof d.column === 'number' ? d.column : undefined;
  const byteOffset = typeof d.byteOffset === 'number' ? d.byteOffset : -1;
  const reason = typeof d.reason === 'string' ? d.reason : err.message;
  const rel = typeof d.line === 'number' ? d.line : 1;
  const line = relative ? firstLineOfPartition + rel - 1 : rel;
  const out = new CsvParseError(relative ? `${baseName(file)}:${line}: ${reason}` : err.message, file, line, column, byteOffset);
  for (const [k, v] of Object.entries(d)) if (!(k in out.details)) out.details[k] = v;
  out.details.lineRelative = false;
  delete out.details.partitionStart;
  return out;
}

/**
 * Counts line breaks (LF, CRLF and bare CR, one each) in the file's bytes [0, end), streaming
 * through `read` in 1 MiB chunks. The file line of byte offset p is 1 + countNewlines(read, p).
 */
export async function countNewlines(read: ByteRangeReader, end: number): Promise<number> {
  const CHUNK = 1 << 20;
  let count = 0;
  let pendingCR = false;
  for (let off = 0; off < end;) {
    const want = Math.min(CHUNK, end - off);
    const chunk = await read(off, want);
    if (chunk.length === 0) break;
    const n = Math.min(chunk.length, want);
    if (pendingCR) {
      if (chunk[0] !== LF) count++;
      pendingCR = false;
    }
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (c === LF) count++;
      else if (c === CR) {
        if (i + 1 < n) {
          if (chunk[i + 1] !== LF) count++;
        } else {
          pendingCR = true;
        }
      }
    }
    off += n;
  }
  if (pendingCR) {
    // A CR just before `end` is half of a CRLF only if the byte at `end` is LF.
    const after = await read(end, 1);
    if (after.length === 0 || after[0] !== LF) count++;
  }
  return count;
}

/** State of one inference pass. */
class InferPass {
  readonly ctx: PartitionContext;
  readonly types: Int32Array;
  readonly ncol: number;
  rows = 0;
  malformed = 0;

  constructor(
    readonly bytes: Uint8Array,
    source: PartitionSource,
    readonly csv: CsvOptions,
    firstLine: number | null,
    fileSize: number | undefined,
  ) {
    this.ctx = new PartitionContext(bytes, source, csv, firstLine, fileSize);
    this.ncol = source.numColumns;
    this.types = new Int32Array(this.ncol).fill(csv.inferSchema ? T_NULL : T_STRING);
  }

  /** General path for the record at pos: returns the offset after it, or -1 at the end. */
  general(pos: number): number {
    const { ctx, bytes, types, ncol } = this;
    const reader = ctx.reader;
    const next = reader.next(bytes, pos, bytes.length);
    if (next < 0) return -1;
    const nf = reader.fieldCount;
    let bad = reader.status !== 0 && ctx.recordProblem();
    if (nf !== ncol) {
      if (this.csv.mode === 'FAILFAST') throw ctx.fieldCountError(nf);
      bad = true;
    }
    if (bad) {
      this.malformed++;
      if (this.csv.mode === 'DROPMALFORMED') return next;
    }
    this.rows++;
    if (!this.csv.inferSchema) return next;
    inferRecordTypes(reader, bytes, types, nf < ncol ? nf : ncol, ctx.nullBytes, (c, t) => (types[c] = t));
    return next;
  }
}

/**
 * Inference hot loop. Fast path: no quote at a field start, exactly ncol fields and every
 * value already fitting its column's type; a value that would widen a type goes to the
 * general path (a few times per column at most), so the fast path never changes types.
 */
function inferRecords(pass: InferPass): void {
  const { bytes, types, ncol, ctx } = pass;
  const { stop, fastEnd, nullBytes } = ctx;
  const { delimiter: delim, quote } = ctx.opts;
  const reader = ctx.reader;
  const end = bytes.length;
  const nullLen = nullBytes.length;
  let pos = 0;
  for (;;) {
    fast: if (pos < fastEnd) {
      const b0 = bytes[pos]!;
      if (b0 === LF || b0 === CR) break fast;
      let p = pos;
      for (let c = 0; c < ncol; c++) {
        if (bytes[p] === quote) break fast;
        const s = p;
        const cur = types[c]!;
        if (cur === T_INT) {
          // `-?digits` in 32 bits, read inline (loadRecords has the same reader): sharing one
          // scanInt function, fed back through an out slot, measured 5% slower here and 2-4%
          // in the load pass. Other spellings (`+5`) go to the general path, parseIntField.
          let neg = false;
          if (bytes[p] === 0x2d) {
            neg = true;
            p++;
          }
          const ds = p;
          let v = 0;
          for (;;) {
            const d = bytes[p]! - 0x30;
            if (d < 0 || d > 9) break;
            v = v * 10 + d;
            p++;
          }
          if (p === ds ? neg : v > (neg ? 2147483648 : 2147483647)) break fast;
        } else {
          while (stop[bytes[p]!] === 0) p++;
          if (cur !== T_STRING && s !== p && !fitsType(cur, bytes, s, p)) break fast;
        }
        if (nullLen > 0 && cur !== T_STRING && equalsBytes(bytes, s, p, nullBytes)) break fast;
        if (c + 1 < ncol) {
          if (bytes[p] === delim) {
            p++;
            continue;
          }
          break fast;
        }
        const next = lineBreakEnd(bytes, p, end);
        if (next < 0) break fast;
        p = next;
        reader.line++;
      }
      pos = p;
      pass.rows++;
      continue;
    }
    const next = pass.general(pos);
    if (next < 0) return;
    pos = next;
  }
}

/**
 * State of one load pass (or scan): the growing column arrays and dictionaries. Row `rows` is
 * written in place and only counts once its record is kept: a record given up half-way by the
 * fast path is rewritten by the general path (or overwritten by the next record if dropped).
 * In a scan, `types` widens as values arrive (the general path does it, as InferPass does) and
 * a column of the null type has no storage until its first value.
 */
class LoadPass {
  readonly ctx: PartitionContext;
  readonly ncol: number;
  readonly values: Float64Array[] = [];
  readonly nulls: (Uint8Array | null)[] = [];
  readonly codes: Int32Array[] = [];
  readonly dicts: StringDictionaryBuilder[] = [];
  /** Per column (scan): an int or long value spelled `-0` was read (as +0). */
  readonly negZero: Uint8Array;
  /** Per column (scan): a quoted empty field that a string column keeps as "" was seen while the column had no type. */
  readonly emptyString: Uint8Array;
  /** Per column: 1 when the job skips it (no storage). */
  readonly skip: Uint8Array;
  readonly anySkipped: boolean;
  cap: number;
  rows = 0;
  malformed = 0;
  private readonly tmp: Float64Array;
  private readonly tmpNull: Uint8Array;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: PartitionSource,
    readonly csv: CsvOptions,
    /** Type code per column; a scan widens it in place. */
    readonly types: Int32Array,
    readonly scan: boolean,
    /** 1 for a column the job skips: parsed (and, in a scan, inferred) but no values kept. */
    skip: Uint8Array | null,
    firstLine: number | null,
    fileSize: number | undefined,
    /** The table's schema (load); a scan names types from `types`. */
    private readonly schema?: Schema,
  ) {
    this.ctx = new PartitionContext(bytes, source, csv, firstLine, fileSize);
    this.ncol = types.length;
    this.cap = estimateRecords(bytes);
    this.negZero = new Uint8Array(this.ncol);
    this.emptyString = new Uint8Array(this.ncol);
    this.skip = skip ?? new Uint8Array(this.ncol);
    this.anySkipped = skip !== null;
    for (let c = 0; c < this.ncol; c++) {
      const t = this.types[c]!;
      const stored = this.skip[c] === 0;
      this.values.push(new Float64Array(!stored || t === T_STRING || t === T_NULL ? 0 : this.cap));
      this.codes.push(new Int32Array(stored && t === T_STRING ? this.cap : 0));
      this.nulls.push(null);
      this.dicts.push(new StringDictionaryBuilder(t === T_STRING ? 64 : 1));
    }
    this.tmp = new Float64Array(this.ncol);
    this.tmpNull = new Uint8Array(this.ncol);
  }

  /** Doubles every column's capacity. */
  grow(): void {
    this.cap *= 2;
    for (let c = 0; c < this.ncol; c++) {
      const t = this.types[c]!;
      if (t === T_NULL || this.skip[c] === 1) continue;
      if (t === T_STRING) this.codes[c] = growInt32(this.codes[c]!, this.cap);
      else this.values[c] = growFloat64(this.values[c]!, this.cap);
      const m = this.nulls[c];
      if (m) this.nulls[c] = growUint8(m, this.cap);
    }
  }

  /**
   * Scan: column c's values need type `to` (wider than its type so far). From the null type,
   * storage starts with the rows so far as nulls (unless a quoted empty field among them is
   * "" to a string column); between numeric types the parsed values stand (int and long
   * values are the same doubles), except that `-0` read as an integer is +0 where a double is
   * -0; any other widening restarts the scan.
   */
  widen(c: number, to: number): void {
    const from = this.types[c]!;
    const rows = this.rows;
    this.types[c] = to;
    if (this.skip[c] === 1) return; // no values kept: only the type changes
    if (from === T_NULL && !(to === T_STRING && this.emptyString[c] === 1)) {
      if (to === T_STRING) {
        this.codes[c] = new Int32Array(this.cap).fill(-1, 0, rows);
        this.dicts[c] = new StringDictionaryBuilder(64);
      } else {
        this.values[c] = new Float64Array(this.cap).fill(NaN, 0, rows);
        if (rows > 0) this.nulls[c] = new Uint8Array(this.cap).fill(1, 0, rows);
      }
      return;
    }
    if (to <= T_DOUBLE && !(to === T_DOUBLE && this.negZero[c] === 1)) return;
    throw RESTART;
  }

  /** Type name of column c, for messages. */
  typeOf(c: number): ColumnType {
    return this.schema?.[c]?.type ?? typeName(this.types[c]!) ?? 'string';
  }
  /**
   * General path for the record at pos (quotes, escapes, blank lines, malformed records):
   * converts every field into tmp first and writes the row only if it is kept, so a dropped
   * record leaves nothing behind. Returns the offset after the record, or -1 at the end.
   */
  general(pos: number): number {
    const { ctx, bytes, types, ncol, tmp, tmpNull } = this;
    const reader = ctx.reader;
    const mode = this.csv.mode;
    const next = reader.next(bytes, pos, bytes.length);
    if (next < 0) return -1;
    const nf = reader.fieldCount;
    let bad = reader.status !== 0 && ctx.recordProblem();
    if (nf !== ncol) {
      if (mode === 'FAILFAST') throw ctx.fieldCountError(nf);
      bad = true;
    }
    const nullBytes = ctx.nullBytes;
    const n = nf < ncol ? nf : ncol;
    if (this.scan && this.csv.inferSchema && !(bad && mode === 'DROPMALFORMED')) {
      // Inference, as InferPass.general does it.
      inferRecordTypes(reader, bytes, types, n, nullBytes, (c, t) => this.widen(c, t));
    }
    for (let c = 0; c < ncol && !(bad && mode === 'DROPMALFORMED'); c++) {
      const t = types[c]!;
      if (c >= n) {
        tmpNull[c] = 1;
        continue;
      }
      const f = reader.flags[c]!;
      const buf = (f & FIELD_SCRATCH) !== 0 ? reader.scratch : bytes;
      const s = reader.starts[c]!;
      const e = reader.ends[c]!;
      const isNull =
        s === e
          ? t !== T_STRING || (f & FIELD_QUOTED) === 0 || ctx.nullEmptyQuoted
          : nullBytes.length > 0 && equalsBytes(buf, s, e, nullBytes);
      tmpNull[c] = isNull ? 1 : 0;
      if (t === T_NULL && s === e && (f & FIELD_QUOTED) !== 0 && !ctx.nullEmptyQuoted) this.emptyString[c] = 1;
      if (isNull || t === T_STRING || t === T_NULL || this.skip[c] === 1) continue;
      const v = parseTyped(t, buf, s, e);
      if (v !== v && !(t === T_DOUBLE && isNaNToken(buf, s, e))) {
        if (mode === 'FAILFAST') throw ctx.valueError(c, this.typeOf(c), buf, s, e);
        bad = true;
        tmpNull[c] = 1;
        continue;
      }
      if (v === 0 && (t === T_INT || t === T_LONG) && buf[s] === 0x2d) this.negZero[c] = 1;
      tmp[c] = v;
    }
    if (bad) {
      this.malformed++;
      if (mode === 'DROPMALFORMED') {
        // The fast path may have marked nulls in this slot before giving up on the record.
        for (const m of this.nulls) if (m) m[this.rows] = 0;
        return next;
      }
    }
    const row = this.rows;
    for (let c = 0; c < ncol; c++) {
      const isNull = tmpNull[c] === 1;
      if (types[c] === T_NULL || this.skip[c] === 1) continue;
      if (types[c] === T_STRING) {
        const buf = (reader.flags[c]! & FIELD_SCRATCH) !== 0 ? reader.scratch : bytes;
        this.codes[c]![row] = isNull ? -1 : this.dicts[c]!.add(buf, reader.starts[c]!, reader.ends[c]!);
        continue;
      }
      this.values[c]![row] = isNull ? NaN : tmp[c]!;
      let m = this.nulls[c]!;
      if (isNull && !m) {
        m = new Uint8Array(this.cap);
        this.nulls[c] = m;
      }
      if (m) m[row] = isNull ? 1 : 0;
    }
    this.rows = row + 1;
    return next;
  }

  /** Exactly sized shared buffers, statistics and row ids. */
  finish(firstRowId: number): ParsedPartition {
    const rows = this.rows;
    const rowIds = sharedFloat64(rows);
    for (let i = 0; i < rows; i++) rowIds[i] = firstRowId + i;
    const batch: ColumnBatch = {
      schema: this.schema!,
      numRows: rows,
      rowIds,
      columns: this.columns(),
      malformedCount: this.malformed,
      ...this.skippedFlags(),
    };
    return { batch, partial: { rowCount: rows, malformedCount: this.malformed, columns: batchStatistics(batch) } };
  }

  /** The scan's batch: the partition's own types, no row ids, no storage for all-null columns. */
  provisionalBatch(): ColumnBatch {
    const types = Array.from(this.types, (t) => typeName(t));
    return {
      schema: this.source.columnNames.map((name, c) => ({ name, type: types[c] ?? 'string' })),
      numRows: this.rows,
      rowIds: sharedFloat64(0),
      columns: this.columns(),
      malformedCount: this.malformed,
      ...this.skippedFlags(),
      provisional: {
        types,
        negativeZero: Array.from(this.negZero, (z) => z === 1),
        emptyString: Array.from(this.emptyString, (z) => z === 1),
      },
    };
  }

  /** What inferPartition reports for the same bytes. */
  inferPartial(): InferPartial {
    return {
      rowCount: this.rows,
      malformedCount: this.malformed,
      lineCount: this.ctx.reader.line - 1,
      types: Array.from(this.types, (t) => typeName(t)),
    };
  }

  private skippedFlags(): { skipped?: boolean[] } {
    return this.anySkipped ? { skipped: Array.from(this.skip, (k) => k === 1) } : {};
  }

  private columns(): Column[] {
    const rows = this.rows;
    const columns: Column[] = [];
    for (let c = 0; c < this.ncol; c++) {
      const t = this.types[c]!;
      if (this.skip[c] === 1) {
        columns.push(emptyColumn(t === T_STRING));
      } else if (t === T_STRING) {
        const dict = this.dicts[c]!.toShared();
        columns.push({ kind: 'string', codes: toSharedCodes(this.codes[c]!, dict.size, rows), dict });
      } else if (t === T_NULL) {
        columns.push({ kind: 'numeric', values: sharedFloat64(0), nulls: null });
      } else {
        const m = this.nulls[c];
        // Null slots hold NaN, so a column with a null stays Float64 (a null mask needs NaN there).
        columns.push({ kind: 'numeric', values: toSharedNumbers(this.values[c]!, rows), nulls: m ? toSharedUint8(m, rows) : null });
      }
    }
    return columns;
  }
}

/**
 * Load hot loop. Fast path, tokenizing and converting in one sweep: a record with no quote
 * at a field start, exactly ncol fields and valid typed values. Anything else (blank line,
 * quotes, wrong field count, bad values) goes to LoadPass.general. New dictionary values wait
 * for the end of the record, so a record given up half-way adds none.
 */
function loadRecords(pass: LoadPass): void {
  const { bytes, types, ncol, ctx, values, nulls, codes, dicts, negZero, skip, scan } = pass;
  const { stop, fastEnd, nullBytes } = ctx;
  const { delimiter: delim, quote } = ctx.opts;
  const reader = ctx.reader;
  const end = bytes.length;
  const nullLen = nullBytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pending = new Int32Array(ncol);
  const pendStart = new Int32Array(ncol);
  const pendEnd = new Int32Array(ncol);
  let pos = 0;
  let rows = 0;
  let cap = pass.cap;
  for (;;) {
    if (rows === cap) {
      pass.grow();
      cap = pass.cap;
    }
    fast: if (pos < fastEnd) {
      const b0 = bytes[pos]!;
      if (b0 === LF || b0 === CR) break fast;
      let p = pos;
      let npending = 0;
      for (let c = 0; c < ncol; c++) {
        if (bytes[p] === quote) break fast;
        const s = p;
        const t = types[c]!;
        if (skip[c] === 1) {
          // A skipped column keeps no value; a scan still infers its type, as inferRecords does.
          while (stop[bytes[p]!] === 0) p++;
          if (scan && t !== T_STRING && s !== p) {
            if (t === T_INT ? Number.isNaN(parseIntField(bytes, s, p)) : !fitsType(t, bytes, s, p)) break fast;
            if (nullLen > 0 && equalsBytes(bytes, s, p, nullBytes)) break fast;
          }
        } else if (t === T_STRING) {
          while (stop[bytes[p]!] === 0) p++;
          if (s === p || (nullLen > 0 && equalsBytes(bytes, s, p, nullBytes))) {
            codes[c]![rows] = -1;
          } else {
            const dict = dicts[c]!;
            if (s + 12 <= end) dict.packFast(dv, bytes, s, p);
            else dict.pack(bytes, s, p);
            const code = dict.find(bytes, s);
            if (code >= 0) {
              codes[c]![rows] = code;
            } else {
              pending[npending++] = c;
              pendStart[c] = s;
              pendEnd[c] = p;
            }
          }
        } else if (t === T_NULL) {
          // A scan's column with no value yet: a value widens it, on the general path.
          while (stop[bytes[p]!] === 0) p++;
          if (s !== p && !(nullLen > 0 && equalsBytes(bytes, s, p, nullBytes))) break fast;
        } else {
          let v: number;
          if (t === T_INT) {
            // The inline int reader of inferRecords, converting too (see there for why inline).
            let neg = false;
            if (bytes[p] === 0x2d) {
              neg = true;
              p++;
            }
            const ds = p;
            v = 0;
            for (;;) {
              const d = bytes[p]! - 0x30;
              if (d < 0 || d > 9) break;
              v = v * 10 + d;
              p++;
            }
            if (p === ds) {
              if (neg) break fast;
            } else {
              if (v > (neg ? 2147483648 : 2147483647)) break fast;
              if (neg) {
                if (v === 0) negZero[c] = 1;
                v = 0 - v;
              }
            }
          } else {
            while (stop[bytes[p]!] === 0) p++;
            v = s === p ? 0 : parseTyped(t, bytes, s, p);
            if (v !== v && !(t === T_DOUBLE && isNaNToken(bytes, s, p))) break fast;
            if (v === 0 && t === T_LONG && bytes[s] === 0x2d) negZero[c] = 1;
          }
          if (s === p || (nullLen > 0 && equalsBytes(bytes, s, p, nullBytes))) {
            values[c]![rows] = NaN;
            let m = nulls[c]!;
            if (!m) {
              m = new Uint8Array(cap);
              nulls[c] = m;
            }
            m[rows] = 1;
          } else {
            values[c]![rows] = v;
          }
        }
        if (c + 1 < ncol) {
          if (bytes[p] === delim) {
            p++;
            continue;
          }
          break fast;
        }
        const next = lineBreakEnd(bytes, p, end);
        if (next < 0) break fast;
        p = next;
        reader.line++;
      }
      for (let k = 0; k < npending; k++) {
        const c = pending[k]!;
        codes[c]![rows] = dicts[c]!.add(bytes, pendStart[c]!, pendEnd[c]!);
      }
      pos = p;
      rows++;
      continue;
    }
    pass.rows = rows;
    const next = pass.general(pos);
    rows = pass.rows;
    if (next < 0) return;
    pos = next;
  }
}

/**
 * Spark's inferSchema over the record the general path just tokenized: each non-null value
 * of the first n fields widens its column's type; `widen(c, t)` is called for each change.
 */
function inferRecordTypes(
  reader: PartitionContext['reader'],
  bytes: Uint8Array,
  types: Int32Array,
  n: number,
  nullBytes: Uint8Array,
  widen: (c: number, t: number) => void,
): void {
  for (let c = 0; c < n; c++) {
    const cur = types[c]!;
    if (cur === T_STRING) continue;
    const buf = (reader.flags[c]! & FIELD_SCRATCH) !== 0 ? reader.scratch : bytes;
    const s = reader.starts[c]!;
    const e = reader.ends[c]!;
    if (s === e || (nullBytes.length > 0 && equalsBytes(buf, s, e, nullBytes))) continue;
    const t = joinTypes(cur, classifyField(buf, s, e));
    if (t !== cur) widen(c, t);
  }
}

/** Value of a typed field as its column type wants it; NaN when it does not parse. */
function parseTyped(t: number, buf: Uint8Array, s: number, e: number): number {
  if (t === T_INT) return parseIntField(buf, s, e);
  if (t === T_DOUBLE) return parseDoubleField(buf, s, e);
  if (t === T_LONG) return parseLongField(buf, s, e);
  return parseBooleanField(buf, s, e);
}

/** True when the non-empty value buf[s, e) parses as type code t (T_NULL: never). */
function fitsType(t: number, buf: Uint8Array, s: number, e: number): boolean {
  if (t === T_DOUBLE) return !Number.isNaN(parseDoubleField(buf, s, e)) || isNaNToken(buf, s, e);
  if (t === T_LONG) return !Number.isNaN(parseLongField(buf, s, e));
  if (t === T_BOOLEAN) return !Number.isNaN(parseBooleanField(buf, s, e));
  return false;
}

/**
 * Row capacity to start with: the records extrapolated from the line breaks in the first
 * 256 KiB, plus an eighth. Arrays double if the guess is short.
 */
function estimateRecords(bytes: Uint8Array): number {
  const sample = Math.min(bytes.length, 1 << 18);
  let lf = 0;
  let cr = 0;
  for (let i = 0; i < sample; i++) {
    const b = bytes[i];
    if (b === LF) lf++;
    else if (b === CR) cr++;
  }
  const breaks = lf > 0 ? lf : cr;
  return Math.ceil((bytes.length * (breaks + 1) * 1.125) / Math.max(1, sample)) + 16;
}

/** A column with no values, of the kind a column of that type has (a skipped column). */
export function emptyColumn(isString: boolean): Column {
  return isString
    ? { kind: 'string', codes: sharedInt32(0), dict: { size: 0, offsets: sharedInt32(1), bytes: sharedUint8(0) } }
    : { kind: 'numeric', values: sharedFloat64(0), nulls: null };
}

function equalsBytes(buf: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[s + i] !== word[i]) return false;
  return true;
}

function growFloat64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
function growInt32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
function growUint8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
