/**
 * What a saved PipelineModel holds, as the rest of the driver sees it: the schema the pipeline
 * was fitted on, the fitted transforms (StringIndexer labels, one-hot layout, assembler order,
 * label indexing) as the same EncodingPlan the training job sent to its executors, and the fitted
 * logistic regression. The writer (pipeline-model-writer.ts) stores it in Spark's PipelineModel
 * layout plus Kindling's readable pipeline.json; the reader (pipeline-model-reader.ts) returns it
 * for Kindling's own folders and for Spark-saved PipelineModels of the same stage types.
 * `kindling predict` / `evaluate` map its column indices onto the new input by column name.
 */
import type { EncodingPlan, Schema } from '@kindling/shared/compute';
import type { LogisticRegressionModelData, MultinomialModelData } from './model-writer.js';

/** The fitted logistic regression stage: binomial (numClasses 2) or multinomial. */
export type FittedClassifier =
  | { readonly family: 'binomial'; readonly model: LogisticRegressionModelData }
  | { readonly family: 'multinomial'; readonly model: MultinomialModelData };

/** A fitted feature pipeline + classifier, as saved and loaded. */
export interface PipelineModelData {
  /** `PipelineModel_<12 hex>`. */
  readonly uid: string;
  /**
   * The input columns the pipeline was fitted on, in the training input's order (dropped
   * columns included, so column indices of `encoding` refer to this schema). A Spark-saved
   * model does not record types: the reader fills `string` for StringIndexer inputs and
   * `double` for other assembler inputs.
   */
  readonly inputSchema: Schema;
  /** Columns the job dropped before the transforms (informational; never features). */
  readonly drop: readonly string[];
  /** Fitted transforms; column indices refer to `inputSchema`. */
  readonly encoding: EncodingPlan;
  /** Label value of each class index (StringIndexer order), or '0', '1', … for a numeric label. */
  readonly labelValues: readonly string[];
  /** Name of every assembled feature slot (length encoding.numFeatures). */
  readonly featureNames: readonly string[];
  readonly classifier: FittedClassifier;
  /** Spark version the folder claims to come from. */
  readonly sparkVersion: string;
  /** StringIndexer `stringOrderType` of every indexer (Spark's default frequencyDesc when absent). */
  readonly stringOrderType?: string;
}

/** The fitted feature stages without a classifier: what a fit without training (model.type none) saves. */
export type FeaturePipelineData = Omit<PipelineModelData, 'classifier'> & { readonly classifier?: FittedClassifier };
