/**
 * Kubeflow Pipelines files of a real job (the bank pipeline, local mode): the schema KFP v1
 * reads (metric names, formats, viewer types and CSV schemas) and figures equal to the job's
 * own metrics.json (scalars, confusion counts) and run.json (ROC points).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpecFile } from '@kindling/coordinator';
import { bankJob } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-kfp-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const out = join(scratch, 'out');
const read = (rel: string): string => readFileSync(join(out, rel), 'utf8');
const json = (rel: string) => JSON.parse(read(rel));
const rows = (csv: string): string[][] =>
  csv
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));

t.before(async () => {
  await runLocal(await parseJobSpecFile(bankJob, { output: out }), 2);
});

t.test('kfp: mlpipeline-metrics.json has KFP-valid names and the values of metrics.json', async (t) => {
  const kfp = json('mlpipeline-metrics.json');
  const metrics = json('metrics.json');
  t.ok(Array.isArray(kfp.metrics) && kfp.metrics.length === 16, `${kfp.metrics.length} metrics (8 per split)`);
  const field = {
    'area-under-roc': 'areaUnderROC',
    'area-under-pr': 'areaUnderPR',
    accuracy: 'accuracy',
    precision: 'precision',
    recall: 'recall',
    f1: 'f1',
    'weighted-f1': 'weightedF1',
    'log-loss': 'logLoss',
  } as Record<string, string>;
  for (const m of kfp.metrics) {
    t.same(Object.keys(m).sort(), ['format', 'name', 'numberValue'], `${m.name}: only KFP's fields`);
    t.match(m.name, /^[a-z]([-a-z0-9]{0,62}[a-z0-9])?$/, `${m.name}: a name KFP accepts`);
    t.ok(m.format === 'RAW' || m.format === 'PERCENTAGE', `${m.name}: format ${m.format}`);
    const [, split, key] = /^(train|test)-(.+)$/.exec(m.name) ?? [];
    t.equal(m.numberValue, metrics[split!][field[key!]!], `${m.name} equals metrics.json ${split}.${field[key!]}`);
  }
});

t.test('kfp: mlpipeline-ui-metadata.json has a roc and a confusion_matrix viewer on the test split', async (t) => {
  const ui = json('mlpipeline-ui-metadata.json');
  const metrics = json('metrics.json');
  const run = json('run.json');
  t.equal(ui.version, 1);
  t.same(
    ui.outputs.map((o: { type: string }) => o.type),
    ['roc', 'confusion_matrix'],
  );
  const [roc, cm] = ui.outputs;
  t.same(roc.schema, [
    { name: 'fpr', type: 'NUMBER' },
    { name: 'tpr', type: 'NUMBER' },
    { name: 'thresholds', type: 'NUMBER' },
  ]);
  t.same(cm.schema, [
    { name: 'target', type: 'CATEGORY' },
    { name: 'predicted', type: 'CATEGORY' },
    { name: 'count', type: 'NUMBER' },
  ]);
  for (const o of ui.outputs) {
    t.equal(o.format, 'csv');
    t.equal(o.storage, 'inline', `${o.type}: inline data`);
  }
  t.equal(roc.source, read('kfp/roc.csv'), 'the inline ROC is kfp/roc.csv');
  t.equal(cm.source, read('kfp/confusion_matrix.csv'), 'the inline matrix is kfp/confusion_matrix.csv');

  // ROC rows are run.json's test ROC points, in order, with falling thresholds.
  const points = run.metrics.test.roc as Array<{ fpr: number; tpr: number; threshold?: number }>;
  const r = rows(roc.source).map((row) => row.map(Number));
  t.equal(r.length, points.length, `${r.length} ROC rows`);
  t.same(
    r.map(([fpr, tpr]) => [fpr, tpr]),
    points.map((p) => [p.fpr, p.tpr]),
    'fpr, tpr equal run.json',
  );
  t.same(
    r.slice(1, -1).map((row) => row[2]),
    points.slice(1, -1).map((p) => p.threshold),
    'interior thresholds equal run.json',
  );
  t.ok(
    r.every((row, i) => i === 0 || row[2]! <= r[i - 1]![2]!),
    'thresholds do not increase along the curve',
  );
  t.same([r[0]![2], r.at(-1)![2]], [Infinity, -Infinity], 'end points: +Infinity and -Infinity');

  // Matrix: the label's own values, counts equal metrics.json's confusion.
  const [neg, pos] = [metrics.labels['0'], metrics.labels['1']];
  t.same(cm.labels, [neg, pos]);
  const c = metrics.test.confusion;
  t.same(rows(cm.source), [
    [neg, neg, String(c.tn)],
    [neg, pos, String(c.fp)],
    [pos, neg, String(c.fn)],
    [pos, pos, String(c.tp)],
  ]);
  t.equal(c.tp + c.fp + c.tn + c.fn, metrics.testRows, 'the matrix covers every test row');
});
