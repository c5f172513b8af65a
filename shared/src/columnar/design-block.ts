/**
 * The encoded form of a partition that training and evaluation read: the output of
 * StringIndexer + OneHotEncoder + VectorAssembler, kept compact. One-hot features are never
 * expanded: each categorical input contributes at most one active feature per row, stored as
 * its index in the assembled vector (-1 when the row's category is the dropped last one).
 *
 *   margin(row) = b + Σ_j β[numericIndex[j]]·numeric[row·numNumeric + j]
 *                   + Σ_c β[categorical[row·numCategorical + c]]   (skipping -1)
 */
import type { KitType } from '../wire/schema-kit.js';
export type DesignBlock = KitType<'designBlock'>;

/** Where each assembled input lands in the feature vector. */
export interface FeatureLayout {
  /** Length of the assembled feature vector. */
  readonly numFeatures: number;
  /** For numeric input j (assembler order among numeric inputs), its index in the vector. */
  readonly numericIndex: readonly number[];
  /** Name of every slot of the vector, e.g. `job_management`, `age` (Spark's attribute names). */
  readonly names: readonly string[];
}
