/**
 * csv-scan: the one pass a job makes over a CSV partition's bytes — Spark's inferSchema and the
 * parse together. Returns what csv-infer returns (the driver merges the types into the table's
 * schema) and caches a provisional `rows` block with the partition's own types, which
 * csv-conform then gives the table's schema and row ids. gzip files are decompressed first.
 * Parquet inputs never run it: their schema is in the footer, and csv-load reads them.
 */
import { scanPartition } from '../csv/csv-partition-parser.js';
import { mergeInferPartials } from '../csv/csv-type-inference.js';
import { csvPartitionInput } from '../input/csv-source.js';
import { defineOp } from './task-op.js';

export const csvScanOp = defineOp({
  name: 'csv-scan',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.inferPartial }),
  input: 'source',
  run: (bytes, lineage) => {
    const input = csvPartitionInput(bytes, lineage.source);
    const { batch, partial } = scanPartition(
      input.bytes,
      input.source,
      lineage.csv,
      lineage.firstLine ?? null,
      input.fileSize,
      lineage.skipColumns,
    );
    return { partial, blocks: { rows: batch } };
  },
  merge: (parts, plan) => mergeInferPartials(parts, plan.columnNames),
});
