/**
 * Driver side of evaluation: merges the per-partition EvaluatePartials (in partition order)
 * and computes Spark's BinaryClassificationMetrics (areaUnderROC, areaUnderPR, optional
 * binning) plus MulticlassMetrics-style figures at the prediction threshold (accuracy,
 * precision, recall, F1 of the positive class and their label-weighted averages) and log
 * loss. Also returns ROC and PR curves thinned for plotting.
 *
 * The areas follow Spark 3.x with the score list treated as one partition: distinct scores
 * descending, runs of ⌊#scores / numBins⌋ scores merged (score = the run's last, lowest),
 * cumulative counts, trapezoid sums. The PR area adds the prepended (0, first precision)
 * segment last, as Spark's per-partition AreaUnderCurve does.
 *
 * Weighted jobs (pipeline.weight) arrive with summed weights in place of counts, as Spark's
 * evaluators take weightCol: the curves, confusion cells and positives/negatives are weights,
 * log loss is Σ w·loss / Σ w, and `count` stays the number of rows.
 */
import { KindlingError } from '../errors.js';
import type { EvaluatePartial } from '../tasks.js';
import { mergeScoreCounts, streamScoreCounts, type ScoreCounts } from './score-merge.js';

export { mergeScoreCounts, type ScoreCounts } from './score-merge.js';

/** A point of the ROC curve. */
export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
  /** The score at or above which this point predicts positive (absent at (0,0) and (1,1)). */
  readonly threshold?: number;
}

/** A point of the precision-recall curve. */
export interface PrPoint {
  readonly recall: number;
  readonly precision: number;
  /** The score at or above which this point predicts positive (absent at the prepended recall-0 point). */
  readonly threshold?: number;
}

/** Everything the evaluate stage reports for one split. */
export interface BinaryMetrics {
  readonly areaUnderROC: number;
  readonly areaUnderPR: number;
  /** (tp + tn) / count. */
  readonly accuracy: number;
  /** Of the positive class (label 1): tp / (tp + fp), 0 when nothing is predicted positive. */
  readonly precision: number;
  /** Of the positive class: tp / (tp + fn), 0 when there are no positives. */
  readonly recall: number;
  /** Of the positive class: 2PR / (P + R), 0 when P + R = 0. */
  readonly f1: number;
  /** Spark MulticlassMetrics weightedPrecision (per-label precision weighted by label share). */
  readonly weightedPrecision: number;
  /** Spark MulticlassMetrics weightedRecall (equals accuracy). */
  readonly weightedRecall: number;
  /** Spark MulticlassMetrics weightedFMeasure (β = 1): the evaluator's default "f1". */
  readonly weightedF1: number;
  /** Mean log loss, probabilities clipped to [1e-15, 1 − 1e-15]. */
  readonly logLoss: number;
  readonly confusion: { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number };
  /** Rows evaluated (not weights). */
  readonly count: number;
  /** Σ weights of label 1 (rows when unweighted); `negatives` likewise for label 0. */
  readonly positives: number;
  readonly negatives: number;
  /** Points of the (binned) curves the areas were computed on, before thinning. */
  readonly curvePoints: number;
  /** ROC curve from (0, 0) to (1, 1), thinned to at most MAX_PLOT_POINTS points. */
  readonly roc: RocPoint[];
  /** PR curve starting at (0, first precision), thinned to at most MAX_PLOT_POINTS points. */
  readonly pr: PrPoint[];
}

/** Options of binaryClassificationMetrics. */
export interface BinaryMetricsOptions {
  /** 0 = exact (every distinct score is a threshold); > 0 = Spark's down-sampling to about numBins points. */
  readonly numBins: number;
  /**
   * false: build the merged list in memory even where it could be streamed into the sums (the
   * same bits either way; tests and scripts/bench/auc-merge.mjs compare the two). Default true.
   */
  readonly stream?: boolean;
}

/** Largest number of points kept in the plotted curves. */
export const MAX_PLOT_POINTS = 200;

/**
 * Spark's down-sampling: with grouping = ⌊#scores / numBins⌋ ≥ 2, each run of `grouping`
 * consecutive scores (the last run may be shorter) becomes one point at the run's lowest
 * score carrying the run's summed counts. Otherwise the list is returned as is.
 */
export function binScoreCounts(counts: ScoreCounts, numBins: number): ScoreCounts {
  if (!Number.isInteger(numBins) || numBins < 0) {
    throw new KindlingError('E_INTERNAL', `numBins must be an integer ≥ 0, got ${numBins}`);
  }
  const n = counts.scores.length;
  const grouping = numBins === 0 ? 0 : Math.floor(n / numBins);
  if (grouping < 2) return counts;
  const m = Math.ceil(n / grouping);
  const scores = new Float64Array(m);
  const positives = new Float64Array(m);
  const negatives = new Float64Array(m);
  for (let b = 0; b < m; b++) {
    const end = Math.min(n, (b + 1) * grouping);
    let p = 0;
    let q = 0;
    for (let i = b * grouping; i < end; i++) {
      p += counts.positives[i]!;
      q += counts.negatives[i]!;
    }
    scores[b] = counts.scores[end - 1]!;
    positives[b] = p;
    negatives[b] = q;
  }
  return { scores, positives, negatives };
}

/** The curves of a merged score list: its length, both areas and the thinned points. */
interface Curves {
  readonly n: number;
  readonly areaUnderROC: number;
  readonly areaUnderPR: number;
  readonly roc: RocPoint[];
  readonly pr: PrPoint[];
}

/** A curve point from the counts cumulated down to a score. */
function curvePoint(cumPos: number, cumNeg: number, totalPos: number, totalNeg: number): { fpr: number; tpr: number; precision: number } {
  return {
    fpr: totalNeg === 0 ? 0 : cumNeg / totalNeg,
    tpr: totalPos === 0 ? 0 : cumPos / totalPos,
    precision: cumPos + cumNeg === 0 ? 1 : cumPos / (cumPos + cumNeg),
  };
}

/**
 * The trapezoid sums of both curves over the merged points, added one point at a time in
 * curve order: the ROC and PR sums each keep their own accumulator, so the bits are those of
 * the former three passes. `onPoint` sees each point's index and figures, for plotting.
 */
class CurveSums {
  areaUnderROC = 0;
  private prArea = 0;
  private px = 0;
  private py = 0;
  private prevPrecision = NaN;
  private firstTpr = NaN;
  firstPrecision = NaN;
  private cumPos = 0;
  private cumNeg = 0;
  n = 0;

  constructor(
    private readonly totalPos: number,
    private readonly totalNeg: number,
    private readonly onPoint?: (i: number, score: number, fpr: number, tpr: number, precision: number) => void,
  ) {}

  add(score: number, positives: number, negatives: number): void {
    this.cumPos += positives;
    this.cumNeg += negatives;
    // curvePoint's figures, inline: no object per point on a 7M-point curve.
    const cumPos = this.cumPos;
    const cumNeg = this.cumNeg;
    const fpr = this.totalNeg === 0 ? 0 : cumNeg / this.totalNeg;
    const tpr = this.totalPos === 0 ? 0 : cumPos / this.totalPos;
    const precision = cumPos + cumNeg === 0 ? 1 : cumPos / (cumPos + cumNeg);
    // ROC: (0,0), points, (1,1), summed in curve order.
    this.areaUnderROC += trapezoid(this.px, this.py, fpr, tpr);
    // PR: the curve's own segments first; the prepended (0, first precision) one is added last.
    if (this.n === 0) {
      this.firstPrecision = precision;
      this.firstTpr = tpr;
    } else this.prArea += trapezoid(this.py, this.prevPrecision, tpr, precision);
    this.onPoint?.(this.n, score, fpr, tpr, precision);
    this.px = fpr;
    this.py = tpr;
    this.prevPrecision = precision;
    this.n++;
  }

  /** Both areas, once every point is in. */
  finish(): { areaUnderROC: number; areaUnderPR: number } {
    const areaUnderROC = this.areaUnderROC + trapezoid(this.px, this.py, 1, 1);
    const first = this.firstPrecision;
    return { areaUnderROC, areaUnderPR: this.n === 0 ? NaN : this.prArea + trapezoid(0, first, this.firstTpr, first) };
  }
}

/** The thinned curves' merged-point indices: ROC over (0,0), n points, (1,1); PR over (0, p₀), n points. */
function plotIndices(n: number): { rocAt: number[]; prAt: number[] } {
  return { rocAt: thinIndices(n + 2, MAX_PLOT_POINTS), prAt: n === 0 ? [] : thinIndices(n + 1, MAX_PLOT_POINTS) };
}

/** Curves over a merged (and maybe binned) list held in memory: one pass, points picked up as they pass. */
function builtCurves(points: ScoreCounts): Curves {
  const n = points.scores.length;
  let totalPos = 0;
  let totalNeg = 0;
  for (let i = 0; i < n; i++) {
    totalPos += points.positives[i]!;
    totalNeg += points.negatives[i]!;
  }
  const { rocAt, prAt } = plotIndices(n);
  const roc: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  const pr: PrPoint[] = [];
  let ri = 1;
  let pi = 1;
  const sums = new CurveSums(totalPos, totalNeg, (i, score, fpr, tpr, precision) => {
    if (i === 0) pr.push({ recall: 0, precision });
    if (rocAt[ri] === i + 1) {
      roc.push({ fpr, tpr, threshold: score });
      ri++;
    }
    if (prAt[pi] === i + 1) {
      pr.push({ recall: tpr, precision, threshold: score });
      pi++;
    }
  });
  for (let i = 0; i < n; i++) sums.add(points.scores[i]!, points.positives[i]!, points.negatives[i]!);
  roc.push({ fpr: 1, tpr: 1 });
  return { n, ...sums.finish(), roc, pr };
}

/**
 * The same curves with the merge streamed into the sums (streamScoreCounts): the merged list
 * is never held, and the ~400 plotted points are found again afterwards. Undefined where the
 * stream does not apply (weighted counts, fewer than two parts, a ±0 tie).
 */
function streamedCurves(parts: readonly ScoreCounts[]): Curves | undefined {
  // Integer counts (the stream's condition) sum exactly in any order: the totals need no merge.
  let totalPos = 0;
  let totalNeg = 0;
  for (const p of parts) {
    for (let i = 0; i < p.positives.length; i++) totalPos += p.positives[i]!;
    for (let i = 0; i < p.negatives.length; i++) totalNeg += p.negatives[i]!;
  }
  const sums = new CurveSums(totalPos, totalNeg);
  const merged = streamScoreCounts(parts, (score, positives, negatives) => sums.add(score, positives, negatives));
  if (merged === undefined) return undefined;
  const n = merged.length;
  const { rocAt, prAt } = plotIndices(n);
  const interior = (at: number[], last: number): number[] => at.filter((j) => j >= 1 && j <= last).map((j) => j - 1);
  const wanted = [...new Set([...interior(rocAt, n), ...interior(prAt, n)])].sort((a, b) => a - b);
  const found = new Map(merged.pointsAt(wanted).map((p, k) => [wanted[k]!, p]));
  const figures = (i: number): { score: number; fpr: number; tpr: number; precision: number } => {
    const p = found.get(i)!;
    return { score: p.score, ...curvePoint(p.cumPositives, p.cumNegatives, totalPos, totalNeg) };
  };
  const roc: RocPoint[] = rocAt.map((j) => {
    if (j === 0) return { fpr: 0, tpr: 0 };
    if (j === n + 1) return { fpr: 1, tpr: 1 };
    const f = figures(j - 1);
    return { fpr: f.fpr, tpr: f.tpr, threshold: f.score };
  });
  const pr: PrPoint[] = prAt.map((j) => {
    if (j === 0) return { recall: 0, precision: sums.firstPrecision };
    const f = figures(j - 1);
    return { recall: f.tpr, precision: f.precision, threshold: f.score };
  });
  return { n, ...sums.finish(), roc, pr };
}

/** Evenly spaced indices of a curve of length n, first and last always kept. */
function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(Math.round((i * (n - 1)) / (max - 1)));
  return out;
}

function trapezoid(x1: number, y1: number, x2: number, y2: number): number {
  return ((x2 - x1) * (y1 + y2)) / 2.0;
}

/** Precision, recall and F-measure (β = 1) of one class, as Spark's MulticlassMetrics. */
function classFigures(tp: number, fp: number, labelCount: number): { p: number; r: number; f: number } {
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = labelCount === 0 ? 0 : tp / labelCount;
  const f = p + r === 0 ? 0 : (2 * p * r) / (p + r);
  return { p, r, f };
}

/**
 * Merges the evaluate partials of a split (in partition order) and computes its metrics.
 * `numBins` = 0 is exact; > 0 bins the merged sorted list as Spark does for one partition.
 */
export function binaryClassificationMetrics(parts: readonly EvaluatePartial[], opts: BinaryMetricsOptions): BinaryMetrics {
  let count = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let logLossSum = 0;
  // Σ weights: a weighted partial says it; an unweighted one weighs 1 per row.
  let weightSum = 0;
  for (const p of parts) {
    count += p.count;
    weightSum += p.weightSum ?? p.count;
    tp += p.tp;
    fp += p.fp;
    tn += p.tn;
    fn += p.fn;
    logLossSum += p.logLossSum;
  }
  const curves = opts.numBins === 0 && opts.stream !== false ? streamedCurves(parts) : undefined;
  const { n, areaUnderROC, areaUnderPR, roc, pr } = curves ?? builtCurves(binScoreCounts(mergeScoreCounts(parts), opts.numBins));

  // Threshold metrics, Spark MulticlassMetrics: only labels that occur are averaged over.
  const positives = tp + fn;
  const negatives = tn + fp;
  const labelCount = positives + negatives;
  const pos = classFigures(tp, fp, positives);
  const neg = classFigures(tn, fn, negatives);
  let weightedPrecision = 0;
  let weightedRecall = 0;
  let weightedF1 = 0;
  if (negatives > 0) {
    weightedPrecision += (neg.p * negatives) / labelCount;
    weightedRecall += (neg.r * negatives) / labelCount;
    weightedF1 += (neg.f * negatives) / labelCount;
  }
  if (positives > 0) {
    weightedPrecision += (pos.p * positives) / labelCount;
    weightedRecall += (pos.r * positives) / labelCount;
    weightedF1 += (pos.f * positives) / labelCount;
  }
  const empty = labelCount === 0;

  return {
    areaUnderROC,
    areaUnderPR,
    accuracy: empty ? NaN : (tn + tp) / labelCount,
    precision: pos.p,
    recall: pos.r,
    f1: pos.f,
    weightedPrecision: empty ? NaN : weightedPrecision,
    weightedRecall: empty ? NaN : weightedRecall,
    weightedF1: empty ? NaN : weightedF1,
    logLoss: weightSum === 0 ? NaN : logLossSum / weightSum,
    confusion: { tp, fp, tn, fn },
    count,
    positives,
    negatives,
    curvePoints: n,
    roc,
    pr,
  };
}
