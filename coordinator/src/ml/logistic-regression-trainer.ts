/**
 * Driver side of binomial logistic-regression training, mirroring Spark MLlib 3.2+
 * LogisticRegression.train (spec §5): optimisation in standardised space with virtual
 * centring, L2 added on the driver, L-BFGS (or OWL-QN when there is an L1 term), and the
 * conversion back to original-space coefficients. The pipeline calls trainLogisticRegression
 * with an oracle that runs one distributed gradient pass per call; this module never sees
 * rows, only merged per-partition sums.
 */
import { KindlingError } from '@kindling/shared/compute';
import { minimizeLbfgs, minimizeOwlqn, type DiffFunction, type IterationReport, type LbfgsResult } from '../optimizer/index.js';
import type { OptimizerIterationTelemetry } from './iteration-telemetry.js';

/** Merged (in partition order) unscaled sums over all training rows at original-space coefficients. */
export type LogisticGradientOracle = (
  beta: Float64Array,
  intercept: number,
) => Promise<{ count: number; lossSum: number; gradSum: Float64Array; interceptGradSum: number; weightSum?: number }>;

/** Spark's summarizer pass over the training rows. */
export interface FeatureSummary {
  count: number;
  mean: Float64Array;
  /** Unbiased (n − 1) standard deviation. */
  std: Float64Array;
  /** Rows with label 0 and label 1 (weighted counts when weightSum is set). */
  labelCounts: [number, number];
  /** Σ w of the training rows with instance weights (pipeline.weight); absent = count. */
  weightSum?: number;
}

/** Spark MLlib LogisticRegression parameters (binomial). */
export interface LogisticRegressionParams {
  maxIter: number;
  regParam: number;
  elasticNetParam: number;
  tol: number;
  fitIntercept: boolean;
  standardization: boolean;
  /** Spark ≥ 3.2 centres features virtually; 2.x does not. */
  centering: boolean;
  /**
   * Classes declared by the label's metadata (Spark: StringIndexer labels). Only decides the
   * sign of the infinite intercept when one label occurs: 2 → +∞, otherwise −∞. Default: 2 if
   * label 1 occurs, else 1 (what Spark derives from the label histogram).
   */
  numClasses?: number;
}

/** A trained binomial model plus the optimiser's trace. */
export interface LogisticRegressionFit {
  /** Original-space coefficients; exactly 0 for zero-variance features. */
  coefficients: Float64Array;
  intercept: number;
  /** Objective (loss + regularisation) at the start and after each iteration, as Spark records it. */
  objectiveHistory: number[];
  /** Spark's totalIterations (3.1+): objectiveHistory.length − 1. */
  iterations: number;
  /** Oracle calls (distributed gradient passes). */
  evaluations: number;
  /** The optimiser's stopping reason, or 'single-label' when no optimisation ran. */
  reason: string;
}

/** The scaled-space objective handed to the optimiser, with its start point and back-conversion. */
export interface ScaledLogisticObjective {
  /** numFeatures, plus 1 for the intercept when fitted (last coordinate). */
  readonly dimension: number;
  /** Loss/n + L2 at a scaled-space point [w'_0 … w'_{d−1}, b'] and its gradient; one oracle call. */
  readonly evaluate: DiffFunction;
  /** Per-coordinate L1 strengths for OWL-QN, or undefined when the L1 term is 0 (L-BFGS). */
  readonly l1: Float64Array | undefined;
  /** Spark's start: w' = 0, b' = log(n1/n0) when the intercept is fitted. */
  initialPoint(): Float64Array;
  /** Original-space coefficients and intercept of a scaled-space point. */
  toOriginalSpace(x: Float64Array): { coefficients: Float64Array; intercept: number };
}

function invalid(message: string, details: Record<string, unknown>): KindlingError {
  return new KindlingError('E_INVALID_VALUE', message, details);
}

function validate(summary: FeatureSummary, params: LogisticRegressionParams): void {
  const { maxIter, regParam, elasticNetParam, tol } = params;
  if (!Number.isInteger(maxIter) || maxIter < 0)
    throw invalid(`logistic regression maxIter must be an integer >= 0, got ${maxIter}`, { param: 'maxIter', value: maxIter });
  if (!(regParam >= 0) || !Number.isFinite(regParam))
    throw invalid(`logistic regression regParam must be finite and >= 0, got ${regParam}`, { param: 'regParam', value: regParam });
  if (!(elasticNetParam >= 0 && elasticNetParam <= 1)) {
    throw invalid(`logistic regression elasticNetParam must be in [0, 1], got ${elasticNetParam}`, {
      param: 'elasticNetParam',
      value: elasticNetParam,
    });
  }
  if (!(tol >= 0) || !Number.isFinite(tol))
    throw invalid(`logistic regression tol must be finite and >= 0, got ${tol}`, { param: 'tol', value: tol });
  const d = summary.mean.length;
  if (summary.std.length !== d) {
    throw invalid(`feature summary has ${d} means but ${summary.std.length} standard deviations`, { means: d, stds: summary.std.length });
  }
  for (let j = 0; j < d; j++) {
    const mu = summary.mean[j]!;
    const sd = summary.std[j]!;
    if (!Number.isFinite(mu) || !Number.isFinite(sd) || sd < 0) {
      throw invalid(`feature ${j} has mean ${mu} and std ${sd}; both must be finite and std >= 0`, { feature: j, mean: mu, std: sd });
    }
  }
  const [n0, n1] = summary.labelCounts;
  if (!(summary.count > 0))
    throw invalid(`logistic regression needs at least one training row, got ${summary.count}`, { count: summary.count });
  // Weighted counts are float sums taken in another order than Σ w: equal up to rounding.
  const total = summary.weightSum ?? summary.count;
  const countsMatch = summary.weightSum === undefined ? n0 + n1 === total : Math.abs(n0 + n1 - total) <= 1e-9 * Math.max(1, total);
  if (!(n0 >= 0 && n1 >= 0) || !countsMatch) {
    throw invalid(`label counts [${n0}, ${n1}] do not add up to the ${summary.count} training rows`, {
      labelCounts: [n0, n1],
      count: summary.count,
    });
  }
}

/**
 * Builds the objective Spark's RDDLossFunction computes, in scaled space, on top of an oracle
 * of unscaled sums: x'_j = x_j/σ_j (σ_j = 0 → feature ignored), margin Σ w'_j(x'_j − μ_j/σ_j) + b'
 * when centring (fitIntercept and params.centering) else Σ w'_j x'_j + b'; value
 * lossSum/n + ½·λ(1−α)·Σ w'_j² (standardization) or ½·λ(1−α)·Σ (w'_j/σ_j)², intercept unpenalised.
 */
export function createScaledLogisticObjective(
  oracle: LogisticGradientOracle,
  summary: FeatureSummary,
  params: LogisticRegressionParams,
): ScaledLogisticObjective {
  validate(summary, params);
  const numFeatures = summary.mean.length;
  const std = summary.std;
  const fitIntercept = params.fitIntercept;
  const fitWithMean = fitIntercept && params.centering;
  const dimension = fitIntercept ? numFeatures + 1 : numFeatures;
  const inverseStd = new Float64Array(numFeatures);
  const scaledMean = new Float64Array(numFeatures);
  for (let j = 0; j < numFeatures; j++) {
    inverseStd[j] = std[j] !== 0 ? 1.0 / std[j]! : 0.0;
    scaledMean[j] = inverseStd[j]! * summary.mean[j]!;
  }
  // Same expressions as Spark: (1 − α)·λ for L2, α·λ for L1.
  const regParamL2 = (1.0 - params.elasticNetParam) * params.regParam;
  const regParamL1 = params.elasticNetParam * params.regParam;

  // Σ_{j<d} x_j·scaledMean_j (Spark's ddot over the coefficient part).
  const dotScaledMean = (x: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < numFeatures; j++) s += x[j]! * scaledMean[j]!;
    return s;
  };

  const evaluate: DiffFunction = async (x) => {
    const beta = new Float64Array(numFeatures);
    for (let j = 0; j < numFeatures; j++) beta[j] = std[j] !== 0 ? x[j]! * inverseStd[j]! : 0.0;
    const intercept = fitIntercept ? (fitWithMean ? x[numFeatures]! - dotScaledMean(x) : x[numFeatures]!) : 0.0;

    const sums = await oracle(beta, intercept);
    if (sums.count !== summary.count) {
      throw new KindlingError(
        'E_INTERNAL',
        `gradient pass saw ${sums.count} training rows but the feature summary counted ${summary.count}`,
        { gradientCount: sums.count, summaryCount: summary.count },
      );
    }
    if (sums.gradSum.length !== numFeatures) {
      throw new KindlingError('E_INTERNAL', `gradient pass returned ${sums.gradSum.length} gradient sums for ${numFeatures} features`, {
        got: sums.gradSum.length,
        expected: numFeatures,
      });
    }

    // BinaryLogisticBlockAggregator: linear part on scaled features, centring correction
    // −multiplierSum·scaledMean, intercept part multiplierSum; then ×(1/weightSum).
    const gradient = new Float64Array(dimension);
    for (let j = 0; j < numFeatures; j++) gradient[j] = std[j] !== 0 ? sums.gradSum[j]! * inverseStd[j]! : 0.0;
    if (fitWithMean) {
      const a = -sums.interceptGradSum;
      for (let j = 0; j < numFeatures; j++) gradient[j] = gradient[j]! + a * scaledMean[j]!;
    }
    if (fitIntercept) gradient[numFeatures] = sums.interceptGradSum;
    const total = sums.weightSum ?? sums.count; // Spark divides by Σ w
    const scale = 1.0 / total;
    for (let i = 0; i < dimension; i++) gradient[i] = gradient[i]! * scale;
    const loss = sums.lossSum / total;

    // L2RegularizationLoss on the coefficient part only.
    let regLoss = 0.0;
    if (regParamL2 !== 0.0) {
      let sum = 0.0;
      for (let j = 0; j < numFeatures; j++) {
        const coef = x[j]!;
        if (params.standardization) {
          sum += coef * coef;
          gradient[j] = gradient[j]! + coef * regParamL2;
        } else if (std[j] !== 0.0) {
          const temp = coef / (std[j]! * std[j]!);
          sum += coef * temp;
          gradient[j] = gradient[j]! + regParamL2 * temp;
        }
      }
      regLoss = 0.5 * sum * regParamL2;
    }
    return { value: loss + regLoss, gradient };
  };

  let l1: Float64Array | undefined;
  if (params.elasticNetParam !== 0.0 && params.regParam !== 0.0) {
    l1 = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) {
      const isIntercept = fitIntercept && i >= numFeatures;
      if (isIntercept) l1[i] = 0.0;
      else if (params.standardization) l1[i] = regParamL1;
      else l1[i] = std[i] !== 0.0 ? regParamL1 / std[i]! : 0.0;
    }
  }

  const initialPoint = (): Float64Array => {
    const x = new Float64Array(dimension);
    if (fitIntercept) {
      const [n0, n1] = summary.labelCounts;
      x[numFeatures] = Math.log(n1 / n0);
      // The start for the centred problem: b' shifted by Σ w'_j·μ_j/σ_j (0 at w' = 0).
      if (fitWithMean) x[numFeatures] = x[numFeatures]! + dotScaledMean(x);
    }
    return x;
  };

  const toOriginalSpace = (x: Float64Array): { coefficients: Float64Array; intercept: number } => {
    const coefficients = new Float64Array(numFeatures);
    for (let j = 0; j < numFeatures; j++) coefficients[j] = std[j] !== 0.0 ? x[j]! / std[j]! : 0.0;
    let intercept = 0.0;
    if (fitIntercept) intercept = fitWithMean ? x[numFeatures]! - dotScaledMean(x) : x[numFeatures]!;
    return { coefficients, intercept };
  };

  return { dimension, evaluate, l1, initialPoint, toOriginalSpace };
}

/**
 * Trains binomial logistic regression the way Spark MLlib does (see spec §5). One label only
 * (with fitIntercept): no optimisation and no oracle call; coefficients 0, intercept ±∞,
 * objectiveHistory [0], reason 'single-label'.
 */
export async function trainLogisticRegression(
  oracle: LogisticGradientOracle,
  summary: FeatureSummary,
  params: LogisticRegressionParams,
  hooks?: { onIteration?(telemetry: OptimizerIterationTelemetry): void },
): Promise<LogisticRegressionFit> {
  validate(summary, params);
  const [n0, n1] = summary.labelCounts;
  const isConstantLabel = (n0 !== 0 ? 1 : 0) + (n1 !== 0 ? 1 : 0) === 1;
  if (params.fitIntercept && isConstantLabel) {
    const numClasses = params.numClasses ?? (n1 !== 0 ? 2 : 1);
    return {
      coefficients: new Float64Array(summary.mean.length),
      intercept: numClasses === 2 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
      objectiveHistory: [0.0],
      iterations: 0,
      evaluations: 0,
      reason: 'single-label',
    };
  }

  const objective = createScaledLogisticObjective(oracle, summary, params);
  const onIteration = hooks?.onIteration
    ? (it: IterationReport): void =>
        hooks.onIteration?.({
          iteration: it.iteration,
          loss: it.value,
          gradNorm: it.gradNorm,
          stepSize: it.stepSize,
          evaluations: it.evaluations,
        })
    : undefined;
  const common = { maxIter: params.maxIter, m: 10, tol: params.tol, ...(onIteration ? { onIteration } : {}) };
  const result: LbfgsResult =
    objective.l1 === undefined
      ? await minimizeLbfgs(objective.evaluate, objective.initialPoint(), common)
      : await minimizeOwlqn(objective.evaluate, objective.initialPoint(), { ...common, l1: objective.l1 });

  const { coefficients, intercept } = objective.toOriginalSpace(result.x);
  return {
    coefficients,
    intercept,
    objectiveHistory: result.objectiveHistory,
    iterations: result.objectiveHistory.length - 1,
    evaluations: result.evaluations,
    reason: result.reason,
  };
}
