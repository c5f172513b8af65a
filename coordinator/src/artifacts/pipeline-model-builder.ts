/**
 * Builds the PipelineModelData a training job saves, from what the job has after fitting: the
 * input schema, the drop list, the fitted EncodingPlan, the label values, the feature names and
 * the fitted logistic regression. Binomial (job-runner.ts) and multinomial (multinomial-job.ts)
 * jobs call it so both save the same pipeline shape. The uid derives from the job, so the same
 * job writes the same stage folder names.
 */
import { createHash } from 'node:crypto';
import type { EncodingPlan, Schema } from '@kindling/shared/compute';
import type { FeaturePipelineData, FittedClassifier, PipelineModelData } from './pipeline-model-data.js';

/** What a finished job knows about its fitted pipeline. */
export interface FittedJobPipeline {
  /** Anything that identifies the job's fit (e.g. [spec.name, spec.pipeline, spec.model]); hashed into the uid. */
  readonly identity: unknown;
  readonly schema: Schema;
  readonly drop: readonly string[];
  readonly encoding: EncodingPlan;
  readonly labelValues: readonly string[];
  readonly featureNames: readonly string[];
  readonly classifier: FittedClassifier;
  readonly sparkVersion: string;
  readonly stringOrderType?: string;
}

/** `PipelineModel_<12 hex of sha256(identity)>`. */
export function pipelineModelUid(identity: unknown): string {
  return `PipelineModel_${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12)}`;
}

export function pipelineModelFromJob(job: FittedJobPipeline): PipelineModelData {
  return {
    uid: pipelineModelUid(job.identity),
    inputSchema: job.schema,
    drop: job.drop,
    encoding: job.encoding,
    labelValues: job.labelValues,
    featureNames: job.featureNames,
    classifier: job.classifier,
    sparkVersion: job.sparkVersion,
    ...(job.stringOrderType !== undefined ? { stringOrderType: job.stringOrderType } : {}),
  };
}

/** The fitted feature stages alone (model.type none): the same uid and stages as the full pipeline, no classifier. */
export function featurePipelineFromJob(job: Omit<FittedJobPipeline, 'classifier'>): FeaturePipelineData {
  return {
    uid: pipelineModelUid(job.identity),
    inputSchema: job.schema,
    drop: job.drop,
    encoding: job.encoding,
    labelValues: job.labelValues,
    featureNames: job.featureNames,
    sparkVersion: job.sparkVersion,
    ...(job.stringOrderType !== undefined ? { stringOrderType: job.stringOrderType } : {}),
  };
}
