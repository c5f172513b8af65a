/**
 * `output.testSplit`: the job's test split as raw rows — every input column as loaded (the
 * dropped ones too), plus `rowId` first — in `test-split/part-NNNNN.parquet`, one part per
 * partition, so step 4 of the reference pipeline (`kindling evaluate`) runs on exactly the
 * rows this job tested on. The rows are the test design blocks' row ids (rows that
 * handleInvalid skipped are in neither split, as in the job), taken from the partition's
 * rows rebuilt from the input. Each part is one row group, so a later read partitions the
 * folder as this job's partitions: evaluation then merges the same per-partition partials in
 * the same order and prints the job's own test metrics, bit for bit.
 */
import { KindlingError, type ExportRowsPartial, type JobPlan } from '@kindling/shared/compute';
import type { OutputCommitter } from '../artifacts/output-committer.js';
import { writeParquetTable } from '../artifacts/parquet-table-writer.js';
import { makeFolder } from '../artifacts/spark-parquet.js';
import { stage } from './input-stages.js';
import { parquetColumn } from './scored-rows-writer.js';
import type { StageRunner } from './stage-runner.js';

/** Writes test-split/ into the committer's staging folder; returns the rows written. */
export async function writeTestSplit(scheduler: StageRunner, plan: JobPlan, committer: OutputCommitter): Promise<number> {
  const schema = plan.schema;
  if (schema === undefined) throw new KindlingError('E_INTERNAL', 'test split written before the plan had a schema');
  const ctx = { scheduler };
  const tests = await stage(ctx, plan, 'collect test row ids', 'features', { split: 'test' });
  // Rows are rebuilt from the input with every column: the job's read skipped the dropped ones.
  const full: JobPlan = { ...plan, version: plan.version + 1 };
  delete (full as { skipColumns?: unknown }).skipColumns;
  const parts = await stage(ctx, full, 'export test split rows', 'export-rows', { columns: schema.map((_, i) => i) });
  await makeFolder(committer.path('test-split'));
  let written = 0;
  for (const [p, part] of parts.entries()) {
    const keep = keptRows(part, tests[p]!.rowIds, p);
    const rows = select(part, keep);
    const table = [
      { name: 'rowId', type: 'long' as const, values: rows.rowIds },
      ...schema.map((f, i) => parquetColumn({ name: f.name, type: f.type }, rows.columns[i]!)),
    ];
    await writeParquetTable(committer.path(`test-split/part-${String(p).padStart(5, '0')}.parquet`), table, {
      rowGroupSize: Math.max(1, rows.count),
      sparkVersion: '3.5.0',
    });
    written += rows.count;
  }
  return written;
}

/** Positions in `part` of the rows whose ids are in `ids` (both ascending). */
function keptRows(part: ExportRowsPartial, ids: Float64Array | Uint32Array, partition: number): Int32Array {
  const keep = new Int32Array(ids.length);
  let j = 0;
  for (let r = 0; r < part.count && j < ids.length; r++) if (part.rowIds[r] === ids[j]) keep[j++] = r;
  if (j !== ids.length) {
    throw new KindlingError('E_INTERNAL', `partition ${partition}: ${ids.length - j} test row id(s) not among the partition's rows`);
  }
  return keep;
}

function select(part: ExportRowsPartial, keep: Int32Array): ExportRowsPartial {
  const n = keep.length;
  return {
    count: n,
    rowIds: Float64Array.from(keep, (r) => part.rowIds[r]!),
    columns: part.columns.map((c) => {
      if (c.kind === 'string')
        return { kind: 'string' as const, codes: Int32Array.from(keep, (r) => c.codes[r]!), dictionary: c.dictionary };
      const values = Float64Array.from(keep, (r) => c.values[r]!);
      return c.nulls === undefined
        ? { kind: 'numeric' as const, values }
        : { kind: 'numeric' as const, values, nulls: Uint8Array.from(keep, (r) => c.nulls![r]!) };
    }),
  };
}
