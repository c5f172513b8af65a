/** csv-infer: Spark's inferSchema over one partition's bytes (nothing cached). */
import { inferPartition } from '../csv/csv-partition-parser.js';
import { mergeInferPartials } from '../csv/csv-type-inference.js';
import { defineOp } from './task-op.js';

export const csvInferOp = defineOp({
  name: 'csv-infer',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.inferPartial }),
  input: 'source',
  run: (bytes, lineage) => ({ partial: inferPartition(bytes, lineage.source, lineage.csv, null, lineage.source.fileSize) }),
  merge: (parts, plan) => mergeInferPartials(parts, plan.columnNames),
});
