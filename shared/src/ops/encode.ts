/**
 * encode: StringIndexer + OneHotEncoder + VectorAssembler + split over a partition's rows,
 * cached as train/test design blocks. The rows are then freed: they can be rebuilt from the file.
 */
import { encodePartition } from '../kernels/encode.js';
import { fileNameOf, requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const encodeOp = defineOp({
  name: 'encode',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.encodePartial }),
  input: 'rows',
  run: (rows, lineage) => {
    const { train, test, partial } = encodePartition(rows, requireEncoding(lineage), fileNameOf(lineage), lineage.splitAssignment);
    return { partial, blocks: { train, test } };
  },
  frees: ['rows'],
  merge: (parts) => ({
    trainRows: parts.reduce((a, p) => a + p.trainRows, 0),
    testRows: parts.reduce((a, p) => a + p.testRows, 0),
    skippedRows: parts.reduce((a, p) => a + p.skippedRows, 0),
  }),
});
