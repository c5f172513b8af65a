/**
 * The encoded form of a partition that training and evaluation read: the output of
 * StringIndexer + OneHotEncoder + VectorAssembler, kept compact. One-hot features are never
 * expanded: each categorical input contributes at most one active feature per row, stored as
 * its index in the assembled vector (-1 when the row's category is the dropped last one).
 *
 *   margin(row) = b + Σ_j β[numericIndex[j]]·numeric[row·numNumeric + j]
 *                   + Σ_c β[categorical[row·numCategorical + c]]   (skipping -1)
 */
import type { KitType } from '../wire/schema-kit.js';
import { fitsInt32, sharedFloat64, sharedInt16, sharedInt32, sharedInt8, sharedUint32, sharedUint8 } from './shared-arrays.js';
export type DesignBlock = KitType<'designBlock'>;

/** Where each assembled input lands in the feature vector. */
export interface FeatureLayout {
  /** Length of the assembled feature vector. */
  readonly numFeatures: number;
  /** For numeric input j (assembler order among numeric inputs), its index in the vector. */
  readonly numericIndex: readonly number[];
  /** Name of every slot of the vector, e.g. `job_management`, `age` (Spark's attribute names). */
  readonly names: readonly string[];
}

/**
 * The storage of a block's arrays, narrowed to what its values need (Spark keeps an
 * IntegerType column in 4 bytes, not 8): reading any of them gives the same number as the
 * Float64Array it replaces, so kernels compute the same bits whatever the storage.
 *  - numeric: Int32Array when every value is an integer in int32 range and none is −0
 *    (the bank data's ages, balances, days and counts), Float64Array otherwise;
 *  - categorical: Int8Array when every feature index and −1 fit (assembled vectors under 128
 *    slots, as the bank job's 30), Int16Array under 32 768 slots, Int32Array otherwise;
 *  - label: Uint8Array when every class index is under 256, Float64Array otherwise;
 *  - rowIds: Uint32Array when every data record number is under 2^32, Float64Array otherwise.
 * A row of the bank-lr job (6 numeric, 6 one-hot inputs) takes 35 bytes instead of 88.
 * The choice is a function of the partition's data and the fitted plan alone, so a block
 * rebuilt from lineage on any executor has the storage it had.
 */
export type NumericValues = DesignBlock['numeric'];
export type CategoricalIndices = DesignBlock['categorical'];
export type ClassLabels = DesignBlock['label'];

/** What allocateDesignBlock needs to pick each array's storage. */
export interface DesignStorage {
  /** Every numeric value the block will hold passes fitsInt32. */
  readonly integralNumeric: boolean;
  /** Largest feature index the categorical array will hold (−1 is always held). */
  readonly maxFeatureIndex: number;
  /** Largest class index a label will be. */
  readonly maxClass: number;
  /** Largest row id the block will hold. */
  readonly maxRowId: number;
  readonly weighted: boolean;
}

const INT8_MAX = 0x7f;
const INT16_MAX = 0x7fff;
const UINT32_MAX = 0xffffffff;
const UINT8_MAX = 0xff;

/** An exactly sized, SharedArrayBuffer-backed block with the narrowest storage `storage` allows. */
export function allocateDesignBlock(numRows: number, numNumeric: number, numCategorical: number, storage: DesignStorage): DesignBlock {
  return {
    ...(storage.weighted ? { weight: sharedFloat64(numRows) } : {}),
    numRows,
    rowIds: storage.maxRowId <= UINT32_MAX ? sharedUint32(numRows) : sharedFloat64(numRows),
    label: storage.maxClass <= UINT8_MAX ? sharedUint8(numRows) : sharedFloat64(numRows),
    numeric: storage.integralNumeric ? sharedInt32(numRows * numNumeric) : sharedFloat64(numRows * numNumeric),
    numNumeric,
    categorical: categoricalArray(numRows * numCategorical, storage.maxFeatureIndex),
    numCategorical,
  };
}

function categoricalArray(length: number, maxFeatureIndex: number): CategoricalIndices {
  if (maxFeatureIndex <= INT8_MAX) return sharedInt8(length);
  return maxFeatureIndex <= INT16_MAX ? sharedInt16(length) : sharedInt32(length);
}

/** The storage that holds `block`'s values (for a block built wide, e.g. from saved features). */
export function storageOf(block: DesignBlock): DesignStorage {
  let maxFeatureIndex = -1;
  for (const f of block.categorical) if (f > maxFeatureIndex) maxFeatureIndex = f;
  let maxClass = 0;
  for (const y of block.label) if (y > maxClass) maxClass = y;
  let maxRowId = 0;
  for (const id of block.rowIds) if (id > maxRowId) maxRowId = id;
  return { integralNumeric: block.numeric.every(fitsInt32), maxFeatureIndex, maxClass, maxRowId, weighted: block.weight !== undefined };
}

/** `block` in the narrowest storage its values allow (the same arrays when nothing narrows). */
export function narrowDesignBlock(block: DesignBlock): DesignBlock {
  const out = allocateDesignBlock(block.numRows, block.numNumeric, block.numCategorical, storageOf(block));
  const same = (a: ArrayBufferView, b: ArrayBufferView) => a.constructor === b.constructor;
  if (same(out.label, block.label) && same(out.numeric, block.numeric) && same(out.categorical, block.categorical)) {
    if (same(out.rowIds, block.rowIds)) return block;
  }
  out.rowIds.set(block.rowIds);
  out.label.set(block.label);
  out.numeric.set(block.numeric);
  out.categorical.set(block.categorical);
  if (block.weight !== undefined) out.weight!.set(block.weight);
  return out;
}

/**
 * A short name of the block's storage, e.g. `i32/i16/u8`, for kernels that generate one row
 * loop per storage so that each loop's array reads see a single array type.
 */
export function storageKey(block: DesignBlock): string {
  const numeric = block.numeric instanceof Int32Array ? 'i32' : 'f64';
  const categorical = block.categorical instanceof Int8Array ? 'i8' : block.categorical instanceof Int16Array ? 'i16' : 'i32';
  const label = block.label instanceof Uint8Array ? 'u8' : 'f64';
  return `${numeric}/${categorical}/${label}`;
}
