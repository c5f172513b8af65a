/** spark-split-keys: the sort keys of Spark's randomSplit for one partition's rows (compat mode). */
import { sparkSplitKeys } from '../kernels/spark-split-keys.js';
import { fileNameOf, requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const sparkSplitKeysOp = defineOp({
  name: 'spark-split-keys',
  schemas: (z, kit) => ({ params: z.object({ keyColumns: z.array(kit.count).readonly() }), result: kit.sparkSplitKeysPartial }),
  input: 'rows',
  run: (rows, lineage, params) => ({ partial: sparkSplitKeys(rows, requireEncoding(lineage), params.keyColumns, fileNameOf(lineage)) }),
});
