/**
 * Saves a fitted pipeline (PipelineModelData) in Spark's PipelineModel layout, so
 * `PipelineModel.load(path)` in Spark (and readPipelineModel here) gets the whole fitted chain —
 * StringIndexers, one-hot encoders, assembler and the logistic regression — and a trained model
 * can be applied to new rows. Layout, as Spark's writers produce it (apache/spark,
 * mllib/src/main/scala/org/apache/spark/ml/Pipeline.scala `SharedReadWrite.saveImpl` /
 * `getStagePath`; ml/util/ReadWrite.scala `DefaultParamsWriter.saveMetadata`):
 *
 *   metadata/part-00000      {"class":"org.apache.spark.ml.PipelineModel",…,"paramMap":{"stageUids":[…]}}
 *   stages/<i>_<uid>/        one folder per stage, i zero-padded to the digits of the stage count
 *     metadata/part-00000    DefaultParamsWriter line of the stage
 *     data/part-….parquet    StringIndexerModel (labelsArray; `labels` before 3.0), OneHotEncoderModel
 *                            (categorySizes), LogisticRegressionModel (model-writer.ts); none for VectorAssembler
 *   pipeline.json            Kindling's readable copy of everything in PipelineModelData
 *
 * Stages follow the Spark bank-marketing tutorial pipeline this job mirrors: for each categorical
 * column a single-column StringIndexer (`<col>Index`) then a OneHotEncoder (`<col>classVec`), the
 * label StringIndexer (`label`) when the label is a string, the VectorAssembler (`features`) and
 * the LogisticRegressionModel. One StringIndexer per column, not one multi-column indexer,
 * because that is what the tutorial saves and because multi-column StringIndexer exists only from
 * Spark 3.0: per-column stages load in Spark 2.3 (compat: spark-2.3) and 3.x alike.
 * Stage uids derive from the pipeline uid, and the timestamp can be fixed, so output bytes are
 * reproducible.
 */
import { createHash } from 'node:crypto';
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import type { OneHotFeatureInput } from '@kindling/shared/compute';
import { writeLogisticRegressionModel, writeMultinomialModel } from './model-writer.js';
import { writeParquetTable, type TableColumn } from './parquet-table-writer.js';
import type { FeaturePipelineData, PipelineModelData } from './pipeline-model-data.js';
import { makeFolder, writeTextFile } from './spark-parquet.js';

export const PIPELINE_MODEL_CLASS = 'org.apache.spark.ml.PipelineModel';
export const STRING_INDEXER_MODEL_CLASS = 'org.apache.spark.ml.feature.StringIndexerModel';
export const ONE_HOT_ENCODER_MODEL_CLASS = 'org.apache.spark.ml.feature.OneHotEncoderModel';
export const VECTOR_ASSEMBLER_CLASS = 'org.apache.spark.ml.feature.VectorAssembler';
/** Kindling's readable copy beside Spark's layout. */
export const PIPELINE_JSON = 'pipeline.json';
export const PIPELINE_JSON_FORMAT = 'kindling.pipeline-model/1';

/** Options of writePipelineModel(). */
export interface PipelineModelWriteOptions {
  /** Milliseconds since the epoch for every metadata line; now when absent (fix it for reproducible bytes). */
  readonly timestamp?: number;
}

/** One stage as written: its class, uid, and folder name under `stages/`. */
export interface PipelineStageEntry {
  readonly class: string;
  readonly uid: string;
  readonly folder: string;
}

/** Output column names of the stages (the tutorial's names). */
export const stageColumns = {
  index: (column: string): string => `${column}Index`,
  oneHot: (column: string): string => `${column}classVec`,
  label: 'label',
  features: 'features',
};

/** True for Spark versions before 3.0 (StringIndexerModel data is `labels`, OneHotEncoderEstimator era, no assembler handleInvalid before 2.4). */
export function isSpark2(sparkVersion: string): boolean {
  return (Number.parseInt(sparkVersion.split('.')[0] ?? '0', 10) || 0) < 3;
}

/** Writes the PipelineModel folder `dir` (created if missing). */
export async function writePipelineModel(
  dir: string,
  data: PipelineModelData | FeaturePipelineData,
  options: PipelineModelWriteOptions = {},
): Promise<void> {
  validate(data);
  const timestamp = Math.trunc(options.timestamp ?? data.classifier?.model.timestamp ?? Date.now());
  const stages = planStages(data);
  const numStages = stages.length;
  const digits = String(numStages).length;
  const entries: PipelineStageEntry[] = stages.map((s, i) => ({
    class: s.class,
    uid: s.uid,
    folder: `${String(i).padStart(digits, '0')}_${s.uid}`,
  }));

  await writeMetadataFolder(nodePath.join(dir, 'metadata'), {
    class: PIPELINE_MODEL_CLASS,
    timestamp,
    sparkVersion: data.sparkVersion,
    uid: data.uid,
    paramMap: { stageUids: stages.map((s) => s.uid) },
    defaultParamMap: {},
  });
  for (let i = 0; i < numStages; i++) {
    const stage = stages[i]!;
    const stageDir = nodePath.join(dir, 'stages', entries[i]!.folder);
    if (stage.write !== undefined) {
      await stage.write(stageDir, timestamp);
      continue;
    }
    await writeMetadataFolder(nodePath.join(stageDir, 'metadata'), {
      class: stage.class,
      timestamp,
      sparkVersion: data.sparkVersion,
      uid: stage.uid,
      paramMap: stage.params,
      defaultParamMap: stage.defaults,
    });
    if (stage.data !== undefined) {
      const dataDir = nodePath.join(stageDir, 'data');
      await makeFolder(dataDir);
      await writeParquetTable(nodePath.join(dataDir, `part-00000-${stage.uid}.snappy.parquet`), stage.data, {
        codec: 'SNAPPY',
        sparkVersion: data.sparkVersion,
      });
      await writeTextFile(nodePath.join(dataDir, '_SUCCESS'), '');
    }
  }
  await writeTextFile(nodePath.join(dir, PIPELINE_JSON), `${JSON.stringify(readableCopy(data, entries), null, 2)}\n`);
}

interface PlannedStage {
  readonly class: string;
  readonly uid: string;
  readonly params: Record<string, unknown>;
  readonly defaults: Record<string, unknown>;
  readonly data?: readonly TableColumn[];
  /** Writes the whole stage folder itself (the logistic regression, through model-writer.ts). */
  readonly write?: (dir: string, timestamp: number) => Promise<void>;
}

/** The stage list, in Spark's order, with each stage's params and data. */
function planStages(data: FeaturePipelineData): PlannedStage[] {
  const spark2 = isSpark2(data.sparkVersion);
  const orderType = data.stringOrderType ?? 'frequencyDesc';
  const uidFor = (prefix: string, index: number): string =>
    `${prefix}_${createHash('sha256').update(`${data.uid}/${index}/${prefix}`).digest('hex').slice(0, 12)}`;
  const stages: PlannedStage[] = [];
  const labelsData = (labels: readonly string[]): TableColumn[] =>
    spark2
      ? [{ name: 'labels', type: 'string-array', values: [labels] }]
      : [{ name: 'labelsArray', type: 'string-array-array', values: [[labels]] }];
  const indexer = (inputCol: string, outputCol: string, labels: readonly string[], handleInvalid: string): PlannedStage => {
    const uid = uidFor('StringIndexer', stages.length);
    return {
      class: STRING_INDEXER_MODEL_CLASS,
      uid,
      params: { inputCol, outputCol, handleInvalid, stringOrderType: orderType },
      defaults: { handleInvalid: 'error', stringOrderType: 'frequencyDesc', outputCol: `${uid}__output` },
      data: labelsData(labels),
    };
  };

  const oneHots = data.encoding.features.filter((f): f is OneHotFeatureInput => f.kind === 'onehot');
  for (const f of oneHots) {
    stages.push(indexer(f.name, stageColumns.index(f.name), f.labels, f.handleInvalid));
    const uid = uidFor(spark2 ? 'OneHotEncoderEstimator' : 'OneHotEncoder', stages.length);
    stages.push({
      class: ONE_HOT_ENCODER_MODEL_CLASS,
      uid,
      // Invalid values never reach the encoder: the indexer drops them (skip), fails (error) or
      // maps them to index labels.length (keep), which its nominal metadata counts as a category.
      params: {
        inputCols: [stageColumns.index(f.name)],
        outputCols: [stageColumns.oneHot(f.name)],
        handleInvalid: 'error',
        dropLast: f.dropLast,
      },
      defaults: spark2
        ? { handleInvalid: 'error', dropLast: true }
        : { handleInvalid: 'error', dropLast: true, outputCol: `${uid}__output` },
      data: [{ name: 'categorySizes', type: 'int-array', values: [[f.labels.length + (f.handleInvalid === 'keep' ? 1 : 0)]] }],
    });
  }
  const label = data.encoding.label;
  if (label.kind === 'string') stages.push(indexer(label.name, stageColumns.label, label.labels, 'error'));

  const assemblerUid = uidFor('VectorAssembler', stages.length);
  const inputCols = data.encoding.features.map((f) => (f.kind === 'onehot' ? stageColumns.oneHot(f.name) : f.name));
  stages.push({
    class: VECTOR_ASSEMBLER_CLASS,
    uid: assemblerUid,
    // Spark 2.3's assembler has no handleInvalid param, and its loader rejects params it does not know.
    params: spark2
      ? { inputCols, outputCol: stageColumns.features }
      : { inputCols, outputCol: stageColumns.features, handleInvalid: data.encoding.numericHandleInvalid },
    defaults: spark2 ? { outputCol: `${assemblerUid}__output` } : { handleInvalid: 'error', outputCol: `${assemblerUid}__output` },
  });

  const classifier = data.classifier;
  // A fit without training (model.type none) saves the feature stages alone, as Spark's
  // Pipeline(stages=[indexers, encoders, assembler]).fit does.
  if (classifier === undefined) return stages;
  stages.push({
    class: 'org.apache.spark.ml.classification.LogisticRegressionModel',
    uid: classifier.model.uid,
    params: {},
    defaults: {},
    write: (dir, timestamp) =>
      classifier.family === 'binomial'
        ? writeLogisticRegressionModel(dir, { ...classifier.model, timestamp })
        : writeMultinomialModel(dir, { ...classifier.model, timestamp }),
  });
  return stages;
}

/** Writes a DefaultParamsWriter metadata folder: one JSON line (key order as Spark writes it) and `_SUCCESS`. */
async function writeMetadataFolder(dir: string, metadata: Record<string, unknown>): Promise<void> {
  await makeFolder(dir);
  await writeTextFile(nodePath.join(dir, 'part-00000'), `${JSON.stringify(metadata)}\n`);
  await writeTextFile(nodePath.join(dir, '_SUCCESS'), '');
}

/** pipeline.json: everything in PipelineModelData, for people and programs that do not read Parquet. */
function readableCopy(data: FeaturePipelineData, stages: readonly PipelineStageEntry[]): Record<string, unknown> {
  const c = data.classifier;
  const model =
    c === undefined
      ? undefined
      : c.family === 'binomial'
        ? { ...c.model, coefficients: Array.from(c.model.coefficients) }
        : { ...c.model, coefficientMatrix: Array.from(c.model.coefficientMatrix), interceptVector: Array.from(c.model.interceptVector) };
  return {
    format: PIPELINE_JSON_FORMAT,
    class: PIPELINE_MODEL_CLASS,
    uid: data.uid,
    sparkVersion: data.sparkVersion,
    stages,
    inputSchema: data.inputSchema,
    drop: data.drop,
    ...(data.stringOrderType !== undefined ? { stringOrderType: data.stringOrderType } : {}),
    labelValues: data.labelValues,
    featureNames: data.featureNames,
    encoding: data.encoding,
    classifier: c === undefined ? null : { family: c.family, model },
  };
}

function validate(data: FeaturePipelineData): void {
  const fail = (message: string): never => {
    throw new KindlingError('E_INTERNAL', `cannot save pipeline model ${data.uid}: ${message}`, { uid: data.uid });
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(data.uid)) fail('uid must use only letters, digits, "_", "." and "-"');
  if (data.featureNames.length !== data.encoding.numFeatures) {
    fail(`${data.featureNames.length} feature names for ${data.encoding.numFeatures} features`);
  }
  if (data.classifier !== undefined && data.classifier.model.numFeatures !== data.encoding.numFeatures) {
    fail(`the classifier has ${data.classifier.model.numFeatures} features, the encoding ${data.encoding.numFeatures}`);
  }
  for (const f of [...data.encoding.features.map((x) => x.column), data.encoding.label.column]) {
    if (data.inputSchema[f] === undefined) fail(`column index ${f} is outside the input schema (${data.inputSchema.length} columns)`);
  }
}
