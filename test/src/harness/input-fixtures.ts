/**
 * Input layouts of the bank data for the input tests: part-file folders cut where the
 * single-file planner cuts (so partitions align), a gzip copy, and Parquet copies written by
 * DuckDB (an independent writer) with Spark-like CSV typing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_CSV_OPTIONS, planCsvSplits } from '@kindling/shared';
import { bankCsv } from './paths.js';

/** The partition cuts the planner makes in `file` for `partitions` partitions: [headerEnd, …, size]. */
export async function plannedCuts(file: string, partitions: number): Promise<number[]> {
  const bytes = readFileSync(file);
  const plan = await planCsvSplits({
    file,
    fileSize: bytes.length,
    read: async (s, n) => bytes.subarray(s, Math.min(bytes.length, s + n)),
    csv: DEFAULT_CSV_OPTIONS,
    partitions,
    maxPartitionBytes: 4 * 1024 * 1024,
  });
  return [plan.headerEnd, ...plan.sources.map((s) => s.end)];
}

/** Writes `dir`/part-0000k.csv, each the header plus bytes [cuts[k], cuts[k+1]) of `file`, and Spark's bookkeeping files. */
export function writePartFiles(file: string, cuts: readonly number[], dir: string): string[] {
  const bytes = readFileSync(file);
  const header = bytes.subarray(0, cuts[0]);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const part = join(dir, `part-${String(k).padStart(5, '0')}-4b1c.csv`);
    writeFileSync(part, Buffer.concat([header, bytes.subarray(cuts[k], cuts[k + 1])]));
    writeFileSync(join(dir, `.part-${String(k).padStart(5, '0')}-4b1c.csv.crc`), 'crc');
    out.push(part);
  }
  writeFileSync(join(dir, '_SUCCESS'), '');
  writeFileSync(join(dir, '_committed_1234'), '{}');
  writeFileSync(join(dir, '_started_1234'), '');
  return out;
}

/** Writes rows of bank.csv as part files of `rowsPerPart` data rows each (the last one shorter). */
export function writePartsByRows(dir: string, rowsPerPart: readonly number[]): string[] {
  const lines = readFileSync(bankCsv, 'utf8').split('\n');
  const header = lines[0]!;
  const data = lines.slice(1).filter((l) => l.length > 0);
  mkdirSync(dir, { recursive: true });
  let at = 0;
  return rowsPerPart.map((n, k) => {
    const part = join(dir, `part-${String(k).padStart(5, '0')}.csv`);
    writeFileSync(part, [header, ...data.slice(at, at + n)].join('\n') + '\n');
    at += n;
    return part;
  });
}

/** A gzip copy of `file`. */
export function writeGzip(file: string, to: string): string {
  writeFileSync(to, gzipSync(readFileSync(file)));
  return to;
}

/** Runs SQL statements in a fresh in-memory DuckDB (one thread, so row groups are exactly as asked). */
export async function duckdb<T = unknown[]>(...sql: string[]): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run('SET threads = 1');
    let rows: unknown[][] = [];
    for (const s of sql) rows = (await c.runAndReadAll(s)).getRows() as unknown[][];
    return rows as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** bank.csv as Parquet by DuckDB, typed as Spark's CSV inference would (BIGINT/DOUBLE/VARCHAR), with rows per row group and codec. */
export async function writeBankParquet(to: string, rowGroupSize: number, codec = 'snappy'): Promise<number[]> {
  const rows = await duckdb<[bigint]>(
    `COPY (SELECT * FROM read_csv('${bankCsv}', header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) ` +
      `TO '${to}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize}, COMPRESSION ${codec})`,
    `SELECT row_group_num_rows FROM parquet_metadata('${to}') GROUP BY row_group_id, row_group_num_rows ORDER BY row_group_id`,
  );
  return rows.map(([n]) => Number(n));
}
