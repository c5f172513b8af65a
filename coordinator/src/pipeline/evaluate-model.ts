/**
 * The evaluation step of a job: one evaluate stage per split over the cached design blocks,
 * merged into exact binary-classification metrics. With `compat` set it also computes the
 * figures Spark itself prints: the training summary scores probabilities in 100 (2.x) or
 * 1000 (3.1+) bins; BinaryClassificationEvaluator scores the margin, unbinned in 2.x.
 */
import { binaryClassificationMetrics, type BinaryMetrics, type EvaluatePartial, type JobPlan } from '@kindling/shared/compute';
import type { JobSpec } from '../job/job-spec.js';
import type { LogisticRegressionFit } from '../ml/logistic-regression-trainer.js';
import { MetricsThread } from './metrics-thread.js';
import type { StageRunner } from './stage-runner.js';

/** What evaluation returns to the job runner. */
export interface ModelEvaluation {
  readonly metrics: { readonly train: BinaryMetrics; readonly test: BinaryMetrics };
  /** Per-partition test partials (carrying predictions when asked for). */
  readonly testParts: readonly EvaluatePartial[];
  /** Spark's own figures, with compat set. */
  readonly spark?: Record<string, unknown>;
}

/**
 * Evaluates the fitted model on both splits. `meanwhile`, given the test split's partials once
 * its stage is in, runs on this thread while the metrics thread merges the training split: the
 * job writes its model and predictions there instead of after both merges (at 1M rows the
 * training merge alone is ~0.2 s with every worker thread idle). It must not change the partials.
 */
export async function evaluateModel(
  scheduler: StageRunner,
  plan: JobPlan,
  fit: LogisticRegressionFit,
  spec: JobSpec,
  meanwhile?: (testParts: readonly EvaluatePartial[]) => Promise<void>,
): Promise<ModelEvaluation> {
  const evaluate = (name: string, split: 'train' | 'test', predictions: boolean, score: 'margin' | 'probability' = 'margin') =>
    scheduler.runStage(
      {
        name,
        op: 'evaluate',
        params: { split, beta: fit.coefficients, intercept: fit.intercept, score, threshold: spec.model.threshold, predictions },
        partitions: plan.partitions.length,
      },
      plan,
    );
  // The training split's metrics are computed on a thread of their own while the test split's
  // stage runs and then while this thread merges the test split: two cores for the two merges.
  const thread = new MetricsThread();
  let metrics: ModelEvaluation['metrics'];
  let testParts: EvaluatePartial[];
  try {
    // Not kept in a variable: the thread's shared copy is then the only one left alive.
    const train = thread.metrics(await evaluate('evaluate training split', 'train', false), 0);
    // Awaited below; a failure of the test stage must not leave it unhandled.
    train.catch(() => undefined);
    testParts = await evaluate('evaluate test split', 'test', spec.output.predictions);
    const test = binaryClassificationMetrics(testParts, { numBins: 0 });
    if (meanwhile !== undefined) await meanwhile(testParts);
    metrics = { train: await train, test };
  } finally {
    await thread.close();
  }
  if (spec.compat === 'kindling') return { metrics, testParts };

  const v2 = spec.compat === 'spark-2.3';
  const summaryParts = await evaluate('evaluate training summary', 'train', false, 'probability');
  const summary = binaryClassificationMetrics(summaryParts, { numBins: v2 ? 100 : 1000 });
  const evaluator = binaryClassificationMetrics(testParts, { numBins: v2 ? 0 : 1000 });
  const spark = {
    compat: spec.compat,
    trainingSummary: {
      areaUnderROC: summary.areaUnderROC,
      areaUnderPR: summary.areaUnderPR,
      numBins: v2 ? 100 : 1000,
      score: 'probability',
    },
    evaluator: { areaUnderROC: evaluator.areaUnderROC, areaUnderPR: evaluator.areaUnderPR, numBins: v2 ? 0 : 1000, score: 'rawPrediction' },
    objectiveHistory: fit.objectiveHistory,
    totalIterations: v2 ? fit.objectiveHistory.length : fit.objectiveHistory.length - 1,
  };
  return { metrics, testParts, spark };
}
