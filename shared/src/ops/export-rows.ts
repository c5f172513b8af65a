/**
 * export-rows: a partition's loaded rows sent back to the driver column by column, for
 * `kindling convert` (a CSV input written as Parquet). The rows are freed afterwards.
 */
import { exportRows } from '../kernels/export-rows.js';
import { defineOp } from './task-op.js';

export const exportRowsOp = defineOp({
  name: 'export-rows',
  schemas: (z, kit) => ({
    params: z.object({
      /** Indices (in the plan's schema) of the columns to send. */
      columns: z.array(kit.count).readonly(),
    }),
    result: kit.exportRowsPartial,
  }),
  input: 'rows',
  run: (rows, _lineage, params) => ({ partial: exportRows(rows, params.columns) }),
  frees: ['rows'],
  merge: (parts) => ({ rows: parts.reduce((a, p) => a + p.count, 0) }),
});
