/**
 * The summarize kernel: per-feature count, mean and M2 (sum of squared deviations) of the
 * training rows of one DesignBlock, plus label counts — the input of LogisticRegression's
 * standardisation (Spark's Summarizer: mean and unbiased std). Executors run summarizeBlock
 * per partition; the driver folds the partials with mergeSummaries in partition order and
 * calls finishSummary.
 *
 * Numeric features use two passes over the block (mean, then squared deviations); one-hot
 * slots are 0/1, so their moments follow exactly from the slot counts.
 */
import { KindlingError } from '../errors.js';
import type { DesignBlock } from '../columnar/design-block.js';
import type { SummaryPartial } from '../tasks.js';

/** Final standardisation statistics. */
export interface FinishedSummary {
  readonly count: number;
  readonly mean: Float64Array;
  /** Unbiased (n − 1) standard deviation; 0 when count < 2. */
  readonly std: Float64Array;
  /** Rows with label 0 and label 1. */
  readonly labelCounts: [number, number];
}

/** Moments of every feature over one block's rows. */
export function summarizeBlock(block: DesignBlock, numFeatures: number, numericIndex: readonly number[]): SummaryPartial {
  const n = block.numRows;
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `summarize: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  const mean = new Array<number>(numFeatures).fill(0);
  const m2 = new Array<number>(numFeatures).fill(0);
  let ones = 0;
  for (let r = 0; r < n; r++) ones += block.label[r]!;
  const labelCounts: [number, number] = [n - ones, ones];
  if (n === 0) return { count: 0, mean, m2, labelCounts };

  const num = block.numeric;
  const sums = new Float64Array(k);
  for (let r = 0, p = 0; r < n; r++, p += k) {
    for (let j = 0; j < k; j++) sums[j] = sums[j]! + num[p + j]!;
  }
  const mu = new Float64Array(k);
  for (let j = 0; j < k; j++) mu[j] = sums[j]! / n;
  const dev = new Float64Array(k);
  for (let r = 0, p = 0; r < n; r++, p += k) {
    for (let j = 0; j < k; j++) {
      const d = num[p + j]! - mu[j]!;
      dev[j] = dev[j]! + d * d;
    }
  }
  for (let j = 0; j < k; j++) {
    const f = numericIndex[j]!;
    mean[f] = mu[j]!;
    m2[f] = dev[j]!;
  }

  const cat = block.categorical;
  const slotCounts = new Float64Array(numFeatures);
  const total = n * c;
  for (let i = 0; i < total; i++) {
    const f = cat[i]!;
    if (f >= 0) slotCounts[f] = slotCounts[f]! + 1;
  }
  const numeric = new Uint8Array(numFeatures);
  for (const f of numericIndex) numeric[f] = 1;
  for (let f = 0; f < numFeatures; f++) {
    if (numeric[f] === 1) continue;
    const ones = slotCounts[f]!;
    mean[f] = ones / n;
    m2[f] = (ones * (n - ones)) / n;
  }
  return { count: n, mean, m2, labelCounts };
}

/** Combines two partials (Chan et al.); `a` holds the earlier partitions. */
export function mergeSummaries(a: SummaryPartial, b: SummaryPartial): SummaryPartial {
  if (a.mean.length !== b.mean.length) {
    throw new KindlingError('E_INTERNAL', `mergeSummaries: ${a.mean.length} vs ${b.mean.length} features`);
  }
  const labelCounts: [number, number] = [a.labelCounts[0] + b.labelCounts[0], a.labelCounts[1] + b.labelCounts[1]];
  if (b.count === 0) return { count: a.count, mean: [...a.mean], m2: [...a.m2], labelCounts };
  if (a.count === 0) return { count: b.count, mean: [...b.mean], m2: [...b.m2], labelCounts };
  const n = a.count + b.count;
  const d = a.mean.length;
  const mean = new Array<number>(d);
  const m2 = new Array<number>(d);
  for (let f = 0; f < d; f++) {
    const delta = b.mean[f]! - a.mean[f]!;
    mean[f] = a.mean[f]! + (delta * b.count) / n;
    m2[f] = a.m2[f]! + b.m2[f]! + (delta * delta * a.count * b.count) / n;
  }
  return { count: n, mean, m2, labelCounts };
}

/** Mean and unbiased std (n − 1, as Spark's Summarizer; 0 below two rows) of every feature. */
export function finishSummary(s: SummaryPartial): FinishedSummary {
  const d = s.mean.length;
  const mean = Float64Array.from(s.mean);
  const std = new Float64Array(d);
  if (s.count > 1) {
    for (let f = 0; f < d; f++) std[f] = Math.sqrt(Math.max(0, s.m2[f]!) / (s.count - 1));
  }
  return { count: s.count, mean, std, labelCounts: [s.labelCounts[0], s.labelCounts[1]] };
}
