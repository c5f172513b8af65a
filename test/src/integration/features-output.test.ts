/**
 * output.features: the assembled feature vectors of every row, per split, as Spark-style
 * sparse vectors in Parquet — what a user inspects to see exactly what the model trained on.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpecFile, readParquetFile } from '@kindling/coordinator';
import { bankJob } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-features-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('features output: writes every row of each split as a sparse assembled vector', async (t) => {
  const out = join(scratch, 'out');
  const r = await runLocal(await parseJobSpecFile(bankJob, { output: out, conf: { 'output.features': 'true' } }), 2);
  const counts: Record<string, number> = {};
  for (const split of ['train', 'test']) {
    const dir = join(out, 'features', split);
    const parts = readdirSync(dir)
      .filter((f) => f.endsWith('.parquet'))
      .sort();
    t.equal(parts.length, 4, `${split}: one part per partition`);
    counts[split] = 0;
    for (const part of parts) {
      const { rows } = await readParquetFile(join(dir, part));
      counts[split] += rows.length;
      for (const row of rows.slice(0, 50)) {
        const f = row['features'] as { type: number; size: number; indices: { list: { element: number }[] } | number[] };
        t.equal(f.size, 27, 'vector size is the assembled layout');
        t.equal(f.type, 0, 'sparse');
        t.ok(row['label'] === 0 || row['label'] === 1, 'label 0/1');
      }
    }
  }
  t.equal(counts['train'], r.trainRows, 'every training row');
  t.equal(counts['test'], r.testRows, 'every test row');
});
