/**
 * The first stages of a job trained from saved features (`input.format: features`): plan the
 * `train/` and `test/` parts (input/features-planner.ts), load each part straight into its
 * cached design block (the `features-load` op), and build the plan and fitted pipeline the
 * training tail of job-runner.ts expects — with no StringIndexer, encoder or assembler run.
 *
 * Kindling's parts carry the fitting job's EncodingPlan in their footer (features-manifest.ts):
 * the blocks are then those the fitting job trained on, partition for partition, so training
 * gives its coefficients and metrics bit for bit. A Spark-written `(label, features)` Parquet
 * has no such record: every slot becomes a numeric input, and the classes are 0..max label.
 */
import {
  buildFeatureLayout,
  DataError,
  type EncodingPlan,
  type FeatureInput,
  type JobPlan,
  type TaskParamsByOp,
} from '@kindling/shared/compute';
import { FEATURE_COLUMNS, planFeatures } from '../input/features-planner.js';
import type { JobSpec } from '../job/job-spec.js';
import { parseFeaturesManifest, type FeaturesManifest } from './features-manifest.js';
import { resolveFamily, type FittedPipeline } from './fit-transforms.js';
import { stage } from './input-stages.js';
import type { RunContext } from './stage-runner.js';

/** What the loaded features give the training tail. */
export interface LoadedFeatures {
  readonly plan: JobPlan;
  readonly fitted: FittedPipeline;
  readonly manifest?: FeaturesManifest;
  readonly label: string;
  readonly trainRows: number;
  readonly testRows: number;
  /** Partitions 0..trainPartitions−1 hold the train parts, the rest the test parts. */
  readonly trainPartitions: number;
}

/** Plans and loads a features input into cached train/test design blocks. */
export async function loadFeaturesInput(ctx: RunContext, spec: JobSpec): Promise<LoadedFeatures> {
  const probe = await planFeatures(spec.input);
  const first = probe.plan.files[0]!.path;
  const manifest = probe.manifest === undefined ? undefined : parseFeaturesManifest(probe.manifest, first);
  // Vectors Spark wrote carry no record of weights: pipeline.weight names the column they are in.
  const planned =
    manifest === undefined && spec.pipeline.weight !== undefined ? await planFeatures(spec.input, spec.pipeline.weight) : probe;
  const enc = manifest?.encoding;
  const columns = {
    features: FEATURE_COLUMNS.features,
    label: FEATURE_COLUMNS.label,
    rowId: FEATURE_COLUMNS.rowId,
    // Kindling's parts hold a weight column exactly where the fitting job's block was weighted.
    ...(manifest !== undefined
      ? { weight: FEATURE_COLUMNS.weight }
      : spec.pipeline.weight !== undefined
        ? { weight: spec.pipeline.weight }
        : {}),
  };
  const layout =
    enc === undefined
      ? null
      : {
          numFeatures: enc.numFeatures,
          numericIndex: buildFeatureLayout(enc.features).numericIndex,
          oneHot: enc.features.flatMap((f) =>
            f.kind === 'onehot' ? [{ name: f.name, offset: f.offset, size: f.size, dropLast: f.dropLast }] : [],
          ),
        };
  const plan = planned.plan;
  ctx.events.emit('job-started', {
    jobId: ctx.jobId,
    name: spec.name,
    partitions: plan.partitions.length,
    executors: ctx.membership.executors().length,
  });
  // The params of the load whose blocks the job keeps: the plan names them as the producer of
  // its design blocks, so an executor that lacks a block (lost, evicted) reads it again.
  let loaded: TaskParamsByOp['features-load'] | undefined;
  const load = (l: typeof layout, name: string) => {
    loaded = {
      trainPartitions: planned.trainFiles,
      columns,
      layout: l,
      numClasses: manifest === undefined ? null : Math.max(2, manifest.labelValues.length),
    };
    return stage(ctx, plan, name, 'features-load', loaded);
  };
  const parts = await load(layout, `load features ${planned.label}`);

  let trainRows = 0;
  let testRows = 0;
  let numFeatures = -1;
  let sizedBy = -1;
  let maxLabel = -1;
  let weighted = false;
  parts.forEach((p, i) => {
    if (planned.splits[i] === 'train') trainRows += p.rows;
    else testRows += p.rows;
    maxLabel = Math.max(maxLabel, p.maxLabel);
    weighted ||= p.weighted;
    if (p.rows === 0) return;
    if (numFeatures < 0) {
      numFeatures = p.numFeatures;
      sizedBy = i;
    } else if (p.numFeatures !== numFeatures) {
      const file = plan.files[plan.partitions[i]!.file]!.path;
      const other = plan.files[plan.partitions[sizedBy]!.file]!.path;
      throw new DataError(
        'E_SCHEMA',
        `${file}: column '${FEATURE_COLUMNS.features}' holds vectors of size ${p.numFeatures}, but ${other} holds vectors of size ${numFeatures}`,
        { file, column: FEATURE_COLUMNS.features, size: p.numFeatures, expected: numFeatures },
      );
    }
  });
  // Vectors Spark wrote: an empty part cannot know the vector size, and every block must
  // have the same number of inputs; load again with the size the data gave.
  if (layout === null && numFeatures > 0 && parts.some((p) => p.rows === 0)) {
    const dense = { numFeatures, numericIndex: Array.from({ length: numFeatures }, (_, j) => j), oneHot: [] };
    await load(dense, `load features ${planned.label} (${numFeatures} slots)`);
  }
  if (trainRows === 0) throw new DataError('E_CSV_EMPTY', `${spec.input.path as string}/train: no rows to train on`, { file: first });

  const labelValues = manifest?.labelValues ?? Array.from({ length: Math.max(2, maxLabel + 1) }, (_, k) => String(k));
  const numClasses = labelValues.length;
  const family = resolveFamily(spec.model.family, numClasses, FEATURE_COLUMNS.label, labelValues);
  const base: EncodingPlan =
    enc ??
    ({
      label: { kind: 'numeric', column: 1, name: FEATURE_COLUMNS.label },
      ...(weighted ? { weight: { column: 0, name: columns.weight ?? FEATURE_COLUMNS.weight } } : {}),
      features: Array.from({ length: Math.max(0, numFeatures) }, (_, j): FeatureInput => ({
        kind: 'numeric',
        column: 2,
        name: `${FEATURE_COLUMNS.features}_${j}`,
      })),
      numFeatures: Math.max(0, numFeatures),
      numericHandleInvalid: 'error',
      split: { seed: spec.split.seed, trainFraction: spec.split.weights[0] },
    } satisfies EncodingPlan);
  // The family of this run decides whether the plan carries K, as fitTransforms does.
  const { numClasses: _k, ...rest } = base;
  const encoding: EncodingPlan = family === 'multinomial' ? { ...rest, numClasses } : rest;
  const fitted: FittedPipeline = {
    encoding,
    layout: buildFeatureLayout(encoding.features),
    labelValues,
    numClasses,
    family,
    categorical: manifest?.categorical ?? [],
    numeric: manifest?.numeric ?? encoding.features.map((f) => f.name),
    ...(manifest !== undefined ? { manifest } : {}),
  };
  return {
    plan: { ...plan, version: plan.version + 1, encoding, designProducer: { op: 'features-load', params: loaded } },
    fitted,
    ...(manifest !== undefined ? { manifest } : {}),
    label: planned.label,
    trainRows,
    testRows,
    trainPartitions: planned.trainFiles,
  };
}
