/**
 * The executor's TaskRunner and the one-pass read's provisional blocks, with a real block store
 * and a real worker-thread pool: a scan's block (the partition's own types, no row ids) must
 * serve only csv-conform. When it outlives its conform — the scan ran on this executor, the
 * conform and the encode on another, and a later task lands here after a failure — any other
 * op reading the rows gets a block rebuilt from lineage, never the provisional one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpec, planInputFiles } from '@kindling/coordinator';
import { BlockStore, TaskRunner, ThreadPool } from '@kindling/executor';
import { asJobId, taskOp, type ExportRowsPartial, type InferPartial, type JobPlan, type LoadPartial } from '@kindling/shared';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-runner-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const csv = join(scratch, 'in.csv');
writeFileSync(csv, 'a,b\n' + Array.from({ length: 300 }, (_, i) => (i < 150 ? `${i},x${i % 3}` : `v${i},x${i % 3}`)).join('\n') + '\n');

const pool = new ThreadPool(1);
t.teardown(() => pool.close());

async function plan(): Promise<{ scanPlan: JobPlan }> {
  const spec = parseJobSpec({ input: { path: csv, partitions: 2 }, pipeline: { label: 'b' } }, scratch);
  const planned = await planInputFiles(spec.input, false, 1);
  return { scanPlan: planned.plan };
}

t.test('task runner: a scan block is conformed for csv-conform and rebuilt for any other op', async (t) => {
  const { scanPlan } = await plan();
  const job = asJobId('job-blocks');
  const store = new BlockStore();
  const runner = new TaskRunner(store, pool);
  const scans: InferPartial[] = [];
  for (let p = 0; p < scanPlan.partitions.length; p++) scans.push((await runner.run(job, scanPlan, 'csv-scan', {}, p)) as InferPartial);
  const schema = taskOp('csv-scan').merge(scans, scanPlan);
  t.same(
    schema.map((f) => f.type),
    ['string', 'string'],
    'column a is text in the table (numbers in partition 0 only)',
  );
  const firstRowIds = [0, scans[0]!.rowCount];
  const finalPlan: JobPlan = {
    ...scanPlan,
    version: scanPlan.version + 1,
    schema,
    partitions: scanPlan.partitions.map((p, i) => ({
      ...p,
      firstRowId: firstRowIds[i]!,
      firstLine: i === 0 ? 2 : 2 + scans[0]!.lineCount,
    })),
  };
  const rebuildsBefore = store.stats().rebuilds;
  // Partition 1 scanned as text: it conforms in place. Partition 0 scanned as int: stale, rebuilt.
  const conformed = (await runner.run(job, finalPlan, 'csv-conform', {}, 1)) as LoadPartial;
  t.equal(conformed.rowCount, scans[1]!.rowCount);
  t.equal(store.stats().rebuilds, rebuildsBefore, 'partition 1 conformed in place');
  // Partition 0's provisional block is still cached (its conform "ran elsewhere"): export-rows
  // must not read it.
  const rows = (await runner.run(job, finalPlan, 'export-rows', { columns: [0] }, 0)) as ExportRowsPartial;
  t.equal(store.stats().rebuilds, rebuildsBefore + 1, 'the provisional block was rebuilt from lineage for export-rows');
  t.same(Array.from(rows.rowIds.subarray(0, 3)), [0, 1, 2], 'row ids from the plan, not the empty provisional ones');
  t.equal(rows.rowIds.length, scans[0]!.rowCount);
  const exported = (await runner.run(job, finalPlan, 'export-rows', { columns: [0] }, 1)) as ExportRowsPartial;
  t.equal(exported.rowIds[0], firstRowIds[1], 'the conformed partition carries its first row id');
});
