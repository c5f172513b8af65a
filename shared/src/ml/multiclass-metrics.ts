/**
 * Spark's MulticlassMetrics (what MulticlassClassificationEvaluator reports) from a merged,
 * weighted K × K confusion matrix and log-loss sum: accuracy, weighted precision / recall /
 * F1 / TPR / FPR, per-label precision / recall / F1 / FPR, logLoss, hammingLoss.
 * Called by the driver's evaluation step (coordinator/src/pipeline/multinomial-job.ts).
 * Labels that never occur as a true label are not in Spark's label set: they get 0 in the
 * per-label arrays and no share in the weighted averages. THREADING: pure.
 */
import { KindlingError } from '../errors.js';

/** Metrics of one split. */
export interface MulticlassMetrics {
  readonly count: number;
  readonly weightSum: number;
  readonly accuracy: number;
  /** Spark's "f1": weighted F-measure, β = 1. */
  readonly f1: number;
  readonly weightedPrecision: number;
  readonly weightedRecall: number;
  readonly weightedTruePositiveRate: number;
  readonly weightedFalsePositiveRate: number;
  readonly logLoss: number;
  readonly hammingLoss: number;
  /** Per label 0..K−1. */
  readonly precisionByLabel: readonly number[];
  readonly recallByLabel: readonly number[];
  readonly f1ByLabel: readonly number[];
  readonly falsePositiveRateByLabel: readonly number[];
  /** K rows (true label) of K columns (prediction), summed weights. */
  readonly confusionMatrix: readonly (readonly number[])[];
}

/** Metrics from a confusion matrix (row = label, column = prediction) of `numClasses` classes. */
export function multiclassMetrics(input: {
  readonly count: number;
  readonly weightSum: number;
  readonly numClasses: number;
  readonly confusion: ArrayLike<number>;
  readonly logLossSum: number;
}): MulticlassMetrics {
  const K = input.numClasses;
  if (input.confusion.length !== K * K)
    throw new KindlingError('E_INTERNAL', `confusion matrix has ${input.confusion.length} cells for ${K} classes`);
  const at = (y: number, p: number): number => input.confusion[y * K + p]!;
  const total = input.weightSum;
  const labelCount = new Array<number>(K).fill(0);
  const predictedCount = new Array<number>(K).fill(0);
  let correct = 0;
  for (let y = 0; y < K; y++) {
    for (let p = 0; p < K; p++) {
      labelCount[y] = labelCount[y]! + at(y, p);
      predictedCount[p] = predictedCount[p]! + at(y, p);
    }
    correct += at(y, y);
  }
  const precisionByLabel: number[] = [];
  const recallByLabel: number[] = [];
  const f1ByLabel: number[] = [];
  const falsePositiveRateByLabel: number[] = [];
  let wp = 0;
  let wr = 0;
  let wf = 0;
  let wfpr = 0;
  for (let l = 0; l < K; l++) {
    const tp = at(l, l);
    const fp = predictedCount[l]! - tp;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = labelCount[l]! === 0 ? 0 : tp / labelCount[l]!;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    const negatives = total - labelCount[l]!;
    const fpr = negatives === 0 ? 0 : fp / negatives;
    precisionByLabel.push(precision);
    recallByLabel.push(recall);
    f1ByLabel.push(f1);
    falsePositiveRateByLabel.push(fpr);
    if (labelCount[l]! === 0) continue;
    const share = labelCount[l]! / total;
    wp += share * precision;
    wr += share * recall;
    wf += share * f1;
    wfpr += share * fpr;
  }
  const confusionMatrix = Array.from({ length: K }, (_, y) => Array.from({ length: K }, (_, p) => at(y, p)));
  return {
    count: input.count,
    weightSum: total,
    accuracy: correct / total,
    f1: wf,
    weightedPrecision: wp,
    weightedRecall: wr,
    weightedTruePositiveRate: wr,
    weightedFalsePositiveRate: wfpr,
    logLoss: input.logLossSum / total,
    hammingLoss: (total - correct) / total,
    precisionByLabel,
    recallByLabel,
    f1ByLabel,
    falsePositiveRateByLabel,
    confusionMatrix,
  };
}
