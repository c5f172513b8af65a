/** summarize: per-feature moments and label counts of a partition's training rows (standardization). */
import { finishSummary, mergeSummaries, summarizeBlock } from '../kernels/summarize.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const summarizeOp = defineOp({
  name: 'summarize',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.summaryPartial }),
  input: 'design',
  split: () => 'train',
  run: (train, lineage) => {
    const layout = buildFeatureLayout(requireEncoding(lineage).features);
    const encoding = requireEncoding(lineage);
    // Weighted binomial jobs need the weighted class histogram too (Spark's start intercept).
    const numClasses = encoding.numClasses ?? (encoding.weight !== undefined ? 2 : undefined);
    return { partial: summarizeBlock(train, layout.numFeatures, layout.numericIndex, numClasses) };
  },
  merge: (parts) => finishSummary(parts.reduce((a, b) => mergeSummaries(a, b))),
});
