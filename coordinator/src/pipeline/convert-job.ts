/**
 * `kindling convert` on the driver: an input read as a training job reads it (the shared input
 * stages: CSV with schema inference, gzip CSV, folders, globs, Parquet), written as Parquet
 * with the inferred schema — the "load" step of the reference pipeline for users who run its
 * steps separately (docs/pipeline-steps.md). One part file per partition, in partition order,
 * through the OutputCommitter, so a failure leaves nothing that looks like a result. Row order
 * is the input's, so a job reading the output gets the same row ids as one reading the input.
 */
import { resolve } from 'node:path';
import type { ColumnType } from '@kindling/shared/compute';
import { writeParquetTable } from '../artifacts/parquet-table-writer.js';
import { OutputCommitter, type OutputMode } from '../artifacts/output-committer.js';
import type { DriverContext } from '../driver-context.js';
import { inferInput, inputOnlySpec, loadPlan, loadStage, planInput, stage, type InputOptions } from './input-stages.js';
import { parquetColumn } from './scored-rows-writer.js';

/** Options of convert(). */
export interface ConvertOptions extends InputOptions {
  /** Output folder: part-NNNNN.parquet per partition, then _SUCCESS. */
  readonly output: string;
  /** error (default) refuses an existing output folder; overwrite replaces it atomically. */
  readonly mode?: OutputMode;
}

/** What convert() reports. */
export interface ConvertResult {
  readonly outputPath: string;
  readonly rows: number;
  readonly partitions: number;
  /** Column names and types as written. */
  readonly schema: ReadonlyArray<{ name: string; type: ColumnType }>;
  readonly durationMs: number;
}

/** Rows per Parquet row group. */
const ROW_GROUP_ROWS = 65_536;

/** Reads `options.input` on the driver's executors and writes it as Parquet. */
export async function convert(options: ConvertOptions, driver: DriverContext): Promise<ConvertResult> {
  const started = Date.now();
  const target = resolve(options.output);
  const spec = inputOnlySpec(options);
  // Plan first: a bad input fails before the output folder is touched.
  const planned = await planInput(spec);
  const committer = await OutputCommitter.begin(target, options.mode ?? 'error');
  try {
    const result = await driver.runStages('convert', async (ctx) => {
      const input = await inferInput(ctx, spec, planned);
      const plan = loadPlan(input, input.schema);
      await loadStage(ctx, plan, input.label);
      const columns = input.schema.map((_, i) => i);
      const parts = await stage(ctx, plan, `export ${input.label}`, 'export-rows', { columns });
      let rows = 0;
      for (const [p, part] of parts.entries()) {
        const table = input.schema.map((f, i) => parquetColumn({ name: f.name, type: f.type }, part.columns[i]!));
        await writeParquetTable(committer.path(`part-${String(p).padStart(5, '0')}.parquet`), table, {
          rowGroupSize: ROW_GROUP_ROWS,
          sparkVersion: '3.5.0',
        });
        rows += part.count;
      }
      return { rows, partitions: parts.length, schema: input.schema };
    });
    await committer.commit();
    return { outputPath: committer.finalPath, ...result, durationMs: Date.now() - started };
  } catch (err) {
    await committer.abort().catch(() => undefined);
    throw err;
  }
}
