/**
 * The assembled feature vector's layout (OneHotEncoder + VectorAssembler, as Spark): slot
 * sizes of one-hot inputs, each input's offset, the index of every numeric input and the
 * name of every slot (`<column>_<label>`, `<column>___unknown`, or the numeric column name).
 * The driver builds it once the StringIndexers are fitted; the encode plan, the model and
 * the feature output all use it.
 */
import { KindlingError } from '../errors.js';
import type { FeatureLayout } from '../columnar/design-block.js';
import type { FeatureInput, NumericFeatureInput, OneHotFeatureInput } from '../tasks.js';

/** Spark's attribute value for the extra category of handleInvalid = keep. */
export const UNKNOWN_LABEL = '__unknown';

/**
 * Number of one-hot slots of a StringIndexer'd column with `numLabels` labels. With
 * handleInvalid = keep there is one more category (index numLabels, Spark's `__unknown`);
 * dropLast removes the last category: n − 1 (dropLast), n (no dropLast), +1 with keep.
 */
export function oneHotSize(numLabels: number, dropLast: boolean, handleInvalid: 'error' | 'skip' | 'keep'): number {
  const categories = numLabels + (handleInvalid === 'keep' ? 1 : 0);
  return Math.max(0, dropLast ? categories - 1 : categories);
}

/** A one-hot input before its place in the vector is known. */
export type OneHotFeatureDraft = Omit<OneHotFeatureInput, 'offset' | 'size'>;

/** An assembler input before placement. */
export type FeatureInputDraft = NumericFeatureInput | OneHotFeatureDraft;

/** Gives every one-hot input its offset and size, in assembler order. */
export function placeFeatureInputs(drafts: readonly FeatureInputDraft[]): { features: FeatureInput[]; numFeatures: number } {
  let at = 0;
  const features: FeatureInput[] = drafts.map((d) => {
    if (d.kind === 'numeric') {
      at += 1;
      return d;
    }
    const size = oneHotSize(d.labels.length, d.dropLast, d.handleInvalid);
    const placed: OneHotFeatureInput = { ...d, offset: at, size };
    at += size;
    return placed;
  });
  return { features, numFeatures: at };
}

/**
 * The layout of placed assembler inputs. Throws if a one-hot input's offset or size does not
 * follow from the inputs before it (a plan built by hand or corrupted in transit).
 */
export function buildFeatureLayout(features: readonly FeatureInput[]): FeatureLayout {
  const names: string[] = [];
  const numericIndex: number[] = [];
  for (const f of features) {
    if (f.kind === 'numeric') {
      numericIndex.push(names.length);
      names.push(f.name);
      continue;
    }
    const size = oneHotSize(f.labels.length, f.dropLast, f.handleInvalid);
    if (f.offset !== names.length || f.size !== size) {
      throw new KindlingError(
        'E_INTERNAL',
        `one-hot input '${f.name}' has offset ${f.offset} and size ${f.size}; expected offset ${names.length} and size ${size}`,
        { input: f.name },
      );
    }
    for (let v = 0; v < size; v++) {
      names.push(`${f.name}_${v < f.labels.length ? f.labels[v]! : UNKNOWN_LABEL}`);
    }
  }
  return { numFeatures: names.length, numericIndex, names };
}
