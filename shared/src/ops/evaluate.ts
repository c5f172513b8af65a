/**
 * evaluate: scores a partition's cached train or test rows and summarises them for the binary
 * metrics (distinct scores with label counts, confusion counts, log loss), optionally with
 * per-row predictions. The driver's merge lives in coordinator/src/pipeline/evaluate-model.ts,
 * since it depends on the job's metric options.
 */
import { evaluateBlock } from '../kernels/evaluate.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const evaluateOp = defineOp({
  name: 'evaluate',
  schemas: (z, kit) => ({
    params: z.object({
      split: z.enum(['train', 'test']),
      beta: kit.float64Array,
      intercept: kit.float,
      /** Score used for the curves: the margin (rawPrediction[1]) or the probability. */
      score: z.enum(['margin', 'probability']),
      /** Probability threshold for the predicted class (Spark: strict >). */
      threshold: kit.float,
      predictions: z.boolean(),
    }),
    result: kit.evaluatePartial,
  }),
  input: 'design',
  // Large partials: sent back while the next partitions compute (TaskOpDefinition.groupSize).
  groupSize: 4,
  split: (params) => params.split,
  run: (block, lineage, params) => {
    const layout = buildFeatureLayout(requireEncoding(lineage).features);
    return {
      partial: evaluateBlock(block, layout.numericIndex, params.beta, params.intercept, {
        score: params.score,
        threshold: params.threshold,
        predictions: params.predictions,
      }),
    };
  },
});
