/** gradient: logistic loss and gradient sums over a partition's cached training rows, at given coefficients. */
import { logisticGradient } from '../kernels/logistic-gradient.js';
import { mergeWeightedGradients, weightedLogisticGradient } from '../kernels/weighted-logistic-gradient.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const gradientOp = defineOp({
  name: 'gradient',
  schemas: (z, kit) => ({ params: z.object({ beta: kit.float64Array, intercept: kit.float }), result: kit.gradientPartial }),
  input: 'design',
  split: () => 'train',
  run: (train, lineage, params) => {
    const layout = buildFeatureLayout(requireEncoding(lineage).features);
    const kernel = train.weight === undefined ? logisticGradient : weightedLogisticGradient;
    return { partial: kernel(train, layout.numericIndex, params.beta, params.intercept) };
  },
  // The gradient is summed here, in partition order: the same bits whatever ran where.
  merge: (parts) => mergeWeightedGradients(parts),
});
