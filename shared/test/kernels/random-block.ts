/**
 * Test fixture for the kernel tests: deterministic random DesignBlocks with a bank-like
 * layout, and a dense reference implementation of the logistic loss and margin that the
 * fast kernels are checked against.
 */
import { sharedFloat64, sharedInt32, type DesignBlock } from '../../src/columnar/index.js';

/** Layout of a random block: one-hot slot counts per categorical input, then numeric inputs. */
export interface BlockShape {
  readonly slots: readonly number[];
  readonly numNumeric: number;
}

export const BANK_SHAPE: BlockShape = { slots: [11, 2, 3, 1, 1, 1, 2, 3], numNumeric: 6 };

/** Mulberry32: a small seeded generator, so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Feature offsets of the one-hot inputs, the numeric indices and the vector length. */
export function layoutOf(shape: BlockShape): { offsets: number[]; numericIndex: number[]; numFeatures: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const s of shape.slots) {
    offsets.push(at);
    at += s;
  }
  const numericIndex = Array.from({ length: shape.numNumeric }, (_, j) => at + j);
  return { offsets, numericIndex, numFeatures: at + shape.numNumeric };
}

/**
 * A block of `rows` rows; numeric values are small integers when `integerValues` (so scores
 * tie), else spread doubles. Each one-hot input takes its dropped category (-1) sometimes.
 */
export function randomBlock(rows: number, shape: BlockShape, seed: number, integerValues = false, firstRowId = 0): DesignBlock {
  const rand = seededRandom(seed);
  const { offsets } = layoutOf(shape);
  const k = shape.numNumeric;
  const c = shape.slots.length;
  const block = {
    numRows: rows,
    rowIds: sharedFloat64(rows),
    label: sharedFloat64(rows),
    numeric: sharedFloat64(rows * k),
    numNumeric: k,
    categorical: sharedInt32(rows * c),
    numCategorical: c,
  };
  for (let r = 0; r < rows; r++) {
    block.rowIds[r] = firstRowId + r;
    block.label[r] = rand() < 0.45 ? 1 : 0;
    for (let j = 0; j < k; j++) block.numeric[r * k + j] = integerValues ? Math.floor(rand() * 4) : (rand() - 0.3) * (j + 1) * 3;
    for (let i = 0; i < c; i++) {
      const v = Math.floor(rand() * (shape.slots[i]! + 1));
      block.categorical[r * c + i] = v === shape.slots[i]! ? -1 : offsets[i]! + v;
    }
  }
  return block;
}

/** Rows [from, to) of a block as a new block. */
export function sliceBlock(b: DesignBlock, from: number, to: number): DesignBlock {
  return {
    numRows: to - from,
    rowIds: b.rowIds.slice(from, to),
    label: b.label.slice(from, to),
    numeric: b.numeric.slice(from * b.numNumeric, to * b.numNumeric),
    numNumeric: b.numNumeric,
    categorical: b.categorical.slice(from * b.numCategorical, to * b.numCategorical),
    numCategorical: b.numCategorical,
  };
}

/** Row r of a block as a dense feature vector. */
export function denseRow(b: DesignBlock, r: number, numericIndex: readonly number[], numFeatures: number): number[] {
  const x = new Array<number>(numFeatures).fill(0);
  for (let i = 0; i < b.numCategorical; i++) {
    const f = b.categorical[r * b.numCategorical + i]!;
    if (f >= 0) x[f] = 1;
  }
  for (let j = 0; j < b.numNumeric; j++) x[numericIndex[j]!] = b.numeric[r * b.numNumeric + j]!;
  return x;
}

/** Σ log(1 + e^m) − y·m by the textbook formula on dense rows (for moderate margins). */
export function denseLoss(b: DesignBlock, numericIndex: readonly number[], beta: ArrayLike<number>, intercept: number): number {
  let loss = 0;
  for (let r = 0; r < b.numRows; r++) {
    const x = denseRow(b, r, numericIndex, beta.length);
    let m = intercept;
    for (let f = 0; f < x.length; f++) m += beta[f]! * x[f]!;
    loss += Math.log(1 + Math.exp(m)) - b.label[r]! * m;
  }
  return loss;
}
