/**
 * Fitting the feature pipeline on the driver: from the inferred schema and the merged
 * per-partition column statistics, decide the StringIndexer labels, the one-hot layout and
 * the assembler order, and check the pipeline against the data (missing columns, label
 * values). The result, an EncodingPlan, travels in every later task's lineage.
 *
 * Called once per job by the job runner, between the load and encode stages. Pure.
 */
import type { FeaturesManifest } from './features-manifest.js';
import {
  buildFeatureLayout,
  DataError,
  JobSpecError,
  oneHotSize,
  orderLabels,
  type EncodingPlan,
  type FeatureInput,
  type FeatureLayout,
  type LabelEncoding,
  type MergedColumnStats,
  type Schema,
} from '@kindling/shared/compute';
import type { LogisticRegressionSpec, PipelineSpec, SplitSpec } from '../job/job-spec.js';

/** Most label classes a multinomial model may have (the gradient is K × numFeatures). */
export const MAX_LABEL_CLASSES = 1000;

/** The fitted pipeline: what to send executors, and what to report. */
export interface FittedPipeline {
  readonly encoding: EncodingPlan;
  readonly layout: FeatureLayout;
  /** Label value of each class index (StringIndexer order), or '0', '1', … for a numeric label. */
  readonly labelValues: readonly string[];
  /** Label classes K (2 for binomial). */
  readonly numClasses: number;
  /** The family `auto` resolved to (Spark: binomial iff K ≤ 2). */
  readonly family: 'binomial' | 'multinomial';
  readonly categorical: readonly string[];
  readonly numeric: readonly string[];
  /**
   * A job trained from saved features: the record of the pipeline that assembled them (from the
   * files' footers), written unchanged into any features this job writes in turn.
   */
  readonly manifest?: FeaturesManifest;
}

/** Fits StringIndexer + OneHotEncoder + VectorAssembler + label indexing. */
export function fitTransforms(
  schema: Schema,
  stats: readonly MergedColumnStats[],
  pipeline: PipelineSpec,
  split: SplitSpec,
  fileName: string,
  family: LogisticRegressionSpec['family'] = 'auto',
): FittedPipeline {
  const names = schema.map((f) => f.name);
  const indexOf = (name: string, path: string): number => {
    const i = names.indexOf(name);
    if (i < 0) {
      throw new JobSpecError(`${path}: column '${name}' is not in ${fileName}; its columns are: ${names.join(', ')}`, path);
    }
    return i;
  };

  const dropped = new Set<number>();
  pipeline.drop.forEach((name, k) => dropped.add(indexOf(name, `pipeline.drop[${k}]`)));

  const labelCol = indexOf(pipeline.label, 'pipeline.label');
  if (dropped.has(labelCol)) {
    throw new JobSpecError(`pipeline.label: column '${pipeline.label}' is also listed in pipeline.drop`, 'pipeline.label');
  }

  const isString = (i: number) => schema[i]!.type === 'string';
  const weightCol = pipeline.weight === undefined ? -1 : indexOf(pipeline.weight, 'pipeline.weight');
  if (weightCol >= 0 && (isString(weightCol) || dropped.has(weightCol))) {
    throw new JobSpecError(
      `pipeline.weight: column '${pipeline.weight}' ${dropped.has(weightCol) ? 'is also listed in pipeline.drop' : 'is a string column; weights must be numeric'}`,
      'pipeline.weight',
    );
  }
  const candidates = schema.map((_, i) => i).filter((i) => i !== labelCol && i !== weightCol && !dropped.has(i));

  const pickColumns = (list: readonly string[] | 'auto', kind: 'categorical' | 'numeric', exclude: Set<number>): number[] => {
    if (list === 'auto') return candidates.filter((i) => (kind === 'categorical' ? isString(i) : !isString(i)) && !exclude.has(i));
    return list.map((name, k) => {
      const path = `pipeline.${kind}[${k}]`;
      const i = indexOf(name, path);
      if (i === labelCol) throw new JobSpecError(`${path}: '${name}' is the label column; the label is never a feature`, path);
      if (i === weightCol)
        throw new JobSpecError(`${path}: '${name}' is the weight column (pipeline.weight); weights are never features`, path);
      if (dropped.has(i)) throw new JobSpecError(`${path}: '${name}' is also listed in pipeline.drop`, path);
      if (kind === 'categorical' && !isString(i)) {
        throw new JobSpecError(
          `${path}: column '${name}' is ${schema[i]!.type}; only string columns are one-hot encoded in this version`,
          path,
        );
      }
      if (kind === 'numeric' && isString(i)) {
        throw new JobSpecError(`${path}: column '${name}' is a string column; list it under pipeline.categorical`, path);
      }
      return i;
    });
  };

  const categorical = pickColumns(pipeline.categorical, 'categorical', new Set());
  const numeric = pickColumns(pipeline.numeric, 'numeric', new Set(categorical));
  const overlap = numeric.find((i) => categorical.includes(i));
  if (overlap !== undefined) {
    throw new JobSpecError(`pipeline.numeric: column '${names[overlap]}' is listed as both categorical and numeric`, 'pipeline.numeric');
  }
  if (categorical.length + numeric.length === 0) {
    throw new JobSpecError(`pipeline: no feature columns are left after dropping [${pipeline.drop.join(', ')}] and the label`, 'pipeline');
  }

  const { label, labelValues } = fitLabel(labelCol, schema, stats, pipeline, fileName);
  const numClasses = labelValues.length;
  const resolvedFamily = resolveFamily(family, numClasses, label.name, labelValues);

  const order = pipeline.featureOrder === 'file' ? [...categorical, ...numeric].sort((a, b) => a - b) : [...categorical, ...numeric];
  let offset = 0;
  const features: FeatureInput[] = order.map((col) => {
    const name = names[col]!;
    if (!categorical.includes(col)) {
      offset += 1;
      return { kind: 'numeric', column: col, name };
    }
    const s = stats[col]!;
    if (s.kind !== 'string') throw new DataError('E_INTERNAL', `column '${name}': string statistics expected`);
    const values = [...s.counts.keys()];
    const labels = orderLabels(
      values,
      values.map((v) => s.counts.get(v)!),
      pipeline.stringIndexer.orderType,
    );
    if (labels.length === 0 && pipeline.stringIndexer.handleInvalid !== 'keep') {
      throw new DataError(
        'E_INVALID_VALUE',
        `${fileName}: column '${name}' has only nulls; StringIndexer cannot be fitted (use handleInvalid: keep or drop the column)`,
        { column: name },
      );
    }
    const size = oneHotSize(labels.length, pipeline.oneHotEncoder.dropLast, pipeline.stringIndexer.handleInvalid);
    const input: FeatureInput = {
      kind: 'onehot',
      column: col,
      name,
      labels,
      handleInvalid: pipeline.stringIndexer.handleInvalid,
      dropLast: pipeline.oneHotEncoder.dropLast,
      offset,
      size,
    };
    offset += size;
    return input;
  });

  const layout = buildFeatureLayout(features);
  const [w0, w1] = split.weights;
  const encoding: EncodingPlan = {
    label,
    // Binomial plans stay exactly as before (no numClasses): K = 2 is implied.
    ...(resolvedFamily === 'multinomial' ? { numClasses } : {}),
    ...(weightCol >= 0 ? { weight: { column: weightCol, name: names[weightCol]! } } : {}),
    features,
    numFeatures: layout.numFeatures,
    numericHandleInvalid: pipeline.assembler.handleInvalid,
    split: { seed: split.seed, trainFraction: w0 / (w0 + w1) },
  };
  return {
    encoding,
    layout,
    labelValues,
    numClasses,
    family: resolvedFamily,
    categorical: categorical.map((i) => names[i]!),
    numeric: numeric.map((i) => names[i]!),
  };
}

/** Spark's family rule: auto → binomial iff K ≤ 2; binomial refuses more than two classes. */
export function resolveFamily(
  family: LogisticRegressionSpec['family'],
  numClasses: number,
  labelName: string,
  labelValues: readonly string[],
): 'binomial' | 'multinomial' {
  if (family === 'multinomial') return 'multinomial';
  if (numClasses <= 2) return 'binomial';
  if (family === 'auto') return 'multinomial';
  const shown = labelValues
    .slice(0, 10)
    .map((v) => `'${v}'`)
    .join(', ');
  throw new JobSpecError(
    `model.family: binomial needs a label with 2 classes, but label column '${labelName}' has ${numClasses} (${shown}${numClasses > 10 ? ', …' : ''}); use family: auto or multinomial`,
    'model.family',
  );
}

/**
 * Label indexing. A string label with K values is StringIndexed (orderType, frequencyDesc by
 * default with Spark's alphabetical tie-break) into 0..K−1. A numeric label is taken as class
 * indices: K = ⌊max⌋ + 1 (at least 2), as Spark derives numClasses from the label histogram;
 * the encode kernel then refuses, naming the record, any value that is not an integer in 0..K−1.
 * A label with a single value is refused (nothing to learn).
 */
function fitLabel(
  col: number,
  schema: Schema,
  stats: readonly MergedColumnStats[],
  pipeline: PipelineSpec,
  fileName: string,
): { label: LabelEncoding; labelValues: readonly string[] } {
  const name = schema[col]!.name;
  const s = stats[col]!;
  // The label is never dropped (checked above), so its values were kept.
  if (s.kind === 'skipped') throw new DataError('E_INTERNAL', `label column '${name}' was skipped by the read`);
  if (s.nullCount > 0 && pipeline.stringIndexer.handleInvalid !== 'skip') {
    throw new DataError(
      'E_LABEL',
      `${fileName}: label column '${name}' has ${s.nullCount} null value(s); fix the data or set pipeline.stringIndexer.handleInvalid: skip`,
      { column: name },
    );
  }
  if (s.kind === 'string') {
    const values = [...s.counts.keys()];
    if (values.length < 2 || values.length > MAX_LABEL_CLASSES) {
      const shown = values
        .slice(0, 10)
        .map((v) => `'${v}'`)
        .join(', ');
      throw new DataError(
        'E_LABEL',
        `${fileName}: label column '${name}' has ${values.length} distinct value(s) (${shown}${values.length > 10 ? ', …' : ''}); ` +
          `logistic regression needs 2 to ${MAX_LABEL_CLASSES} classes`,
        { column: name, distinct: values.length },
      );
    }
    const labels = orderLabels(
      values,
      values.map((v) => s.counts.get(v)!),
      pipeline.stringIndexer.orderType,
    );
    return { label: { kind: 'string', column: col, name, labels }, labelValues: labels };
  }
  if (s.count > 0 && s.min === s.max) {
    throw new DataError(
      'E_LABEL',
      `${fileName}: numeric label column '${name}' has the single value ${s.min}; logistic regression needs at least 2 classes`,
      {
        column: name,
        min: s.min,
        max: s.max,
      },
    );
  }
  const top = Math.floor(s.max);
  if (s.count > 0 && !(top >= 0 && top < MAX_LABEL_CLASSES)) {
    throw new DataError(
      'E_LABEL',
      `${fileName}: numeric label column '${name}' ranges over [${s.min}, ${s.max}]; a numeric label must hold class indices 0..K-1 (K ≤ ${MAX_LABEL_CLASSES})`,
      { column: name, min: s.min, max: s.max },
    );
  }
  const numClasses = Math.max(2, top + 1);
  return { label: { kind: 'numeric', column: col, name }, labelValues: Array.from({ length: numClasses }, (_, k) => String(k)) };
}
