/**
 * kfp-outputs on hand-made metrics: CSV quoting of awkward label values, skipped non-finite
 * metrics, and the files written through a real OutputCommitter (absent until commit).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { BinaryMetrics } from '@kindling/shared/compute';
import { OutputCommitter } from '../../src/artifacts/output-committer.js';
import { KFP_FILES, confusionMatrixCsv, kfpMetrics, rocCsv, writeKfpOutputs } from '../../src/artifacts/kfp-outputs.js';

const m = (over: Partial<BinaryMetrics> = {}): BinaryMetrics => ({
  areaUnderROC: 0.75,
  areaUnderPR: 0.5,
  accuracy: 0.8,
  precision: 0.6,
  recall: 0.7,
  f1: 0.65,
  weightedPrecision: 0.8,
  weightedRecall: 0.8,
  weightedF1: 0.79,
  logLoss: 0.4,
  confusion: { tp: 3, fp: 1, tn: 5, fn: 2 },
  count: 11,
  positives: 5,
  negatives: 6,
  curvePoints: 2,
  roc: [
    { fpr: 0, tpr: 0 },
    { fpr: 0.25, tpr: 0.5, threshold: 0.9 },
    { fpr: 0.5, tpr: 0.75, threshold: 0.4 },
    { fpr: 1, tpr: 1 },
  ],
  pr: [],
  ...over,
});

t.test('kfp-outputs: CSVs quote label values and give the end points thresholds ±Infinity', async (t) => {
  t.equal(rocCsv(m()), '0,0,Infinity\n0.25,0.5,0.9\n0.5,0.75,0.4\n1,1,-Infinity\n');
  t.equal(
    confusionMatrixCsv(m(), ['no, thanks', 'say "yes"']),
    '"no, thanks","no, thanks",5\n"no, thanks","say ""yes""",1\n"say ""yes""","no, thanks",2\n"say ""yes""","say ""yes""",3\n',
  );
});

t.test('kfp-outputs: non-finite metrics are left out (KFP stores doubles)', async (t) => {
  const names = kfpMetrics('test', m({ areaUnderPR: NaN, logLoss: Infinity })).map((x) => x.name);
  t.notOk(names.includes('test-area-under-pr'));
  t.notOk(names.includes('test-log-loss'));
  t.ok(names.includes('test-accuracy'));
});

t.test('kfp-outputs: written into the staging folder, published by commit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kfp-outputs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'out');
  const committer = await OutputCommitter.begin(target, 'error');
  await writeKfpOutputs(committer, { train: m(), test: m(), labels: ['0', '1'] });
  t.notOk(existsSync(join(target, KFP_FILES.metrics)), 'nothing at the final path before commit');
  await committer.commit();
  for (const f of Object.values(KFP_FILES)) t.ok(existsSync(join(target, f)), f);
  t.equal(readFileSync(join(target, KFP_FILES.roc), 'utf8'), rocCsv(m()));
});
