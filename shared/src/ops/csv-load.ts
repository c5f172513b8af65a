/**
 * csv-load: parse one partition's bytes into a cached columnar `rows` block, with column
 * statistics. The name is historical: it loads every input format — CSV (plain or gzip) by
 * the CSV parser, Parquet row groups by the Parquet reader — into the same ColumnBatch and
 * the same statistics, so every later op is format-blind.
 */
import { parsePartition } from '../csv/csv-partition-parser.js';
import { csvPartitionInput } from '../input/csv-source.js';
import { mergeLoadPartials } from '../ml/column-stats.js';
import { hyparquetLoaded, loadHyparquet } from '../parquet/hyparquet-library.js';
import { loadParquetPartition } from '../parquet/parquet-partition-reader.js';
import { requireSchema } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const csvLoadOp = defineOp({
  name: 'csv-load',
  schemas: (z, kit) => ({ params: z.object({}), result: kit.loadPartial }),
  input: 'source',
  prepare: (lineage) => (lineage.source.format === 'parquet' && !hyparquetLoaded() ? loadHyparquet() : undefined),
  run: (bytes, lineage) => {
    if (lineage.source.format === 'parquet') {
      const { batch, partial } = loadParquetPartition(bytes, lineage.source, requireSchema(lineage), lineage.firstRowId);
      return { partial, blocks: { rows: batch } };
    }
    const input = csvPartitionInput(bytes, lineage.source);
    const { batch, partial } = parsePartition(
      input.bytes,
      input.source,
      lineage.csv,
      requireSchema(lineage),
      lineage.firstRowId,
      lineage.firstLine ?? null,
      input.fileSize,
      lineage.skipColumns,
    );
    return { partial, blocks: { rows: batch } };
  },
  merge: (parts) => mergeLoadPartials(parts),
});
