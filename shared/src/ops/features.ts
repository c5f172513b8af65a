/** features: the cached train or test design block itself (output.features writes it as Parquet). */
import { defineOp } from './task-op.js';

export const featuresOp = defineOp({
  name: 'features',
  schemas: (z, kit) => ({ params: z.object({ split: z.enum(['train', 'test']) }), result: kit.designBlock }),
  input: 'design',
  // Large partials: sent back while the next partitions compute (TaskOpDefinition.groupSize).
  groupSize: 4,
  split: (params) => params.split,
  run: (block) => ({ partial: block }),
});
