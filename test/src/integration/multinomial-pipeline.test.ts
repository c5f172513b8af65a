/**
 * Multinomial jobs end to end: examples/iris-multinomial.yaml and a 3-class bank.csv job
 * (label marital, categorical features) in local mode with 1 and 4 threads and on 2 real
 * executor processes (real nats-server) — bit-identical models and metrics — plus the
 * artifacts (Spark's multinomial model layout, K-vector predictions, metrics.json) and the
 * label errors of multiclass data (a numeric label 2.5 or −1 names its record).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parseJobSpec, parseJobSpecFile, readMultinomialModel, readParquetFile, type JobResult, type JobSpec } from '@kindling/coordinator';
import type { MulticlassMetrics } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankCsv, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-multinomial-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const irisJob = resolve(repoRoot, 'examples/iris-multinomial.yaml');

const iris = (name: string): Promise<JobSpec> =>
  parseJobSpecFile(irisJob, { output: join(scratch, name), conf: { 'input.partitions': '4', 'output.mode': 'error' } });
const bankMarital = (name: string): JobSpec =>
  parseJobSpec(
    {
      name: 'bank-marital',
      input: { path: bankCsv, partitions: 5 },
      pipeline: { label: 'marital', drop: ['contact', 'day', 'month'] },
      split: { seed: 11 },
      model: { maxIter: 30 },
      output: { path: join(scratch, name) },
    },
    scratch,
  );

const bits = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function sameModel(t: Test, a: JobResult, b: JobResult, what: string): void {
  t.same(bits(a.multinomial!.coefficientMatrix), bits(b.multinomial!.coefficientMatrix), `${what}: coefficient matrix bit-identical`);
  t.same(bits(a.multinomial!.interceptVector), bits(b.multinomial!.interceptVector), `${what}: intercepts bit-identical`);
  t.same(a.objectiveHistory, b.objectiveHistory, `${what}: objective history`);
  t.same(a.metrics, b.metrics, `${what}: metrics`);
}

t.test('multinomial: local[1], local[4] and 2 executor processes give bit-identical models', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  for (const [name, make] of [
    ['iris', iris],
    ['bank-marital', async (n: string) => bankMarital(n)],
  ] as const) {
    const one = await runLocal(await make(`${name}-l1`), 1);
    const four = await runLocal(await make(`${name}-l4`), 4);
    const onCluster = await runOnCluster(await make(`${name}-c2`), cluster.connectionOptions(`driver-${name}`));
    t.equal(one.family, 'multinomial', `${name}: family auto resolved to multinomial`);
    t.equal(one.multinomial!.numClasses, 3);
    sameModel(t, four, one, `${name} local[4] vs local[1]`);
    sameModel(t, onCluster, one, `${name} 2 executors vs local[1]`);
    t.ok(
      Object.keys(onCluster.tasksByExecutor).length === 2,
      `${name}: both executors ran tasks (${JSON.stringify(onCluster.tasksByExecutor)})`,
    );
  }
});

t.test('multinomial: iris artifacts — Spark multinomial model, K-vector predictions, metrics.json', async (t) => {
  const spec = await iris('iris-artifacts');
  const r = await runLocal(spec, 2);
  const out = spec.output.path;
  const test = r.metrics.test as MulticlassMetrics;
  t.ok(test.accuracy > 0.85, `test accuracy ${test.accuracy}`);
  t.same(r.multinomial!.labels, ['setosa', 'versicolor', 'virginica'], 'equal counts: alphabetical tie-break');

  const model = await readMultinomialModel(join(out, 'model'));
  t.equal(model.isMultinomial, true);
  t.equal(model.numClasses, 3);
  t.equal(model.numFeatures, 4);
  t.same(bits(model.coefficientMatrix), bits(r.multinomial!.coefficientMatrix), 'saved coefficient matrix round-trips');
  t.same(bits(model.interceptVector), bits(r.multinomial!.interceptVector), 'saved intercepts round-trip');
  t.match(readFileSync(join(out, 'model/metadata/part-00000'), 'utf8'), /"family":"auto"/);

  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  t.equal(metrics.family, 'multinomial');
  t.same(metrics.labels, { '0': 'setosa', '1': 'versicolor', '2': 'virginica' });
  t.equal(metrics.test.accuracy, test.accuracy);
  const cm = metrics.test.confusionMatrix as number[][];
  t.equal(
    cm.flat().reduce((a, b) => a + b, 0),
    r.testRows,
    'the confusion matrix counts every test row',
  );
  t.equal(cm.reduce((s, row, k) => s + row[k]!, 0) / r.testRows, test.accuracy, 'its diagonal gives the accuracy');

  const parts = readdirSync(join(out, 'predictions'))
    .filter((f) => f.endsWith('.parquet'))
    .sort();
  let rows = 0;
  let worst = 0;
  let notArgmax = 0;
  for (const part of parts) {
    const { rows: scored } = await readParquetFile(join(out, 'predictions', part));
    for (const row of scored) {
      const p = [0, 1, 2].map((k) => row[`probability_${k}`] as number);
      worst = Math.max(worst, Math.abs(p[0]! + p[1]! + p[2]! - 1));
      if (row['prediction'] !== p.indexOf(Math.max(...p))) notArgmax++;
      rows++;
    }
  }
  t.equal(rows, r.testRows, 'one prediction per test row');
  t.equal(notArgmax, 0, 'every prediction is the most probable class');
  t.ok(worst < 1e-12, `probabilities sum to 1 (worst ${worst})`);
});

t.test('multinomial: a numeric label must hold integer class indices; the bad record is named', async (t) => {
  const wine = readFileSync(resolve(repoRoot, 'examples/data/wine.csv'), 'utf8').split('\n');
  for (const [bad, line] of [
    ['2.5', 40],
    ['-1', 120],
  ] as const) {
    const lines = [...wine];
    lines[line - 1] = lines[line - 1]!.replace(/,\d$/, `,${bad}`);
    const file = join(scratch, `wine-${bad}.csv`);
    writeFileSync(file, lines.join('\n'));
    const spec = parseJobSpec(
      { input: { path: file, partitions: 2 }, pipeline: { label: 'class' }, output: { path: join(scratch, `wine-${bad}`) } },
      scratch,
    );
    const err = await runLocal(spec, 2).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    t.equal(err?.code, 'E_LABEL', `label ${bad}: ${err?.message}`);
    t.match(
      err?.message ?? '',
      new RegExp(
        `wine-${bad.replace('.', '\\.')}\\.csv: data record ${line - 1} \\(row id ${line - 2}\\): label column 'class' has value ${bad.replace('.', '\\.')}; a numeric label must be an integer class index 0\\.\\.2`,
      ),
    );
  }
});
