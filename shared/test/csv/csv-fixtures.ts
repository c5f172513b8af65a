/**
 * Test fixtures for the CSV reader tests: a seeded PRNG, a generator of tricky CSV text
 * (quoted delimiters, doubled quotes, embedded CR/LF/CRLF, multi-byte UTF-8, empty fields),
 * a counting file reader, and a way to run the whole reader (plan → infer → parse) over a
 * file, which also runs the one-pass read (scan → conform, or a load where a block cannot be
 * conformed) and throws unless it gives the same partials, errors and blocks bit for bit —
 * so every test that reads a file through it checks the two reads agree. Not a test file
 * itself (no `.test.` in the name).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  CsvParseError,
  KindlingError,
  DEFAULT_CSV_OPTIONS,
  countNewlines,
  withAbsoluteLine,
  dictionaryValue,
  batchStatistics,
  conformable,
  conformBatch,
  inferPartition,
  mergeInferPartials,
  parsePartition,
  scanPartition,
  planCsvSplits,
  type ByteRangeReader,
  type ColumnBatch,
  type CsvOptions,
  type CsvPlan,
  type InferPartial,
  type Schema,
} from '../../src/index.js';

/** Mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of makeTrickyCsv. */
export interface TrickyCsvOptions {
  rows: number;
  cols: number;
  delimiter?: string;
  quote?: string;
  /** Escape character for quotes inside quoted fields (default: the quote, doubled). */
  escape?: string;
  /** Terminators to mix; default LF and CRLF. */
  newlines?: readonly string[];
  /** Insert blank lines between records now and then. */
  blankLines?: boolean;
  /** End the last record with a newline (default: random). */
  finalNewline?: boolean;
  header?: boolean;
}

/** A generated CSV and the records it holds (field text after unquoting). */
export interface TrickyCsv {
  text: string;
  header: string[] | null;
  records: string[][];
}

const WORDS = ['alpha', 'beta', 'x', '42', '-7', '3.25', 'true', 'NaN', 'héllo', 'naïve café', '日本語', '🙂', ' spaced '];

/** Random CSV text with the nastiest legal cases of RFC 4180 in plausible proportions. */
export function makeTrickyCsv(seed: number, o: TrickyCsvOptions): TrickyCsv {
  const rnd = prng(seed);
  const d = o.delimiter ?? ',';
  const q = o.quote ?? '"';
  const esc = o.escape ?? q;
  const newlines = o.newlines ?? ['\n', '\r\n'];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const field = (): { raw: string; value: string } => {
    const r = rnd();
    if (r < 0.1) return { raw: '', value: '' };
    if (r < 0.55) {
      const w = pick(WORDS);
      return { raw: w, value: w };
    }
    // Quoted: mix in delimiters, quotes and line breaks.
    let value = '';
    const parts = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < parts; i++) {
      const k = rnd();
      if (k < 0.25) value += pick(WORDS);
      else if (k < 0.4) value += d;
      else if (k < 0.55) value += q;
      else if (k < 0.7) value += '\n';
      else if (k < 0.8) value += '\r\n';
      else if (k < 0.85) value += '\r';
      else if (k < 0.9 && esc !== q) value += esc;
      else value += pick(WORDS);
    }
    const inner =
      esc === q
        ? value.split(q).join(q + q)
        : value
            .split(esc)
            .join(esc + esc)
            .split(q)
            .join(esc + q);
    return { raw: q + inner + q, value };
  };
  const cell = (): { raw: string; value: string } => {
    const f = field();
    // A lone empty field would read as a blank line (skipped): quote it.
    return o.cols === 1 && f.raw === '' ? { raw: q + q, value: '' } : f;
  };
  const lines: string[] = [];
  const records: string[][] = [];
  let header: string[] | null = null;
  if (o.header) {
    header = Array.from({ length: o.cols }, (_, i) => `c${i}`);
    lines.push(header.join(d) + pick(newlines));
  }
  for (let r = 0; r < o.rows; r++) {
    const fs = Array.from({ length: o.cols }, cell);
    records.push(fs.map((f) => f.value));
    const last = r === o.rows - 1;
    const nl = last && !(o.finalNewline ?? rnd() < 0.5) ? '' : pick(newlines);
    lines.push(fs.map((f) => f.raw).join(d) + nl);
    if (o.blankLines && !last && rnd() < 0.05) lines.push(pick(newlines));
  }
  return { text: lines.join(''), header, records };
}

/** A file opened for ByteRangeReader reads, counting the bytes handed out. */
export interface CountingFile {
  read: ByteRangeReader;
  size: number;
  bytesRead(): number;
  close(): void;
}

/** Opens a file as a counting ByteRangeReader. */
export function openCounting(path: string): CountingFile {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  let total = 0;
  return {
    size,
    read: async (start, length) => {
      const b = Buffer.alloc(Math.max(0, length));
      const n = readSync(fd, b, 0, b.length, start);
      total += n;
      return new Uint8Array(b.buffer, b.byteOffset, n);
    },
    bytesRead: () => total,
    close: () => closeSync(fd),
  };
}

/** Bytes of a file range. */
export async function readRange(f: CountingFile, start: number, end: number): Promise<Uint8Array> {
  return f.read(start, end - start);
}

/** A batch's rows as JS values: numbers, strings, or null. */
export function batchRows(batch: ColumnBatch): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [];
  for (let i = 0; i < batch.numRows; i++) {
    rows.push(
      batch.columns.map((col) => {
        if (col.kind === 'numeric') return col.nulls && col.nulls[i] === 1 ? null : col.values[i]!;
        const code = col.codes[i]!;
        return code < 0 ? null : dictionaryValue(col.dict, code);
      }),
    );
  }
  return rows;
}

/** Result of reading a whole file the way the engine does. */
export interface ReadResult {
  plan: CsvPlan;
  schema: Schema;
  batches: ColumnBatch[];
  rows: (string | number | null)[][];
  lineCounts: number[];
  malformed: number;
  /** Bytes the planner read. */
  planBytesRead: number;
}

/** Plans, infers and parses a file, partition by partition, with row ids chained. */
export async function readCsvFile(
  path: string,
  csv: CsvOptions = DEFAULT_CSV_OPTIONS,
  planOpts: { partitions?: number; maxPartitionBytes?: number; exactSplits?: boolean } = {},
): Promise<ReadResult> {
  const f = openCounting(path);
  try {
    const plan = await planCsvSplits({
      file: path,
      fileSize: f.size,
      read: f.read,
      csv,
      maxPartitionBytes: planOpts.maxPartitionBytes ?? 128 << 20,
      ...(planOpts.partitions !== undefined ? { partitions: planOpts.partitions } : {}),
      ...(planOpts.exactSplits !== undefined ? { exactSplits: planOpts.exactSplits } : {}),
    });
    const planBytesRead = f.bytesRead();
    const parts: Uint8Array[] = [];
    for (const s of plan.sources) parts.push(await readRange(f, s.start, s.end));
    // As the driver does: infer all partitions at once (first lines unknown), and turn a
    // partition-relative error line into a file line on the error path.
    const partials: InferPartial[] = [];
    const scans: ReturnType<typeof scanPartition>[] = [];
    for (const [i, s] of plan.sources.entries()) {
      let scanError: unknown = undefined;
      try {
        scans.push(scanPartition(parts[i]!, s, csv, null, f.size));
      } catch (e) {
        scanError = e;
      }
      try {
        partials.push(inferPartition(parts[i]!, s, csv, null, f.size));
      } catch (e) {
        if (!(scanError instanceof Error) || scanError.message !== (e as Error).message) {
          throw new KindlingError('E_INTERNAL', `scan of partition ${i} did not fail as inference did: ${String(scanError)}`);
        }
        if (e instanceof CsvParseError && e.details.lineRelative === true) {
          throw withAbsoluteLine(e, 1 + (await countNewlines(f.read, s.start)));
        }
        throw e;
      }
      if (scanError !== undefined)
        throw new KindlingError('E_INTERNAL', `scan of partition ${i} failed, inference did not: ${String(scanError)}`);
      sameOrThrow(scans[i]!.partial, partials[i]!, `scan partial of partition ${i}`);
    }
    const schema = mergeInferPartials(partials, plan.columnNames);
    let rowId = 0;
    let line = plan.dataFirstLine;
    const batches: ColumnBatch[] = [];
    let malformed = 0;
    plan.sources.forEach((s, i) => {
      const r = parsePartition(parts[i]!, s, csv, schema, rowId, line, f.size);
      if (r.batch.numRows !== partials[i]!.rowCount) {
        throw new KindlingError('E_INTERNAL', `row count mismatch in partition ${i}: ${r.batch.numRows} vs ${partials[i]!.rowCount}`);
      }
      // The one-pass read: conform the scanned block, or load it again where it cannot be.
      const scanned = scans[i]!.batch;
      const one = conformable(scanned, schema)
        ? conformBatch(scanned, schema, rowId)
        : parsePartition(parts[i]!, s, csv, schema, rowId, line, f.size);
      sameOrThrow(one.partial, r.partial, `one-pass load partial of partition ${i}`);
      sameOrThrow(blockBytes(one.batch), blockBytes(r.batch), `one-pass block of partition ${i}`);
      sameOrThrow(batchStatistics(r.batch), r.partial.columns, `statistics of partition ${i}`);
      rowId += r.batch.numRows;
      line += partials[i]!.lineCount;
      malformed += r.partial.malformedCount;
      batches.push(r.batch);
    });
    return {
      plan,
      schema,
      batches,
      rows: batches.flatMap(batchRows),
      lineCounts: partials.map((p) => p.lineCount),
      malformed,
      planBytesRead,
    };
  } finally {
    f.close();
  }
}

/** A block as plain data, every array as its bytes (so -0, NaN payloads and lengths count). */
function blockBytes(b: ColumnBatch): unknown {
  const hex = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  return {
    schema: b.schema,
    numRows: b.numRows,
    rowIds: hex(b.rowIds),
    malformed: b.malformedCount ?? 0,
    columns: b.columns.map((c) =>
      c.kind === 'numeric'
        ? { values: hex(c.values), nulls: c.nulls ? hex(c.nulls) : null }
        : { codes: hex(c.codes), size: c.dict.size, offsets: hex(c.dict.offsets), bytes: hex(c.dict.bytes) },
    ),
  };
}

/** Throws E_INTERNAL naming `what` unless a and b are the same data (Object.is on leaves: -0 ≠ 0). */
function sameOrThrow(a: unknown, b: unknown, what: string): void {
  const enc = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? (Object.is(x, -0) ? '-0' : String(x)) : x));
  if (enc(a) !== enc(b))
    throw new KindlingError('E_INTERNAL', `${what} differs between the one-pass and two-pass reads: ${enc(a)} vs ${enc(b)}`);
}
