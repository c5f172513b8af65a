/**
 * features-load: a partition of saved assembled features (one Parquet part of a `features/train`
 * or `features/test` folder, Kindling's or Spark's `(label, features: VectorUDT)`) read straight
 * into the cached design blocks that summarize, gradient and evaluate read — no feature pipeline.
 * The partition's rows all go to the split its folder names; the other split's block is empty.
 *
 * With the layout of the pipeline that assembled the vectors (Kindling's files record it in
 * their footer), the block is the one the encode op built for these rows in the fitting job:
 * numeric slots in assembler order, one-hot slots as compact indices. That is what makes a
 * job trained from saved features give the one-run job's bits. Without a layout (a vector
 * Spark wrote) every slot is a numeric input.
 */
import { narrowDesignBlock, type DesignBlock } from '../columnar/design-block.js';
import { sharedFloat64, sharedInt32 } from '../columnar/shared-arrays.js';
import { DataError } from '../errors.js';
import { readFeatureRows, where } from '../parquet/feature-rows-reader.js';
import { hyparquetLoaded, loadHyparquet } from '../parquet/hyparquet-library.js';
import { footerOfPartitionBytes } from '../parquet/parquet-partition-reader.js';
import { defineOp } from './task-op.js';

export const featuresLoadOp = defineOp({
  name: 'features-load',
  schemas: (z, kit) => ({
    params: z.object({
      /** Partitions 0..trainPartitions−1 are train parts, the rest test parts. */
      trainPartitions: kit.count,
      columns: z.object({ features: z.string(), label: z.string(), rowId: z.string().optional(), weight: z.string().optional() }),
      /** Slot layout of the assembler; null: every slot numeric, the size taken from the data. */
      layout: z
        .object({
          numFeatures: kit.count,
          numericIndex: z.array(kit.count).readonly(),
          oneHot: z.array(z.object({ name: z.string(), offset: kit.count, size: kit.count, dropLast: z.boolean() })).readonly(),
        })
        .nullable(),
      /** Label classes K when known: labels must be integers 0..K−1. */
      numClasses: kit.count.nullable(),
    }),
    result: z.object({ rows: kit.count, numFeatures: kit.count, maxLabel: z.number(), weighted: z.boolean() }),
  }),
  input: 'source',
  prepare: () => (hyparquetLoaded() ? undefined : loadHyparquet()),
  run: (bytes, lineage, params) => {
    const source = lineage.source;
    const file = source.file;
    const metadata = footerOfPartitionBytes(bytes, source);
    const rows = readFeatureRows(bytes, source, metadata, params.columns);
    const n = rows.numRows;
    const layout = params.layout;
    const f = params.columns.features;
    const numFeatures = layout?.numFeatures ?? (n > 0 ? rows.size[0]! : 0);
    const numNumeric = layout?.numericIndex.length ?? numFeatures;
    const numCategorical = layout?.oneHot.length ?? 0;
    // slot → numeric input j (≥ 0) or one-hot input −(c + 1).
    const slotOf = new Int32Array(numFeatures);
    if (layout === null) for (let j = 0; j < numFeatures; j++) slotOf[j] = j;
    else {
      layout.numericIndex.forEach((s, j) => (slotOf[s] = j));
      layout.oneHot.forEach((h, c) => {
        for (let s = h.offset; s < h.offset + h.size; s++) slotOf[s] = -(c + 1);
      });
    }
    const block: DesignBlock = {
      numRows: n,
      rowIds: sharedFloat64(n),
      label: sharedFloat64(n),
      numeric: sharedFloat64(n * numNumeric),
      numNumeric,
      categorical: sharedInt32(n * numCategorical).fill(-1),
      numCategorical,
      ...(rows.weight !== null ? { weight: sharedFloat64(n) } : {}),
    };
    let maxLabel = -1;
    for (let r = 0; r < n; r++) {
      const at = (): string => where(source, rows.rowIds, r);
      if (rows.size[r] !== numFeatures) {
        throw new DataError(
          'E_SCHEMA',
          `${at()}: column '${f}' holds a vector of size ${rows.size[r]}, expected ${numFeatures} (${layout ? 'the size the pipeline assembled' : 'the size of the first row'})`,
          { file, column: f, size: rows.size[r], expected: numFeatures },
        );
      }
      const y = rows.label[r]!;
      if (!(Number.isInteger(y) && y >= 0 && (params.numClasses === null || y < params.numClasses))) {
        throw new DataError(
          'E_INVALID_VALUE',
          `${at()}: label column '${params.columns.label}' is ${y}; expected a class index 0..${params.numClasses === null ? 'K−1' : params.numClasses - 1}`,
          { file, column: params.columns.label, value: y },
        );
      }
      if (y > maxLabel) maxLabel = y;
      block.label[r] = y;
      block.rowIds[r] = rows.rowIds !== null ? rows.rowIds[r]! : lineage.firstRowId + r;
      if (rows.weight !== null) {
        const w = rows.weight[r]!;
        if (!(Number.isFinite(w) && w >= 0)) {
          throw new DataError(
            'E_INVALID_VALUE',
            `${at()}: weight column '${params.columns.weight}' is ${w}; expected a finite number >= 0`,
            {
              file,
              column: params.columns.weight,
              value: w,
            },
          );
        }
        block.weight![r] = w;
      }
      for (let k = rows.rowStart[r]!; k < rows.rowStart[r + 1]!; k++) {
        const s = rows.indices[k]!;
        const v = rows.values[k]!;
        const slot = slotOf[s]!;
        if (slot >= 0) {
          block.numeric[r * numNumeric + slot] = v;
          continue;
        }
        if (v === 0) continue;
        const c = -slot - 1;
        if (v !== 1 || block.categorical[r * numCategorical + c] !== -1) {
          throw new DataError(
            'E_INVALID_VALUE',
            `${at()}: column '${f}' slot ${s} holds ${v}, but the slots of one-hot input '${layout!.oneHot[c]!.name}' hold a single 1`,
            { file, column: f, slot: s },
          );
        }
        block.categorical[r * numCategorical + c] = s;
      }
      if (layout !== null) {
        layout.oneHot.forEach((h, c) => {
          if (!h.dropLast && block.categorical[r * numCategorical + c] === -1) {
            throw new DataError(
              'E_INVALID_VALUE',
              `${at()}: column '${f}' has no 1 among the slots of one-hot input '${h.name}' (dropLast = false)`,
              {
                file,
                column: f,
              },
            );
          }
        });
      }
    }
    const empty: DesignBlock = {
      numRows: 0,
      rowIds: sharedFloat64(0),
      label: sharedFloat64(0),
      numeric: sharedFloat64(0),
      numNumeric,
      categorical: sharedInt32(0),
      numCategorical,
    };
    // Built wide (a Float64 label and numeric values), then stored as narrow as the values allow.
    const narrow = narrowDesignBlock(block);
    const blocks = source.index < params.trainPartitions ? { train: narrow, test: empty } : { train: empty, test: narrow };
    return { partial: { rows: n, numFeatures, maxLabel, weighted: rows.weight !== null }, blocks };
  },
  merge: (parts) => parts,
});
