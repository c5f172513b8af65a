/**
 * Spark parity: with `compat` set, the tutorial pipeline reproduces what Spark printed
 * (2.3: published in the tutorial notebook) or computes (3.2+: spark-semantics.md §10),
 * whatever the number of worker threads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const tutorial = resolve(repoRoot, 'examples/spark-tutorial.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'kindling-parity-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

async function run(compat: 'spark-2.3' | 'spark-3.2', threads: number): Promise<JobResult> {
  const spec = await parseJobSpecFile(tutorial, { output: join(scratch, `${compat}-${threads}`), conf: { compat } });
  return runLocal(spec, threads);
}

const spark = (r: JobResult) =>
  r.spark as { trainingSummary: { areaUnderROC: number }; evaluator: { areaUnderROC: number; areaUnderPR: number } };

t.test('spark parity: compat spark-2.3 reproduces the published tutorial figures digit for digit', async (t) => {
  const r = await run('spark-2.3', 2);
  t.equal(r.trainRows, 7764, 'train rows');
  t.equal(r.testRows, 3398, 'test rows');
  t.equal(spark(r).trainingSummary.areaUnderROC, 0.8849092421146739, 'training areaUnderROC (lrModel.summary)');
  t.equal(spark(r).evaluator.areaUnderROC, 0.8858324614449619, 'test areaUnderROC (BinaryClassificationEvaluator)');
  const expected = [
    0.6914062475319791, 0.6204498710604051, 0.5373184712536326, 0.5254311986857596, 0.5137316316391443, 0.48313682393516766,
    0.4509598577602803, 0.44416433293994656, 0.4427437750340025, 0.44242806543010205, 0.4422268822318762,
  ];
  t.equal(r.objectiveHistory.length, 11);
  r.objectiveHistory.forEach((v, i) =>
    t.ok(Math.abs(v - expected[i]!) <= 1e-12 * Math.abs(expected[i]!), `objective ${i}: ${v} vs ${expected[i]}`),
  );
  const metrics = JSON.parse(readFileSync(join(scratch, 'spark-2.3-2', 'metrics.json'), 'utf8'));
  t.equal(metrics.spark.evaluator.areaUnderROC, 0.8858324614449619, 'metrics.json carries the Spark-named figure');
});

t.test('spark parity: compat spark-3.2 gives the predicted Spark 3.2+ figures', async (t) => {
  const r1 = await run('spark-3.2', 1);
  t.equal(r1.trainRows, 7855);
  t.equal(r1.testRows, 3307);
  const expected = [
    0.6912555083218559, 0.5263177134026981, 0.4684616152225196, 0.4452193116145225, 0.4392966771132238, 0.4384925134563604,
    0.43741750511218536, 0.437308246015445, 0.4371472303539431, 0.43702701847863673, 0.43693519204050163,
  ];
  r1.objectiveHistory.forEach((v, i) => t.ok(Math.abs(v - expected[i]!) <= 1e-12, `objective ${i}: ${v} vs ${expected[i]}`));
  t.ok(Math.abs(spark(r1).evaluator.areaUnderROC - 0.885643189559481) <= 1e-12, `test AUC ${spark(r1).evaluator.areaUnderROC}`);
  t.ok(Math.abs(spark(r1).evaluator.areaUnderPR - 0.8591231503634911) <= 1e-12, `test areaUnderPR ${spark(r1).evaluator.areaUnderPR}`);
  t.ok(
    Math.abs(spark(r1).trainingSummary.areaUnderROC - 0.8877385690600346) <= 1e-12,
    `training AUC ${spark(r1).trainingSummary.areaUnderROC}`,
  );
  t.ok(Math.abs(r1.metrics.test.accuracy - 0.7970970668279407) <= 1e-12, `test accuracy ${r1.metrics.test.accuracy}`);

  const r4 = await run('spark-3.2', 4);
  t.same(Array.from(r4.coefficients), Array.from(r1.coefficients), 'local[4] gives the same coefficients as local[1]');
  t.same(r4.spark, r1.spark, 'and the same Spark figures');
});
