/** softmax-gradient: multinomial loss and gradient sums over a partition's cached training rows, at given K-class coefficients. */
import { mergeSoftmaxGradients, softmaxGradient } from '../kernels/softmax-gradient.js';
import { buildFeatureLayout } from '../ml/feature-layout.js';
import { requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const softmaxGradientOp = defineOp({
  name: 'softmax-gradient',
  schemas: (z, kit) => ({
    params: z.object({
      /** K × numFeatures, class-major, original space. */
      beta: kit.float64Array,
      /** Length K. */
      intercepts: kit.float64Array,
    }),
    result: z.object({
      count: kit.count,
      weightSum: kit.float,
      lossSum: kit.float,
      gradSum: kit.float64Array,
      interceptGradSum: kit.float64Array,
    }),
  }),
  input: 'design',
  split: () => 'train',
  run: (train, lineage, params) => {
    const layout = buildFeatureLayout(requireEncoding(lineage).features);
    return { partial: softmaxGradient(train, layout.numericIndex, params.beta, params.intercepts) };
  },
  // Summed here, in partition order: the same bits whatever ran where.
  merge: (parts) => mergeSoftmaxGradients(parts),
});
