/**
 * Kubeflow Pipelines (v1) output files, so a KFP step running Kindling shows its results in
 * the KFP UI: `mlpipeline-metrics.json` (scalar metrics for the run list and comparison) and
 * `mlpipeline-ui-metadata.json` (a `roc` viewer and a `confusion_matrix` viewer on the test
 * split), plus their CSVs under `kfp/`. The job runner's artifacts step calls writeKfpOutputs
 * once, through the output committer, so the files appear atomically with the rest.
 * THREADING: driver event loop; plain async file writes into the staging folder.
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError, type BinaryMetrics } from '@kindling/shared/compute';
import type { OutputCommitter } from './output-committer.js';

/** KFP v1 requires metric names to match this (pipeline backend's validation). */
export const KFP_METRIC_NAME = /^[a-z]([-a-z0-9]{0,62}[a-z0-9])?$/;

/** One entry of mlpipeline-metrics.json. */
export interface KfpMetric {
  readonly name: string;
  readonly numberValue: number;
  readonly format: 'RAW' | 'PERCENTAGE';
}

/** What the KFP files are made of: both splits' metrics and the label's two values. */
export interface KfpInputs {
  readonly train: BinaryMetrics;
  readonly test: BinaryMetrics;
  /** The label column's values for class 0 and class 1, as in metrics.json `labels`. */
  readonly labels: readonly [string, string];
}

/** Where the files go, relative to the output folder. */
export const KFP_FILES = {
  metrics: 'mlpipeline-metrics.json',
  uiMetadata: 'mlpipeline-ui-metadata.json',
  roc: 'kfp/roc.csv',
  confusionMatrix: 'kfp/confusion_matrix.csv',
} as const;

/** The scalar metrics of one split, KFP-named ("test-area-under-roc"); non-finite ones skipped. */
export function kfpMetrics(split: 'train' | 'test', m: BinaryMetrics): KfpMetric[] {
  const scalars: Array<[string, number, KfpMetric['format']]> = [
    ['area-under-roc', m.areaUnderROC, 'RAW'],
    ['area-under-pr', m.areaUnderPR, 'RAW'],
    ['accuracy', m.accuracy, 'PERCENTAGE'],
    ['precision', m.precision, 'RAW'],
    ['recall', m.recall, 'RAW'],
    ['f1', m.f1, 'RAW'],
    ['weighted-f1', m.weightedF1, 'RAW'],
    ['log-loss', m.logLoss, 'RAW'],
  ];
  // KFP stores numberValue as a double: NaN/∞ (e.g. the PR area of an empty split) cannot go.
  return scalars
    .filter(([, v]) => Number.isFinite(v))
    .map(([name, numberValue, format]) => ({ name: `${split}-${name}`, numberValue, format }));
}

/**
 * ROC rows (fpr, tpr, thresholds) as the KFP roc viewer reads them, no header. A point
 * predicts positive for scores at or above its threshold, on the evaluator's score (the
 * margin by default, as Spark's rawPrediction; the probability when configured). The end
 * points have none of their own: (0, 0) gets Infinity and (1, 1) -Infinity, as scikit-learn
 * writes them (JavaScript's Number() reads both).
 */
export function rocCsv(m: BinaryMetrics): string {
  const last = m.roc.length - 1;
  return m.roc.map((p, i) => `${p.fpr},${p.tpr},${p.threshold ?? (i === last ? -Infinity : Infinity)}\n`).join('');
}

/** Confusion rows (target, predicted, count) with the label's own values, no header. */
export function confusionMatrixCsv(m: BinaryMetrics, labels: readonly [string, string]): string {
  const [neg, pos] = labels.map(csvField) as [string, string];
  const { tp, fp, tn, fn } = m.confusion;
  return `${neg},${neg},${tn}\n${neg},${pos},${fp}\n${pos},${neg},${fn}\n${pos},${pos},${tp}\n`;
}

/** RFC 4180 quoting for a label value that holds a comma, quote or line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The ui-metadata document. The viewers' data is inline (`storage: "inline"`): KFP v1 reads a
 * `source` path only from remote storage (http, S3, MinIO, GCS), which a step cannot know in
 * advance, while inline CSV works wherever the folder is uploaded. The same CSVs are in kfp/.
 */
export function kfpUiMetadata(test: BinaryMetrics, labels: readonly [string, string]): object {
  return {
    version: 1,
    outputs: [
      {
        type: 'roc',
        format: 'csv',
        storage: 'inline',
        schema: [
          { name: 'fpr', type: 'NUMBER' },
          { name: 'tpr', type: 'NUMBER' },
          { name: 'thresholds', type: 'NUMBER' },
        ],
        source: rocCsv(test),
      },
      {
        type: 'confusion_matrix',
        format: 'csv',
        storage: 'inline',
        schema: [
          { name: 'target', type: 'CATEGORY' },
          { name: 'predicted', type: 'CATEGORY' },
          { name: 'count', type: 'NUMBER' },
        ],
        labels: [...labels],
        source: confusionMatrixCsv(test, labels),
      },
    ],
  };
}

/** Writes the KFP files into the committer's staging folder (see KFP_FILES). */
export async function writeKfpOutputs(committer: OutputCommitter, inputs: KfpInputs): Promise<void> {
  await committer.writeJson(KFP_FILES.metrics, { metrics: [...kfpMetrics('train', inputs.train), ...kfpMetrics('test', inputs.test)] });
  await committer.writeJson(KFP_FILES.uiMetadata, kfpUiMetadata(inputs.test, inputs.labels));
  await writeText(committer, KFP_FILES.roc, rocCsv(inputs.test));
  await writeText(committer, KFP_FILES.confusionMatrix, confusionMatrixCsv(inputs.test, inputs.labels));
}

async function writeText(committer: OutputCommitter, rel: string, text: string): Promise<void> {
  const target = committer.path(rel);
  try {
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.writeFile(target, text);
  } catch (err) {
    throw new OutputError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, target, { cause: err });
  }
}
