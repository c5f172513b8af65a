/** csv-load: parse one partition's bytes into a cached columnar `rows` block, with column statistics. */
import { parsePartition } from '../csv/csv-partition-parser.js';
import { mergeLoadPartials } from '../ml/column-stats.js';
import { requireSchema } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const csvLoadOp = defineOp({
  name: 'csv-load',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.loadPartial }),
  input: 'source',
  run: (bytes, lineage) => {
    const { batch, partial } = parsePartition(
      bytes,
      lineage.source,
      lineage.csv,
      requireSchema(lineage),
      lineage.firstRowId,
      lineage.firstLine ?? null,
      lineage.source.fileSize,
    );
    return { partial, blocks: { rows: batch } };
  },
  merge: (parts) => mergeLoadPartials(parts),
});
