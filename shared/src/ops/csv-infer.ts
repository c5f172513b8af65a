/**
 * csv-infer: Spark's inferSchema over one partition's bytes (nothing cached). gzip files are
 * decompressed first. Parquet inputs never run it: their schema is in the footer.
 */
import { inferPartition } from '../csv/csv-partition-parser.js';
import { mergeInferPartials } from '../csv/csv-type-inference.js';
import { csvPartitionInput } from '../input/csv-source.js';
import { defineOp } from './task-op.js';

export const csvInferOp = defineOp({
  name: 'csv-infer',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.inferPartial }),
  input: 'source',
  run: (bytes, lineage) => {
    const input = csvPartitionInput(bytes, lineage.source);
    return { partial: inferPartition(input.bytes, input.source, lineage.csv, lineage.firstLine ?? null, input.fileSize) };
  },
  merge: (parts, plan) => mergeInferPartials(parts, plan.columnNames),
});
