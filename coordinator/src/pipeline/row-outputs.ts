/**
 * The per-row outputs a job writes besides its model and metrics, the same for binomial and
 * multinomial jobs: `predictions/` (the test split's scored rows, one Parquet part per
 * partition, in partition order) and, with output.features, `features/{train,test}/` (every
 * row's assembled vector, collected from the cached design blocks one stage per split).
 * Called by job-runner.ts and multinomial-job.ts into the output committer's staging folder.
 */
import type { JobPlan } from '@kindling/shared/compute';
import { PredictionsWriter, writeFeaturesPart, type OutputCommitter } from '../artifacts/index.js';
import type { PredictionRows } from '../artifacts/predictions-writer.js';
import type { JobSpec } from '../job/job-spec.js';
import type { FittedPipeline } from './fit-transforms.js';
import type { StageRunner } from './stage-runner.js';

/** Writes predictions (when asked for) and assembled features (when asked for). */
export async function writeRowOutputs(
  scheduler: StageRunner,
  plan: JobPlan,
  committer: OutputCommitter,
  spec: JobSpec,
  fitted: FittedPipeline,
  testPredictions: ReadonlyArray<PredictionRows | undefined>,
  numClasses?: number,
): Promise<void> {
  if (spec.output.predictions) {
    const writer = await PredictionsWriter.open(committer.path('predictions'), numClasses === undefined ? {} : { numClasses });
    for (let p = 0; p < testPredictions.length; p++) {
      const rows = testPredictions[p];
      if (rows) await writer.writePart(p, rows);
    }
    await writer.close();
  }
  if (spec.output.features) {
    for (const split of ['train', 'test'] as const) {
      const blocks = await scheduler.runStage(
        { name: `collect ${split} features`, op: 'features', params: { split }, partitions: plan.partitions.length },
        plan,
      );
      const dir = committer.path(`features/${split}`);
      for (let p = 0; p < blocks.length; p++)
        await writeFeaturesPart(dir, p, blocks[p]!, fitted.layout.numericIndex, fitted.layout.numFeatures);
    }
  }
}
