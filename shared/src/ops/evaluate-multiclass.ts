/**
 * evaluate-multiclass: scores a partition's cached train or test rows with a K-class softmax
 * model into a weighted confusion matrix and log-loss sum, optionally with per-row predictions.
 */
import { evaluateMulticlassBlock, mergeMulticlassEvaluations } from '../kernels/evaluate-multiclass.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const evaluateMulticlassOp = defineOp({
  name: 'evaluate-multiclass',
  schemas: (z, kit) => ({
    params: z.object({
      split: z.enum(['train', 'test']),
      /** K × numFeatures, class-major. */
      beta: kit.float64Array,
      intercepts: kit.float64Array,
      predictions: z.boolean(),
    }),
    result: z.object({
      count: kit.count,
      weightSum: kit.float,
      numClasses: kit.count,
      confusion: kit.float64Array,
      logLossSum: kit.float,
      predictions: z
        .object({ rowIds: kit.float64Array, label: kit.float64Array, probability: kit.float64Array, prediction: kit.float64Array })
        .optional(),
    }),
  }),
  input: 'design',
  // Large partials: sent back while the next partitions compute (TaskOpDefinition.groupSize).
  groupSize: 4,
  split: (params) => params.split,
  run: (block, lineage, params) => {
    const layout = buildFeatureLayout(requireEncoding(lineage).features);
    return { partial: evaluateMulticlassBlock(block, layout.numericIndex, params.beta, params.intercepts, params.predictions) };
  },
  merge: (parts) => mergeMulticlassEvaluations(parts),
});
