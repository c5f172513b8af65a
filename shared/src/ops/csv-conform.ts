/**
 * csv-conform: the second step of the one-pass CSV read, over the cached block and not the
 * bytes. Gives a scanned partition's provisional `rows` block the table's schema and its row
 * ids (from the plan's lineage) and returns the partition's column statistics — exactly the
 * block and the partial csv-load would have produced. A block that cannot take the schema in
 * place is `stale`: the task runner drops it and rebuilds it with csv-load from the source,
 * then conform passes the rebuilt block through.
 */
import { conformable, conformBatch } from '../csv/provisional-batch.js';
import { mergeLoadPartials } from '../ml/column-stats.js';
import { requireSchema } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const csvConformOp = defineOp({
  name: 'csv-conform',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.loadPartial }),
  input: 'rows',
  stale: (rows, lineage) => !conformable(rows, requireSchema(lineage)),
  run: (rows, lineage) => {
    const { batch, partial } = conformBatch(rows, requireSchema(lineage), lineage.firstRowId);
    return { partial, blocks: { rows: batch } };
  },
  merge: (parts) => mergeLoadPartials(parts),
});
