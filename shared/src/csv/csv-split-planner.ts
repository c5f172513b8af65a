/**
 * Plans a CSV file's partitions on the driver: reads the header (or the first record), then
 * cuts the data into record-aligned byte ranges, reading only a window around each cut, never
 * the whole file. The partition count depends only on the file size and the job's options.
 *
 * Finding a cut: the target offset t (an even byte cut) moves to a record start. Let c be the
 * first offset ≥ t just after a line break. Either that line break is a record terminator
 * (hypothesis OUT: c starts a record) or it lies inside a quoted field (hypothesis IN). The
 * window is parsed under both, with the same grammar as the parser (csv-record-parser.ts):
 * 1. If both parses reach a common record start p, p is a record start whichever hypothesis
 *    holds (the parses agree from there on): the cut is p. Sound for any input; typical as
 *    soon as a quote character follows c (the wrong reading resynchronises on it).
 * 2. If the window reaches end of file and one hypothesis ends inside an unclosed quote, the
 *    other holds (for a well-formed file).
 * 3. If one hypothesis is still inside a quoted field where a window of ≥ 64 KiB ends while
 *    the other parsed ≥ 16 complete records, at most 1 in 9 of them with a wrong field count
 *    or a quote anomaly, the latter is taken: an open quote spanning that window, over
 *    CSV-like text, is implausible. (Windows grow ×4 from 64 KiB to 4 MiB.)
 * 4. Otherwise, at 4 MiB: an exact sequential quote-state scan from the previous cut
 *    (streamed through `read` in 1 MiB chunks, constant memory). `exactSplits` forces it.
 * Rule 3 is the only guess. If it is ever wrong (a quoted field of ≥ 64 KiB holding
 * CSV-like lines without quotes), the partition before the cut meets a quoted field running
 * past its end and fails loudly (E_CSV_MALFORMED, details.splitPlanError) instead of
 * mis-reading data; planning again with `exactSplits: true` fixes it.
 */
import { KindlingError, JobSpecError } from '../errors.js';
import type { CsvOptions, PartitionSource } from '../tasks.js';
import { csvByteOptions, type CsvByteOptions } from './csv-options.js';
import { CR, CsvBoundaryScanner, CsvRecordReader, FIELD_SCRATCH, LF, REC_UNTERMINATED, recordHasStrayQuote } from './csv-record-parser.js';

/** Reads `length` bytes at `start` of the file; may return fewer at end of file. */
export type ByteRangeReader = (start: number, length: number) => Promise<Uint8Array>;

/** The plan of a CSV file: column names and the partitions' byte ranges. */
export interface CsvPlan {
  columnNames: string[];
  /** Offset where the data starts (after the BOM and the header record, if any). */
  headerEnd: number;
  /** File line (1-based) of the byte at headerEnd: the first line of partition 0. */
  dataFirstLine: number;
  sources: PartitionSource[];
}

/** Arguments of planCsvSplits. */
export interface PlanCsvSplitsArgs {
  /** Absolute path; copied into each PartitionSource and used in messages. */
  file: string;
  fileSize: number;
  read: ByteRangeReader;
  csv: CsvOptions;
  /** Fixed partition count (Spark's repartition at read); default from the data size. */
  partitions?: number;
  /** Target bytes per partition when `partitions` is absent. */
  maxPartitionBytes: number;
  /** Find every cut by the exact sequential scan (reads the data once); default false. */
  exactSplits?: boolean;
}

const FIRST_WINDOW = 64 * 1024;
const GUESS_WINDOW = 64 * 1024;
const MAX_WINDOW = 4 * 1024 * 1024;
const MIN_CLEAN_RECORDS = 16;
const SCAN_CHUNK = 1 << 20;

/**
 * Partition count when none is given: enough partitions of at most maxPartitionBytes, and up
 * to 4 partitions of at least 64 KiB each so small files still spread over a few executors.
 */
export function defaultPartitionCount(dataBytes: number, maxPartitionBytes: number): number {
  const bySize = Math.ceil(dataBytes / maxPartitionBytes);
  const spread = Math.min(4, Math.ceil(dataBytes / 65536));
  return Math.max(1, bySize, spread);
}

/**
 * Plans the partitions of a CSV file. Throws KindlingError E_CSV_EMPTY when the file has no
 * record at all (empty, BOM only, blank lines only). A header-only file gives one partition
 * with no records. Consecutive cuts that land on the same record start are merged, so a file
 * with huge records may get fewer partitions than asked.
 */
export async function planCsvSplits(args: PlanCsvSplitsArgs): Promise<CsvPlan> {
  const { file, fileSize, read, csv, partitions, maxPartitionBytes } = args;
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) {
    throw new JobSpecError(`input.partitions must be a positive integer, got ${partitions}`, 'input.partitions');
  }
  if (!(maxPartitionBytes > 0)) {
    throw new JobSpecError(`input.maxPartitionBytes must be positive, got ${maxPartitionBytes}`, 'input.maxPartitionBytes');
  }
  const opts = csvByteOptions(csv);
  const head = await readFirstRecord(file, fileSize, read, opts, csv);
  const headerEnd = head.dataStart;
  const dataBytes = fileSize - headerEnd;
  const count = partitions ?? defaultPartitionCount(dataBytes, maxPartitionBytes);
  const ncol = head.fields.length;

  const cuts = [headerEnd];
  let prev = headerEnd;
  for (let k = 1; k < count && dataBytes > 0; k++) {
    const target = headerEnd + Math.floor((k * dataBytes) / count);
    if (target <= prev) continue;
    const ctx = { fileSize, read, opts, ncol };
    const cut = args.exactSplits ? await sequentialCut(ctx, target, prev) : await findCut(ctx, target, prev);
    if (cut > prev && cut < fileSize) cuts.push(cut);
    if (cut > prev) prev = cut;
  }
  cuts.push(fileSize);

  const columnNames = csv.header ? headerNames(head.fields, csv.nullValue) : head.fields.map((_, i) => `_c${i}`);
  const sources: PartitionSource[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    sources.push({ file, index: i, start: cuts[i]!, end: cuts[i + 1]!, numColumns: ncol, columnNames });
  }
  return { columnNames, headerEnd, dataFirstLine: head.dataFirstLine, sources };
}

/**
 * Spark's header clean-up (CSVDataSource.makeSafeHeader, case-insensitive): an empty name or
 * one equal to nullValue becomes `_c<i>`; names that occur more than once get their index
 * appended (`id`, `ID` → `id0`, `ID1`).
 */
export function headerNames(raw: readonly string[], nullValue: string): string[] {
  const seen = new Map<string, number>();
  for (const n of raw) seen.set(n.toLowerCase(), (seen.get(n.toLowerCase()) ?? 0) + 1);
  return raw.map((n, i) => {
    if (n === '' || n === nullValue) return `_c${i}`;
    if ((seen.get(n.toLowerCase()) ?? 0) > 1) return `${n}${i}`;
    return n;
  });
}

interface FirstRecord {
  fields: string[];
  dataStart: number;
  dataFirstLine: number;
}

async function readFirstRecord(
  file: string,
  fileSize: number,
  read: ByteRangeReader,
  opts: CsvByteOptions,
  csv: CsvOptions,
): Promise<FirstRecord> {
  const decoder = new TextDecoder('utf-8');
  for (let win = FIRST_WINDOW; ; win *= 4) {
    const want = Math.min(win, fileSize);
    const buf = await read(0, want);
    const eof = buf.length >= fileSize || buf.length < want;
    const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    const reader = new CsvRecordReader(opts);
    const end = reader.next(buf, bom, buf.length);
    if (end < 0) {
      if (eof) throw new KindlingError('E_CSV_EMPTY', `${file} is empty: it has no header and no records`, { file });
      continue;
    }
    if (end === buf.length && !eof) continue; // the record may go on past the window
    if (csv.header && (reader.status & REC_UNTERMINATED) !== 0) {
      throw new KindlingError('E_CSV_HEADER', `${file}:${reader.recordLine}: the header has a quoted field that is never closed`, {
        file,
        line: reader.recordLine,
      });
    }
    const fields: string[] = [];
    for (let i = 0; i < reader.fieldCount; i++) {
      const src = (reader.flags[i]! & FIELD_SCRATCH) !== 0 ? reader.scratch : buf;
      fields.push(decoder.decode(src.subarray(reader.starts[i]!, reader.ends[i]!)));
    }
    return csv.header ? { fields, dataStart: end, dataFirstLine: reader.line } : { fields, dataStart: bom, dataFirstLine: 1 };
  }
}

interface CutContext {
  fileSize: number;
  read: ByteRangeReader;
  opts: CsvByteOptions;
  ncol: number;
}

/** First record start at or after `target` (or a later certain one); `prev` is the last cut. */
async function findCut(ctx: CutContext, target: number, prev: number): Promise<number> {
  const from = target - 1;
  for (let win = FIRST_WINDOW; ; win *= 4) {
    const want = Math.min(win, ctx.fileSize - from);
    const buf = await ctx.read(from, want);
    // A short read means end of file (ByteRangeReader's contract).
    const eof = from + buf.length >= ctx.fileSize || buf.length < want;
    const cut = decide(ctx, buf, from, eof, win >= GUESS_WINDOW);
    if (cut >= 0) return cut;
    if (win >= MAX_WINDOW || eof) return sequentialCut(ctx, target, prev);
  }
}

/** Outcome of parsing a window under one hypothesis. */
interface Reading {
  /** Record starts seen (offsets just past complete records), increasing. */
  starts: number[];
  /** Complete records with the right field count and no quote anomaly. */
  clean: number;
  /** Complete records with a wrong field count or a quote anomaly. */
  dirty: number;
  /** Still inside a quoted field where the window ends (not at end of file). */
  stuck: boolean;
  /** Inside a quoted field at end of file. */
  openAtEof: boolean;
}

/** Applies the rules of the module header to one window; -1 when undecided. */
function decide(ctx: CutContext, buf: Uint8Array, base: number, eof: boolean, mayGuess: boolean): number {
  const len = buf.length;
  // First offset ≥ base+1 (= target) just after a line break.
  let c = -1;
  for (let i = 1; i <= len; i++) {
    const b = buf[i - 1];
    if (b === LF) {
      c = i;
      break;
    }
    if (b === CR) {
      if (i < len) {
        if (buf[i] !== LF) {
          c = i;
          break;
        }
      } else if (eof) {
        c = i;
        break;
      }
    }
  }
  if (c < 0) return eof ? ctx.fileSize : -1;
  if (c === len && eof) return ctx.fileSize;

  const out = readRecords(ctx, buf, base, c, eof, false);
  const inq = readRecords(ctx, buf, base, c, eof, true);
  // Rule 1: a common record start.
  const outSet = new Set(out.starts);
  outSet.add(base + c);
  for (const p of inq.starts) if (outSet.has(p)) return p;
  // Rule 2: end of file inside an open quote refutes a hypothesis.
  if (inq.openAtEof && !out.openAtEof) return base + c;
  if (out.openAtEof && !inq.openAtEof && inq.starts.length > 0) return inq.starts[0]!;
  // Rule 3: an open quote over the window against (mostly) clean records.
  if (!mayGuess) return -1;
  if (inq.stuck && !out.stuck && plausible(out)) return base + c;
  if (out.stuck && !inq.stuck && inq.starts.length > 0 && plausible(inq)) return inq.starts[0]!;
  return -1;
}

/** Enough complete records, nearly all well-formed, to trust a reading (rule 3). */
function plausible(r: Reading): boolean {
  return r.clean >= MIN_CLEAN_RECORDS && r.dirty * 8 <= r.clean;
}

/**
 * Parses buf (file offset `base`) from index c under one hypothesis (inQuotes: c lies inside
 * a quoted field, whose record's remaining fields are not checked).
 */
function readRecords(ctx: CutContext, buf: Uint8Array, base: number, c: number, eof: boolean, inQuotes: boolean): Reading {
  const r: Reading = { starts: [], clean: 0, dirty: 0, stuck: false, openAtEof: false };
  const reader = new CsvRecordReader(ctx.opts);
  const len = buf.length;
  let pos = c;
  let first = inQuotes;
  for (;;) {
    const next = first ? reader.resumeInQuotes(buf, pos, len) : reader.next(buf, pos, len);
    if (next < 0) break;
    const open = (reader.status & REC_UNTERMINATED) !== 0;
    if (next >= len && !eof) {
      r.stuck = open;
      break;
    }
    if (open) {
      r.openAtEof = true;
      break;
    }
    if (!first) {
      if (reader.fieldCount === ctx.ncol && reader.status === 0 && !recordHasStrayQuote(reader, buf, ctx.opts.quote)) r.clean++;
      else r.dirty++;
    }
    first = false;
    r.starts.push(base + next);
    pos = next;
    if (next >= len) break;
  }
  return r;
}

/** Exact cut by scanning quote state from the previous cut, streaming, constant memory. */
async function sequentialCut(ctx: CutContext, target: number, prev: number): Promise<number> {
  const scanner = new CsvBoundaryScanner(ctx.opts);
  let off = prev;
  while (off < ctx.fileSize) {
    const chunk = await ctx.read(off, Math.min(SCAN_CHUNK, ctx.fileSize - off));
    if (chunk.length === 0) break;
    const hit = scanner.feed(chunk, off, target);
    if (hit >= 0) return hit;
    off += chunk.length;
  }
  const tail = scanner.finish(ctx.fileSize);
  return tail >= target ? tail : ctx.fileSize;
}
