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
    return { partial: summarizeBlock(train, layout.numFeatures, layout.numericIndex, requireEncoding(lineage).numClasses) };
  },
  merge: (parts) => finishSummary(parts.reduce((a, b) => mergeSummaries(a, b))),
});
