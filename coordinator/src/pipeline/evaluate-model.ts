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

/**
 * What evaluation returns to the job runner. The test split's partials (with predictions when
 * asked for) go to `meanwhile` only: once a metrics thread has taken their scores they are not
 * whole any more.
 */
export interface ModelEvaluation {
  readonly metrics: { readonly train: BinaryMetrics; readonly test: BinaryMetrics };
  /** Spark's own figures, with compat set. */
  readonly spark?: Record<string, unknown>;
}

/**
 * Evaluates the fitted model on both splits. `meanwhile`, given the test split's partials once
 * its stage is in, runs on this thread while the metrics threads merge the splits' scores: the
 * job writes its model and predictions there instead of after both merges (at 1M rows the
 * training merge alone is ~0.2 s with every worker thread idle). It may read the partials'
 * predictions only: their scores may have gone to a metrics thread.
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
  // Each split's metrics are computed on a thread of its own: the training split's while the
  // test split's stage runs, then both merges while this thread writes (`meanwhile`). Three
  // jobs on two cores instead of two merges on one: at 10M rows the training merge takes
  // ~0.7 s, the test merge ~0.5 s and the writes ~0.6 s. The Spark-compat figures below read
  // the test split's scores again, which a thread may have taken (MetricsThread.metrics), so
  // with compat set the test split is merged here.
  const thread = new MetricsThread();
  const testThread = spec.compat === 'kindling' ? new MetricsThread() : undefined;
  let metrics: ModelEvaluation['metrics'];
  let testParts: EvaluatePartial[];
  try {
    // Not kept in a variable: the thread's shared copy is then the only one left alive.
    const train = thread.metrics(await evaluate('evaluate training split', 'train', false), 0);
    // Awaited below; a failure of the test stage must not leave it unhandled.
    train.catch(() => undefined);
    testParts = await evaluate('evaluate test split', 'test', spec.output.predictions);
    // The predictions stay here, for `meanwhile` to write.
    const test =
      testThread === undefined
        ? binaryClassificationMetrics(testParts, { numBins: 0 })
        : testThread.metrics(
            testParts.map(({ predictions: _, ...scores }) => scores),
            0,
          );
    if (test instanceof Promise) test.catch(() => undefined);
    if (meanwhile !== undefined) await meanwhile(testParts);
    metrics = { train: await train, test: await test };
  } finally {
    await Promise.all([thread.close(), testThread?.close()]);
  }
  if (spec.compat === 'kindling') return { metrics };

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
  return { metrics, spark };
}
