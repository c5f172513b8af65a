/**
 * The record of a fitted feature pipeline that Kindling writes into the footer of every
 * `features/` part (key `kindling.features`): the EncodingPlan the job's executors encoded with
 * (slot layout: which slots are one-hot inputs, which are numeric), the label values, the
 * feature names and the input schema. A job trained from these features reads it back, so it
 * rebuilds exactly the design blocks the fitting job trained on and can save the whole
 * PipelineModel (feature stages + its new classifier) for `kindling predict` / `evaluate`.
 * Spark ignores the key.
 */
import { buildFeatureLayout, DataError, KindlingError, type EncodingPlan, type Schema } from '@kindling/shared/compute';

export const FEATURES_MANIFEST_FORMAT = 'kindling-features/1';

export interface FeaturesManifest {
  readonly format: typeof FEATURES_MANIFEST_FORMAT;
  readonly encoding: EncodingPlan;
  readonly labelValues: readonly string[];
  readonly featureNames: readonly string[];
  readonly categorical: readonly string[];
  readonly numeric: readonly string[];
  /** The input columns the pipeline was fitted on (column indices of `encoding` refer to it). */
  readonly inputSchema: Schema;
  readonly drop: readonly string[];
  readonly stringOrderType: string;
  /** The job's pipeline section, hashed into stage uids, so a later run names its stages as the fitting job did. */
  readonly pipeline: unknown;
}

/** Checks a parsed footer record; E_SCHEMA naming `file` when it is not one Kindling wrote. */
export function parseFeaturesManifest(value: unknown, file: string): FeaturesManifest {
  const m = value as Partial<FeaturesManifest> | null;
  const bad = (why: string): never => {
    throw new DataError('E_SCHEMA', `${file}: footer key kindling.features: ${why}`, { file });
  };
  if (m === null || typeof m !== 'object') return bad('not an object');
  if (m.format !== FEATURES_MANIFEST_FORMAT) return bad(`format ${JSON.stringify(m.format)}, expected ${FEATURES_MANIFEST_FORMAT}`);
  if (!m.encoding || !Array.isArray(m.encoding.features) || !Array.isArray(m.labelValues) || !Array.isArray(m.featureNames))
    return bad('no encoding, labelValues or featureNames');
  if (!Array.isArray(m.inputSchema) || !Array.isArray(m.drop)) return bad('no inputSchema or drop');
  try {
    const layout = buildFeatureLayout(m.encoding.features);
    if (layout.numFeatures !== m.encoding.numFeatures || m.featureNames.length !== layout.numFeatures)
      bad('the slot layout does not add up');
  } catch (err) {
    if (err instanceof DataError) throw err;
    bad((err as KindlingError).message);
  }
  return m as FeaturesManifest;
}
