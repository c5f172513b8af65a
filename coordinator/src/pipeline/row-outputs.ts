/**
 * The per-row outputs a job writes besides its model and metrics, the same for binomial and
 * multinomial jobs: `predictions/` (the test split's scored rows, one Parquet part per
 * partition, in partition order) and, with output.features, `features/{train,test}/` (every
 * row's assembled vector, collected from the cached design blocks one stage per split).
 * Called by job-runner.ts and multinomial-job.ts into the output committer's staging folder.
 */
import { KINDLING_FEATURES_KEY, type JobPlan } from '@kindling/shared/compute';
import { PredictionsWriter, writeFeaturesPart, type OutputCommitter } from '../artifacts/index.js';
import type { PredictionRows } from '../artifacts/predictions-writer.js';
import type { JobSpec } from '../job/job-spec.js';
import { FEATURES_MANIFEST_FORMAT, type FeaturesManifest } from './features-manifest.js';
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
  if (spec.output.features || spec.model.type === 'none') {
    // Every part records the fitted pipeline, so a job can train from these parts alone and
    // rebuild exactly the blocks this job encoded (features-input.ts).
    const manifest = featuresManifest(spec, plan, fitted);
    const footer: Record<string, string> = manifest === undefined ? {} : { [KINDLING_FEATURES_KEY]: JSON.stringify(manifest) };
    for (const split of ['train', 'test'] as const) {
      const blocks = await scheduler.runStage(
        { name: `collect ${split} features`, op: 'features', params: { split }, partitions: plan.partitions.length },
        plan,
      );
      const dir = committer.path(`features/${split}`);
      for (let p = 0; p < blocks.length; p++)
        await writeFeaturesPart(dir, p, blocks[p]!, fitted.layout.numericIndex, fitted.layout.numFeatures, { footer });
    }
  }
}

/** The footer record of the pipeline that assembled this job's features (kept as is for a job that read saved features). */
function featuresManifest(spec: JobSpec, plan: JobPlan, fitted: FittedPipeline): FeaturesManifest | undefined {
  if (fitted.manifest !== undefined) return fitted.manifest;
  // A job trained from Spark-written vectors knows no pipeline to record.
  if (plan.schema === undefined) return undefined;
  return {
    format: FEATURES_MANIFEST_FORMAT,
    encoding: fitted.encoding,
    labelValues: fitted.labelValues,
    featureNames: fitted.layout.names,
    categorical: fitted.categorical,
    numeric: fitted.numeric,
    inputSchema: plan.schema,
    drop: spec.pipeline.drop,
    stringOrderType: spec.pipeline.stringIndexer.orderType,
    pipeline: spec.pipeline,
  };
}
