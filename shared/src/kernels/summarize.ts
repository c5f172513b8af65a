/**
 * The summarize kernel: per-feature count, mean and M2 (sum of squared deviations) of the
 * training rows of one DesignBlock, plus label counts — the input of LogisticRegression's
 * standardisation (Spark's Summarizer: mean and unbiased std). Executors run summarizeBlock
 * per partition; the driver folds the partials with mergeSummaries in partition order and
 * calls finishSummary.
 *
 * Numeric features use two passes over the block (mean, then squared deviations); one-hot
 * slots are 0/1, so their moments follow exactly from the slot counts. A block with instance
 * weights gets weighted moments (Spark: unbiased weighted variance m2 / (Σw − Σw²/Σw)); a
 * multinomial plan adds the (weighted) class histogram. Unweighted binomial blocks take the
 * original code path, so their bits do not change.
 * THREADING: pure; summarizeBlock runs in executor worker threads, the rest on the driver.
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
  /** Multinomial plans: (weighted) count of each class. */
  readonly classCounts?: readonly number[];
  /** Σ w (= count without weights). */
  readonly weightSum: number;
}

/** Moments of every feature over one block's rows; `numClasses` (multinomial plans) adds the class histogram. */
export function summarizeBlock(
  block: DesignBlock,
  numFeatures: number,
  numericIndex: readonly number[],
  numClasses?: number,
): SummaryPartial {
  const base =
    block.weight === undefined
      ? unweightedMoments(block, numFeatures, numericIndex)
      : weightedMoments(block, numFeatures, numericIndex, block.weight);
  if (numClasses === undefined) return base;
  const classCounts = new Array<number>(numClasses).fill(0);
  let zeros = 0;
  let ones = 0;
  for (let r = 0; r < block.numRows; r++) {
    const y = block.label[r]!;
    classCounts[y] = classCounts[y]! + (block.weight === undefined ? 1 : block.weight[r]!);
    if (y === 0) zeros++;
    else if (y === 1) ones++;
  }
  return { ...base, labelCounts: [zeros, ones], classCounts };
}

function unweightedMoments(block: DesignBlock, numFeatures: number, numericIndex: readonly number[]): SummaryPartial {
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

/** Weighted mean and m2 = Σ w·(x − μ)² of every feature (two passes, as the unweighted path). */
function weightedMoments(block: DesignBlock, numFeatures: number, numericIndex: readonly number[], weight: Float64Array): SummaryPartial {
  const n = block.numRows;
  const k = block.numNumeric;
  const c = block.numCategorical;
  if (numericIndex.length !== k) {
    throw new KindlingError('E_INTERNAL', `summarize: block has ${k} numeric inputs but the layout has ${numericIndex.length}`);
  }
  const mean = new Array<number>(numFeatures).fill(0);
  const m2 = new Array<number>(numFeatures).fill(0);
  let ones = 0;
  let W = 0;
  let W2 = 0;
  for (let r = 0; r < n; r++) {
    ones += block.label[r]!;
    W += weight[r]!;
    W2 += weight[r]! * weight[r]!;
  }
  const labelCounts: [number, number] = [n - ones, ones];
  if (!(W > 0)) return { count: n, mean, m2, labelCounts, weightSum: W, weightSqSum: W2 };
  const num = block.numeric;
  const sums = new Float64Array(k);
  for (let r = 0, p = 0; r < n; r++, p += k) {
    const w = weight[r]!;
    for (let j = 0; j < k; j++) sums[j] = sums[j]! + w * num[p + j]!;
  }
  const dev = new Float64Array(k);
  for (let r = 0, p = 0; r < n; r++, p += k) {
    const w = weight[r]!;
    for (let j = 0; j < k; j++) {
      const dv = num[p + j]! - sums[j]! / W;
      dev[j] = dev[j]! + w * dv * dv;
    }
  }
  for (let j = 0; j < k; j++) {
    mean[numericIndex[j]!] = sums[j]! / W;
    m2[numericIndex[j]!] = dev[j]!;
  }
  const slotWeights = new Float64Array(numFeatures);
  for (let r = 0, q = 0; r < n; r++, q += c) {
    for (let j = 0; j < c; j++) {
      const f = block.categorical[q + j]!;
      if (f >= 0) slotWeights[f] = slotWeights[f]! + weight[r]!;
    }
  }
  const numeric = new Uint8Array(numFeatures);
  for (const f of numericIndex) numeric[f] = 1;
  for (let f = 0; f < numFeatures; f++) {
    if (numeric[f] === 1) continue;
    const s = slotWeights[f]!;
    mean[f] = s / W;
    m2[f] = (s * (W - s)) / W;
  }
  return { count: n, mean, m2, labelCounts, weightSum: W, weightSqSum: W2 };
}

/** Combines two partials (Chan et al., weighted when the blocks carry weights); `a` holds the earlier partitions. */
export function mergeSummaries(a: SummaryPartial, b: SummaryPartial): SummaryPartial {
  if (a.mean.length !== b.mean.length) {
    throw new KindlingError('E_INTERNAL', `mergeSummaries: ${a.mean.length} vs ${b.mean.length} features`);
  }
  const labelCounts: [number, number] = [a.labelCounts[0] + b.labelCounts[0], a.labelCounts[1] + b.labelCounts[1]];
  const extra: Partial<SummaryPartial> = {};
  if (a.classCounts !== undefined && b.classCounts !== undefined) extra.classCounts = a.classCounts.map((x, i) => x + b.classCounts![i]!);
  // An unweighted partial (a partition whose weights were all 1) has Σw = Σw² = count.
  const weighted = a.weightSum !== undefined || b.weightSum !== undefined;
  if (weighted) {
    extra.weightSum = (a.weightSum ?? a.count) + (b.weightSum ?? b.count);
    extra.weightSqSum = (a.weightSqSum ?? a.count) + (b.weightSqSum ?? b.count);
  }
  const na = weighted ? (a.weightSum ?? a.count) : a.count;
  const nb = weighted ? (b.weightSum ?? b.count) : b.count;
  const count = a.count + b.count;
  if (!(nb > 0)) return { count, mean: [...a.mean], m2: [...a.m2], labelCounts, ...extra };
  if (!(na > 0)) return { count, mean: [...b.mean], m2: [...b.m2], labelCounts, ...extra };
  const n = na + nb;
  const d = a.mean.length;
  const mean = new Array<number>(d);
  const m2 = new Array<number>(d);
  for (let f = 0; f < d; f++) {
    const delta = b.mean[f]! - a.mean[f]!;
    mean[f] = a.mean[f]! + (delta * nb) / n;
    m2[f] = a.m2[f]! + b.m2[f]! + (delta * delta * na * nb) / n;
  }
  return { count, mean, m2, labelCounts, ...extra };
}

/** Mean and unbiased std (n − 1, or Σw − Σw²/Σw with weights, as Spark's Summarizer; 0 below two rows) of every feature. */
export function finishSummary(s: SummaryPartial): FinishedSummary {
  const d = s.mean.length;
  const mean = Float64Array.from(s.mean);
  const std = new Float64Array(d);
  if (s.weightSum !== undefined) {
    const denominator = s.weightSum - s.weightSqSum! / s.weightSum;
    if (denominator > 0) for (let f = 0; f < d; f++) std[f] = Math.sqrt(Math.max(0, s.m2[f]!) / denominator);
  } else if (s.count > 1) {
    for (let f = 0; f < d; f++) std[f] = Math.sqrt(Math.max(0, s.m2[f]!) / (s.count - 1));
  }
  // With weights the binomial trainer's label counts are the weighted class counts.
  const weightedCounts = s.weightSum !== undefined && s.classCounts !== undefined;
  return {
    count: s.count,
    mean,
    std,
    labelCounts: weightedCounts ? [s.classCounts![0]!, s.classCounts![1]!] : [s.labelCounts[0], s.labelCounts[1]],
    weightSum: s.weightSum ?? s.count,
    ...(s.classCounts !== undefined ? { classCounts: [...s.classCounts] } : {}),
  };
}
