/**
 * Driver side of multinomial (softmax) logistic regression, mirroring Spark MLlib ≥ 3.2
 * LogisticRegression.train with family multinomial: optimisation in standardised space with
 * virtual centring, L2 added on the driver, L-BFGS (or OWL-QN with an L1 term), Spark's
 * initial intercepts from the label histogram, and the back-conversion with the centring
 * Spark applies (coefficients across classes when regParam = 0, intercepts always).
 * Called by coordinator/src/pipeline/train-model.ts with an oracle that runs one distributed
 * softmax-gradient pass per call. THREADING: driver event loop; never sees rows.
 */
import { KindlingError } from '@kindling/shared/compute';
import { minimizeLbfgs, minimizeOwlqn, type DiffFunction, type LbfgsResult } from '../optimizer/index.js';
import type { IterationTelemetry } from './iteration-telemetry.js';

/** Merged (in partition order) unscaled softmax sums at original-space coefficients (K × d class-major) and intercepts (K). */
export type SoftmaxGradientOracle = (
  beta: Float64Array,
  intercepts: Float64Array,
) => Promise<{ count: number; weightSum: number; lossSum: number; gradSum: Float64Array; interceptGradSum: Float64Array }>;

/** Spark's summarizer pass over the training rows, with the weighted label histogram. */
export interface MultinomialSummary {
  readonly count: number;
  /** Σ w over the training rows (= count without weights). */
  readonly weightSum: number;
  readonly mean: Float64Array;
  /** Unbiased weighted standard deviation (denominator Σw − Σw²/Σw). */
  readonly std: Float64Array;
  /** Weighted count of each class 0..K−1. */
  readonly classCounts: readonly number[];
}

/** Spark MLlib LogisticRegression parameters (multinomial). */
export interface MultinomialParams {
  readonly maxIter: number;
  readonly regParam: number;
  readonly elasticNetParam: number;
  readonly tol: number;
  readonly fitIntercept: boolean;
  readonly standardization: boolean;
  /** Spark ≥ 3.2 centres features virtually; 2.x does not. */
  readonly centering: boolean;
}

/** A trained multinomial model plus the optimiser's trace. */
export interface MultinomialFit {
  readonly numClasses: number;
  readonly numFeatures: number;
  /** K × numFeatures, class-major (row k = class k), original space. */
  readonly coefficientMatrix: Float64Array;
  /** Length K. */
  readonly interceptVector: Float64Array;
  readonly objectiveHistory: number[];
  /** Spark's totalIterations (3.1+): objectiveHistory.length − 1. */
  readonly iterations: number;
  readonly evaluations: number;
  /** The optimiser's stopping reason, or 'single-label' when only one class occurs. */
  readonly reason: string;
}

/** Hooks a trainer calls; onIteration receives the one telemetry shape every trainer reports. */
export interface TrainerHooks {
  onIteration?(telemetry: IterationTelemetry): void;
}

function invalid(message: string, details: Record<string, unknown>): KindlingError {
  return new KindlingError('E_INVALID_VALUE', message, details);
}

function validate(summary: MultinomialSummary, params: MultinomialParams): void {
  const { maxIter, regParam, elasticNetParam, tol } = params;
  if (!Number.isInteger(maxIter) || maxIter < 0)
    throw invalid(`logistic regression maxIter must be an integer >= 0, got ${maxIter}`, { param: 'maxIter' });
  if (!(regParam >= 0) || !Number.isFinite(regParam))
    throw invalid(`logistic regression regParam must be finite and >= 0, got ${regParam}`, { param: 'regParam' });
  if (!(elasticNetParam >= 0 && elasticNetParam <= 1))
    throw invalid(`logistic regression elasticNetParam must be in [0, 1], got ${elasticNetParam}`, { param: 'elasticNetParam' });
  if (!(tol >= 0) || !Number.isFinite(tol)) throw invalid(`logistic regression tol must be finite and >= 0, got ${tol}`, { param: 'tol' });
  if (summary.classCounts.length < 2)
    throw invalid(`multinomial logistic regression needs at least 2 classes, got ${summary.classCounts.length}`, {
      classes: summary.classCounts.length,
    });
  if (!(summary.count > 0) || !(summary.weightSum > 0)) {
    throw invalid(
      `logistic regression needs training rows with a positive total weight, got ${summary.count} rows of weight ${summary.weightSum}`,
      {
        count: summary.count,
        weightSum: summary.weightSum,
      },
    );
  }
  if (summary.std.length !== summary.mean.length)
    throw invalid(`feature summary has ${summary.mean.length} means but ${summary.std.length} stds`, {});
}

/**
 * The scaled-space objective of Spark's multinomial RDDLossFunction. Coordinates follow Spark's
 * layout: coefficient (class k, feature j) at j·K + k, then the K intercepts.
 */
export function createScaledSoftmaxObjective(oracle: SoftmaxGradientOracle, summary: MultinomialSummary, params: MultinomialParams) {
  validate(summary, params);
  const K = summary.classCounts.length;
  const d = summary.mean.length;
  const std = summary.std;
  const fitIntercept = params.fitIntercept;
  const fitWithMean = fitIntercept && params.centering;
  const numCoef = d * K;
  const dimension = fitIntercept ? numCoef + K : numCoef;
  const inverseStd = new Float64Array(d);
  const scaledMean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    inverseStd[j] = std[j] !== 0 ? 1.0 / std[j]! : 0.0;
    scaledMean[j] = inverseStd[j]! * summary.mean[j]!;
  }
  const regParamL2 = (1.0 - params.elasticNetParam) * params.regParam;
  const regParamL1 = params.elasticNetParam * params.regParam;

  /** Σ_j w'_{kj}·μ_j/σ_j for each class. */
  const centringShift = (x: Float64Array): Float64Array => {
    const s = new Float64Array(K);
    for (let j = 0; j < d; j++) for (let k = 0; k < K; k++) s[k] = s[k]! + x[j * K + k]! * scaledMean[j]!;
    return s;
  };

  const toOriginalSpace = (x: Float64Array): { beta: Float64Array; intercepts: Float64Array } => {
    const beta = new Float64Array(K * d);
    for (let j = 0; j < d; j++) {
      if (std[j] === 0) continue;
      for (let k = 0; k < K; k++) beta[k * d + j] = x[j * K + k]! * inverseStd[j]!;
    }
    const intercepts = new Float64Array(K);
    if (fitIntercept) {
      const shift = fitWithMean ? centringShift(x) : new Float64Array(K);
      for (let k = 0; k < K; k++) intercepts[k] = x[numCoef + k]! - shift[k]!;
    }
    return { beta, intercepts };
  };

  const evaluate: DiffFunction = async (x) => {
    const { beta, intercepts } = toOriginalSpace(x);
    const sums = await oracle(beta, intercepts);
    if (sums.count !== summary.count || sums.gradSum.length !== K * d || sums.interceptGradSum.length !== K) {
      throw new KindlingError(
        'E_INTERNAL',
        `softmax gradient pass returned ${sums.count} rows / ${sums.gradSum.length} sums; expected ${summary.count} / ${K * d}`,
        {},
      );
    }
    const gradient = new Float64Array(dimension);
    for (let j = 0; j < d; j++) {
      if (std[j] === 0) continue;
      for (let k = 0; k < K; k++) {
        let g = sums.gradSum[k * d + j]! * inverseStd[j]!;
        if (fitWithMean) g -= sums.interceptGradSum[k]! * scaledMean[j]!;
        gradient[j * K + k] = g;
      }
    }
    if (fitIntercept) for (let k = 0; k < K; k++) gradient[numCoef + k] = sums.interceptGradSum[k]!;
    const scale = 1.0 / sums.weightSum;
    for (let i = 0; i < dimension; i++) gradient[i] = gradient[i]! * scale;
    const loss = sums.lossSum / sums.weightSum;

    let regLoss = 0.0;
    if (regParamL2 !== 0.0) {
      let sum = 0.0;
      for (let i = 0; i < numCoef; i++) {
        const coef = x[i]!;
        const j = Math.floor(i / K);
        if (params.standardization) {
          sum += coef * coef;
          gradient[i] = gradient[i]! + coef * regParamL2;
        } else if (std[j] !== 0.0) {
          const temp = coef / (std[j]! * std[j]!);
          sum += coef * temp;
          gradient[i] = gradient[i]! + regParamL2 * temp;
        }
      }
      regLoss = 0.5 * sum * regParamL2;
    }
    return { value: loss + regLoss, gradient };
  };

  let l1: Float64Array | undefined;
  if (params.elasticNetParam !== 0.0 && params.regParam !== 0.0) {
    l1 = new Float64Array(dimension);
    for (let i = 0; i < numCoef; i++) {
      const j = Math.floor(i / K);
      l1[i] = params.standardization ? regParamL1 : std[j] !== 0.0 ? regParamL1 / std[j]! : 0.0;
    }
  }

  /** Spark's start: w' = 0; intercepts log1p(class count) centred across classes. */
  const initialPoint = (): Float64Array => {
    const x = new Float64Array(dimension);
    if (fitIntercept) {
      const raw = summary.classCounts.map((c) => Math.log1p(c));
      const rawMean = raw.reduce((a, b) => a + b, 0) / K;
      for (let k = 0; k < K; k++) x[numCoef + k] = raw[k]! - rawMean;
    }
    return x;
  };

  return { dimension, numClasses: K, numFeatures: d, evaluate, l1, initialPoint, toOriginalSpace };
}

/**
 * Trains multinomial logistic regression as Spark does (see the module header). With one
 * class only (and fitIntercept): no optimisation; coefficients 0, intercept +∞ for that class.
 */
export async function trainMultinomialLogisticRegression(
  oracle: SoftmaxGradientOracle,
  summary: MultinomialSummary,
  params: MultinomialParams,
  hooks: TrainerHooks = {},
): Promise<MultinomialFit> {
  validate(summary, params);
  const K = summary.classCounts.length;
  const d = summary.mean.length;
  const present = summary.classCounts.filter((c) => c !== 0).length;
  if (params.fitIntercept && present === 1) {
    const interceptVector = new Float64Array(K);
    interceptVector[summary.classCounts.findIndex((c) => c !== 0)] = Number.POSITIVE_INFINITY;
    return {
      numClasses: K,
      numFeatures: d,
      coefficientMatrix: new Float64Array(K * d),
      interceptVector,
      objectiveHistory: [0],
      iterations: 0,
      evaluations: 0,
      reason: 'single-label',
    };
  }

  const objective = createScaledSoftmaxObjective(oracle, summary, params);
  const onIteration = hooks.onIteration
    ? (it: { iteration: number; value: number; gradNorm: number }): void =>
        hooks.onIteration?.({ iteration: it.iteration, loss: it.value, gradNorm: it.gradNorm })
    : undefined;
  const common = { maxIter: params.maxIter, m: 10, tol: params.tol, ...(onIteration ? { onIteration } : {}) };
  const result: LbfgsResult =
    objective.l1 === undefined
      ? await minimizeLbfgs(objective.evaluate, objective.initialPoint(), common)
      : await minimizeOwlqn(objective.evaluate, objective.initialPoint(), { ...common, l1: objective.l1 });

  const { beta, intercepts } = objective.toOriginalSpace(result.x);
  // Without regularisation the softmax is not identifiable: Spark picks the coefficients
  // centred across classes (glmnet's choice) and, always, centred intercepts.
  if (params.regParam === 0) {
    for (let j = 0; j < d; j++) {
      let centre = 0;
      for (let k = 0; k < K; k++) centre += beta[k * d + j]!;
      centre /= K;
      for (let k = 0; k < K; k++) beta[k * d + j] = beta[k * d + j]! - centre;
    }
  }
  if (params.fitIntercept) {
    const mean = intercepts.reduce((a, b) => a + b, 0) / K;
    for (let k = 0; k < K; k++) intercepts[k] = intercepts[k]! - mean;
  }
  return {
    numClasses: K,
    numFeatures: d,
    coefficientMatrix: beta,
    interceptVector: intercepts,
    objectiveHistory: result.objectiveHistory,
    iterations: result.objectiveHistory.length - 1,
    evaluations: result.evaluations,
    reason: result.reason,
  };
}
