/**
 * Plans a job's input on the driver, from the files alone (never from the executors): finds
 * the files (input-files.ts), decides each one's format from its magic bytes
 * (detectInputFormat), checks that they agree (one format; CSV files the same header, Parquet
 * files the same columns and types; the file that differs is named), and cuts them into
 * partitions. Every error here comes before any task runs.
 *
 * Partitions never span files. The job's partition count (`input.partitions`, else
 * defaultPartitionCount of the total data bytes) is shared among the files in proportion to
 * their data bytes, at least one each (largest remainders first, ties to the earlier file);
 * without `input.partitions` no splittable partition exceeds maxPartitionBytes. A plain CSV
 * file is cut at record boundaries (planCsvSplits), a gzip file is one partition (gzip cannot
 * be split, as in Spark), and a Parquet file is cut between row groups into contiguous runs
 * of row groups of balanced compressed size (never more partitions than row groups).
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  columnsDiffer,
  DataError,
  defaultPartitionCount,
  detectInputFormat,
  footerLength,
  inputChangedError,
  KindlingError,
  MAGIC_BYTES,
  PARQUET_TRAILER,
  parquetColumns,
  loadHyparquet,
  parseParquetFooter,
  planCsvSplits,
  rowGroupSpans,
  schemaOfColumns,
  type ByteRangeReader,
  type InputFile,
  type JobPlan,
  type ParquetColumn,
  type PlanPartition,
  type RowGroupSpan,
} from '@kindling/shared/compute';
import { FileRangeReader } from '../io/file-range-reader.js';
import type { InputSpec } from '../job/job-spec.js';
import { resolveInputFiles } from './input-files.js';

/** The first plan of an input, and what the driver needs to finish it after inference. */
export interface PlannedInput {
  /** CSV: partitions with firstRowId 0 (known after inference). Parquet: complete, with the schema. */
  readonly plan: JobPlan;
  /** CSV: per file, the line of its first data record. */
  readonly dataFirstLines: readonly number[];
  /** The input as stage names and messages show it (a file name, or a folder with a file count). */
  readonly label: string;
  /** Things worth a log line (a `.gz` without gzip magic…). */
  readonly notes: readonly string[];
}

/** A decompressed gzip file's size and its first bytes (enough for the header). */
const GZIP_PREFIX = 4 * 1024 * 1024;

/** Plans `input`; `exactSplits` forces exact CSV cut scans (after a split-plan error). */
export async function planInputFiles(input: InputSpec, exactSplits: boolean, version: number): Promise<PlannedInput> {
  const declared = input.format;
  // Saved features are planned by features-planner.ts; a caller that gets here is a driver bug.
  if (declared === 'features') throw new KindlingError('E_INTERNAL', 'a features input is planned by planFeatures, not as rows');
  const paths = await resolveInputFiles(input.path);
  const notes: string[] = [];
  const detected: InputFile[] = [];
  for (const p of paths) {
    const reader = await openInput(p);
    try {
      const head = await reader.read(0, MAGIC_BYTES);
      const tail = await reader.read(Math.max(0, reader.size - MAGIC_BYTES), MAGIC_BYTES);
      const d = detectInputFormat(p, head, tail, reader.size, declared);
      if (d.note !== undefined) notes.push(d.note);
      detected.push({ path: p, size: reader.size, format: d.format, compression: d.compression });
    } finally {
      await reader.close();
    }
  }
  const first = detected[0]!;
  const other = detected.find((f) => f.format !== first.format);
  if (other !== undefined) {
    throw new DataError(
      'E_INPUT_FORMAT',
      `${other.path} is ${other.format} but ${first.path} is ${first.format}: one input holds one format`,
      {
        file: other.path,
      },
    );
  }
  const label = inputLabel(input.path, paths);
  const planned =
    first.format === 'parquet' ? await planParquet(input, detected, version) : await planCsv(input, detected, exactSplits, version);
  if (planned.plan.partitions.length === 0) throw new DataError('E_CSV_EMPTY', `${label}: no data rows`, { file: first.path });
  return { ...planned, label, notes };
}

/** How the input is named in stage names and messages. */
function inputLabel(given: string | readonly string[], files: readonly string[]): string {
  const entries = typeof given === 'string' ? [given] : given;
  if (entries.length === 1 && files.length === 1 && files[0] === entries[0]) return path.basename(files[0]!);
  return `${path.basename(entries[0]!)}${entries.length > 1 ? ', …' : ''} (${files.length} files)`;
}

/** What partitioning needs to know of one file. */
interface Weighed {
  /** Data bytes (after the header; Parquet: column chunk bytes). */
  readonly bytes: number;
  /** Most partitions the file can be cut into. */
  readonly max: number;
}

/**
 * Partitions per file (see the module comment): `target` shared by data bytes, at least 1
 * (0 for a file that can hold none), at most each file's max; with `maxPartitionBytes` (no
 * fixed count) also enough that no partition of a splittable file exceeds it.
 */
export function allocatePartitions(files: readonly Weighed[], target: number, maxPartitionBytes?: number): number[] {
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const share = files.map((f) => (total > 0 ? (target * f.bytes) / total : target / files.length));
  const n = files.map((f, i) => {
    if (f.max === 0) return 0;
    let k = Math.max(1, Math.floor(share[i]!));
    if (maxPartitionBytes !== undefined) k = Math.max(k, Math.ceil(f.bytes / maxPartitionBytes));
    return Math.min(f.max, k);
  });
  for (let left = target - n.reduce((a, b) => a + b, 0); left > 0; left--) {
    let best = -1;
    for (let i = 0; i < files.length; i++) {
      if (n[i]! >= files[i]!.max) continue;
      if (best < 0 || share[i]! - n[i]! > share[best]! - n[best]!) best = i;
    }
    if (best < 0) break;
    n[best]!++;
  }
  return n;
}

function targetCount(input: InputSpec, totalBytes: number): number {
  return input.partitions ?? defaultPartitionCount(totalBytes, input.maxPartitionBytes);
}

// ---- CSV ----

interface CsvHead {
  readonly columnNames: string[];
  readonly headerEnd: number;
  readonly dataFirstLine: number;
  /** Decompressed size for gzip, else the file size. */
  readonly dataSize: number;
}

async function planCsv(input: InputSpec, files: readonly InputFile[], exactSplits: boolean, version: number) {
  const heads: CsvHead[] = [];
  for (const f of files) {
    const head = f.compression === 'gzip' ? await gzipHead(f.path, input) : await plainHead(f, input);
    const expected = heads[0];
    if (expected !== undefined && !sameNames(expected.columnNames, head.columnNames)) {
      const what = input.csv.header ? 'header' : 'number of columns';
      throw new DataError(
        'E_CSV_HEADER',
        `${f.path}: its ${what} differs from ${files[0]!.path}: expected columns [${expected.columnNames.join(', ')}], found [${head.columnNames.join(', ')}]`,
        { file: f.path, expected: expected.columnNames, found: head.columnNames },
      );
    }
    heads.push(head);
  }
  const weighed = heads.map((h, i) => ({
    bytes: h.dataSize - h.headerEnd,
    max: files[i]!.compression === 'gzip' ? 1 : Number.MAX_SAFE_INTEGER,
  }));
  const total = weighed.reduce((a, w) => a + w.bytes, 0);
  const counts = allocatePartitions(
    weighed,
    targetCount(input, total),
    input.partitions === undefined ? input.maxPartitionBytes : undefined,
  );

  const partitions: PlanPartition[] = [];
  for (const [i, f] of files.entries()) {
    const h = heads[i]!;
    if (f.compression === 'gzip') {
      partitions.push({ file: i, start: 0, end: f.size, firstRowId: 0, firstLine: h.dataFirstLine, dataStart: h.headerEnd });
      continue;
    }
    if (counts[i]! <= 1) {
      partitions.push({ file: i, start: h.headerEnd, end: f.size, firstRowId: 0, firstLine: h.dataFirstLine });
      continue;
    }
    const reader = await openInput(f.path, f.size);
    try {
      const planned = await planCsvSplits({
        file: f.path,
        fileSize: f.size,
        read: reader.read,
        csv: input.csv,
        partitions: counts[i]!,
        maxPartitionBytes: input.maxPartitionBytes,
        exactSplits,
      });
      planned.sources.forEach((s, k) =>
        partitions.push({ file: i, start: s.start, end: s.end, firstRowId: 0, ...(k === 0 && { firstLine: h.dataFirstLine }) }),
      );
    } finally {
      await reader.close();
    }
  }
  const plan: JobPlan = { version, files, csv: input.csv, columnNames: heads[0]!.columnNames, partitions };
  return { plan, dataFirstLines: heads.map((h) => h.dataFirstLine) };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The header of a plain CSV file (planCsvSplits with one partition reads only the first record). */
async function plainHead(f: InputFile, input: InputSpec): Promise<CsvHead> {
  const reader = await openInput(f.path, f.size);
  try {
    const p = await planCsvSplits({
      file: f.path,
      fileSize: f.size,
      read: reader.read,
      csv: input.csv,
      partitions: 1,
      maxPartitionBytes: input.maxPartitionBytes,
    });
    return { columnNames: p.columnNames, headerEnd: p.headerEnd, dataFirstLine: p.dataFirstLine, dataSize: f.size };
  } finally {
    await reader.close();
  }
}

/**
 * The header of a gzip CSV file: the driver decompresses the whole stream once (so a
 * truncated or corrupt file fails here, before any work, naming the file), keeping only its
 * first 4 MiB for the header.
 */
async function gzipHead(file: string, input: InputSpec): Promise<CsvHead> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let size = 0;
  try {
    await pipeline(
      createReadStream(file),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (keptBytes < GZIP_PREFIX) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
          done();
        },
      }),
    );
  } catch (err) {
    const msg = (err as Error).message;
    throw new DataError(
      'E_INPUT_FORMAT',
      `${file}: cannot decompress: ${msg === 'unexpected end of file' ? 'the gzip stream is truncated' : msg}`,
      { file },
      { cause: err },
    );
  }
  const prefix = Buffer.concat(kept);
  const read: ByteRangeReader = async (start, length) => prefix.subarray(start, Math.min(prefix.length, start + length));
  const p = await planCsvSplits({ file, fileSize: size, read, csv: input.csv, partitions: 1, maxPartitionBytes: input.maxPartitionBytes });
  return { columnNames: p.columnNames, headerEnd: p.headerEnd, dataFirstLine: p.dataFirstLine, dataSize: size };
}

// ---- Parquet ----

async function planParquet(input: InputSpec, files: readonly InputFile[], version: number) {
  await loadHyparquet();
  const footers: { columns: ParquetColumn[]; spans: RowGroupSpan[]; footerStart: number }[] = [];
  for (const f of files) {
    const reader = await openInput(f.path, f.size);
    try {
      const len = footerLength(await reader.read(f.size - PARQUET_TRAILER, PARQUET_TRAILER), f.path, f.size);
      const footerStart = f.size - PARQUET_TRAILER - len;
      const metadata = parseParquetFooter(await reader.read(footerStart, len + PARQUET_TRAILER), f.path);
      const columns = parquetColumns(metadata, f.path);
      const differs = footers[0] && columnsDiffer(footers[0].columns, columns);
      if (differs) {
        throw new DataError('E_SCHEMA', `${f.path}: its schema differs from ${files[0]!.path}: ${differs}`, { file: f.path });
      }
      footers.push({ columns, spans: rowGroupSpans(metadata, f.path, footerStart), footerStart });
    } finally {
      await reader.close();
    }
  }
  const weighed = footers.map((x) => ({ bytes: x.spans.reduce((a, s) => a + s.bytes, 0), max: x.spans.length }));
  const total = weighed.reduce((a, w) => a + w.bytes, 0);
  const counts = allocatePartitions(
    weighed,
    targetCount(input, total),
    input.partitions === undefined ? input.maxPartitionBytes : undefined,
  );
  const partitions: PlanPartition[] = [];
  let rowId = 0;
  footers.forEach((x, i) => {
    for (const [g0, g1] of groupRowGroups(x.spans, counts[i]!)) {
      partitions.push({ file: i, start: x.spans[g0]!.start, end: x.spans[g1 - 1]!.end, firstRowId: rowId, rowGroups: [g0, g1] });
      for (let g = g0; g < g1; g++) rowId += x.spans[g]!.rows;
    }
  });
  const columns = footers[0]!.columns;
  const plan: JobPlan = {
    version,
    files: files.map((f, i) => ({ ...f, footerStart: footers[i]!.footerStart })),
    csv: input.csv,
    columnNames: columns.map((c) => c.name),
    partitions,
    schema: schemaOfColumns(columns),
  };
  return { plan, dataFirstLines: files.map(() => 1) };
}

/**
 * Cuts a file's row groups into `n` contiguous runs of balanced bytes: cut k goes to the first
 * row-group boundary at or past k/n of the bytes, kept strictly increasing and leaving one
 * row group for each later run.
 */
export function groupRowGroups(spans: readonly { readonly bytes: number }[], n: number): [number, number][] {
  const r = spans.length;
  if (r === 0 || n <= 0) return [];
  const total = spans.reduce((a, s) => a + s.bytes, 0);
  const cum: number[] = [0];
  for (const s of spans) cum.push(cum[cum.length - 1]! + s.bytes);
  const cuts = [0];
  for (let k = 1; k < Math.min(n, r); k++) {
    const target = (k * total) / n;
    let j = cuts[k - 1]! + 1;
    while (j < r && cum[j]! < target) j++;
    cuts.push(Math.min(j, r - (Math.min(n, r) - k)));
  }
  cuts.push(r);
  const out: [number, number][] = [];
  for (let k = 0; k + 1 < cuts.length; k++) out.push([cuts[k]!, cuts[k + 1]!]);
  return out;
}

/** Opens an input file for reading ranges; E_IO naming it when it cannot be opened. */
export async function openInput(file: string, plannedSize?: number): Promise<FileRangeReader> {
  let reader: FileRangeReader;
  try {
    reader = await FileRangeReader.open(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KindlingError(
      'E_IO',
      `input ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  // The size listed with the input is the one every offset of the plan is computed from.
  if (plannedSize !== undefined && reader.size !== plannedSize) {
    await reader.close();
    throw inputChangedError(`input ${file}`, reader.size, plannedSize, 'it was listed');
  }
  return reader;
}
