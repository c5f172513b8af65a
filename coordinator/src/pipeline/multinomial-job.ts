/**
 * The multinomial tail of a job (model.family resolved to multinomial): softmax training over
 * the cached training blocks (one softmax-gradient stage per evaluation), multiclass
 * evaluation of both splits, and the artifacts — Spark's multinomial model layout,
 * predictions with the K-vector of probabilities, features, metrics.json and run.json.
 * Called by job-runner.ts after the summarize stage; it shares the runner's stages and
 * committer. THREADING: driver event loop.
 */
import { createHash } from 'node:crypto';
import {
  multiclassMetrics,
  taskOp,
  type FinishedSummary,
  type JobId,
  type JobPlan,
  type MulticlassEvaluationPartial,
  type MulticlassMetrics,
  type Schema,
  type TaskOp,
  type TaskParamsByOp,
  type TaskResultByOp,
} from '@kindling/shared/compute';
import {
  pipelineModelFromJob,
  writeMultinomialModel,
  writePipelineModel,
  type MultinomialModelData,
  type OutputCommitter,
} from '../artifacts/index.js';
import type { ExecutorMembership } from '../cluster/executor-membership.js';
import type { EventBus } from '../events/event-bus.js';
import type { JobSpec } from '../job/job-spec.js';
import { trainMultinomialLogisticRegression, type MultinomialFit } from '../ml/multinomial-trainer.js';
import type { FittedPipeline } from './fit-transforms.js';
import type { RunRecorder } from './run-recorder.js';
import { writeRowOutputs } from './row-outputs.js';
import type { StageRunner } from './stage-runner.js';

/** The parts of the runner's RunContext this module uses (declared here: job-runner imports this module). */
export interface MultinomialRunContext {
  readonly jobId: JobId;
  readonly scheduler: StageRunner;
  readonly membership: ExecutorMembership;
  readonly events: EventBus;
}

/** A multinomial job's result; the runner's JobResult accepts it as is. */
export interface MultinomialJobResult {
  readonly jobId: string;
  readonly outputPath: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly family: 'multinomial';
  readonly metrics: { readonly train: MulticlassMetrics; readonly test: MulticlassMetrics };
  readonly coefficients: Float64Array;
  readonly intercept: number;
  readonly multinomial: {
    readonly numClasses: number;
    readonly coefficientMatrix: Float64Array;
    readonly interceptVector: Float64Array;
    readonly labels: readonly string[];
  };
  readonly featureNames: readonly string[];
  readonly objectiveHistory: readonly number[];
  readonly tasksByExecutor: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** What the runner hands over after the summarize stage. */
export interface MultinomialJobInput {
  readonly spec: JobSpec;
  readonly ctx: MultinomialRunContext;
  readonly plan: JobPlan;
  readonly fitted: FittedPipeline;
  readonly summary: FinishedSummary;
  readonly committer: OutputCommitter;
  readonly recorder: RunRecorder;
  readonly started: number;
  /** Run-record facts the runner already has (schema, row counts, partitions). */
  readonly record: Record<string, unknown>;
  readonly rows: { readonly train: number; readonly test: number; readonly skipped: number; readonly malformed: number };
  /** The input the feature pipeline was fitted on; absent (features Spark wrote): no pipeline-model/ is saved. */
  /** First partition that can hold test rows (saved features: the test parts follow the train parts). */
  readonly testFrom?: number;
  readonly origin?: {
    readonly schema: Schema;
    readonly drop: readonly string[];
    readonly pipeline: unknown;
    readonly stringOrderType: string;
  };
}

function stage<O extends TaskOp>(
  ctx: MultinomialRunContext,
  plan: JobPlan,
  name: string,
  op: O,
  params: TaskParamsByOp[O],
): Promise<TaskResultByOp[O][]> {
  return ctx.scheduler.runStage({ name, op, params, partitions: plan.partitions.length }, plan);
}

/** Trains K-class softmax logistic regression over the plan's cached training blocks. */
export async function trainMultinomial(input: Pick<MultinomialJobInput, 'spec' | 'ctx' | 'plan' | 'summary'>): Promise<MultinomialFit> {
  const { spec, ctx, plan, summary } = input;
  let evaluation = 0;
  return trainMultinomialLogisticRegression(
    async (beta, intercepts) =>
      taskOp('softmax-gradient').merge(
        await stage(ctx, plan, `softmax gradient ${++evaluation}`, 'softmax-gradient', { beta, intercepts }),
        plan,
      ),
    {
      count: summary.count,
      weightSum: summary.weightSum,
      mean: summary.mean,
      std: summary.std,
      classCounts: summary.classCounts ?? [],
    },
    {
      maxIter: spec.model.maxIter,
      regParam: spec.model.regParam,
      elasticNetParam: spec.model.elasticNetParam,
      tol: spec.model.tol,
      fitIntercept: spec.model.fitIntercept,
      standardization: spec.model.standardization,
      centering: spec.compat !== 'spark-2.3',
    },
    { onIteration: (telemetry) => ctx.events.emit('iteration', telemetry) },
  );
}

/** Runs training, evaluation and the artifacts of a multinomial job; returns the job's result. */
export async function finishMultinomialJob(input: MultinomialJobInput): Promise<MultinomialJobResult> {
  const { spec, ctx, plan, fitted, committer, recorder, started, rows } = input;
  const fit = await trainMultinomial(input);

  const evaluate = (name: string, split: 'train' | 'test', predictions: boolean): Promise<MulticlassEvaluationPartial[]> =>
    stage(ctx, plan, name, 'evaluate-multiclass', { split, beta: fit.coefficientMatrix, intercepts: fit.interceptVector, predictions });
  const trainParts = await evaluate('evaluate training split', 'train', false);
  const testParts = await evaluate('evaluate test split', 'test', spec.output.predictions);
  const merge = taskOp('evaluate-multiclass').merge;
  const metrics = { train: multiclassMetrics(merge(trainParts, plan)), test: multiclassMetrics(merge(testParts, plan)) };

  const featureNames = [...fitted.layout.names];
  const uid = `LogisticRegression_${createHash('sha256')
    .update(JSON.stringify([spec.name, spec.model]))
    .digest('hex')
    .slice(0, 12)}`;
  const model: MultinomialModelData = {
    uid,
    numClasses: fit.numClasses,
    numFeatures: fit.numFeatures,
    coefficientMatrix: fit.coefficientMatrix,
    interceptVector: fit.interceptVector,
    featureNames,
    labels: fitted.labelValues,
    params: {
      maxIter: spec.model.maxIter,
      regParam: spec.model.regParam,
      elasticNetParam: spec.model.elasticNetParam,
      tol: spec.model.tol,
      fitIntercept: spec.model.fitIntercept,
      standardization: spec.model.standardization,
      family: spec.model.family,
      labelCol: 'label',
      featuresCol: 'features',
    },
    sparkVersion: spec.compat === 'spark-2.3' ? '2.3.0' : '3.5.0',
  };
  await writeMultinomialModel(committer.path('model'), model);
  // The whole fitted chain (indexers, encoders, assembler, this model), so new rows can be scored.
  const origin = input.origin;
  if (origin !== undefined) {
    await writePipelineModel(
      committer.path('pipeline-model'),
      pipelineModelFromJob({
        identity: [spec.name, origin.pipeline, spec.model],
        schema: origin.schema,
        drop: origin.drop,
        encoding: fitted.encoding,
        labelValues: fitted.labelValues,
        featureNames,
        classifier: { family: 'multinomial', model },
        sparkVersion: model.sparkVersion,
        stringOrderType: origin.stringOrderType,
      }),
    );
  }
  await writeRowOutputs(
    ctx.scheduler,
    plan,
    committer,
    spec,
    fitted,
    testParts.slice(input.testFrom ?? 0).map((t) => t.predictions),
    fit.numClasses,
  );

  const durationMs = Date.now() - started;
  const labels = Object.fromEntries(fitted.labelValues.map((v, k) => [String(k), v]));
  await committer.writeJson('metrics.json', {
    job: spec.name,
    family: 'multinomial',
    trainRows: rows.train,
    testRows: rows.test,
    skippedRows: rows.skipped,
    malformedRows: rows.malformed,
    labels,
    train: metrics.train,
    test: metrics.test,
  });
  const d = fit.numFeatures;
  const coefficientRows = Array.from({ length: fit.numClasses }, (_, k) => Array.from(fit.coefficientMatrix.subarray(k * d, (k + 1) * d)));
  await committer.writeJson(
    'run.json',
    recorder.record({
      ...input.record,
      features: { names: featureNames, categorical: fitted.categorical, numeric: fitted.numeric, labels: fitted.labelValues },
      training: {
        family: 'multinomial',
        iterations: fit.iterations,
        evaluations: fit.evaluations,
        reason: fit.reason,
        objectiveHistory: fit.objectiveHistory,
        interceptVector: Array.from(fit.interceptVector),
        coefficientMatrix: coefficientRows,
      },
      metrics,
      executors: ctx.membership.executors().map((e) => ({ id: e.id, slots: e.slots })),
      durationMs,
    }),
  );
  return {
    jobId: ctx.jobId,
    outputPath: spec.output.path,
    trainRows: rows.train,
    testRows: rows.test,
    family: 'multinomial',
    metrics,
    coefficients: fit.coefficientMatrix,
    intercept: Number.NaN,
    multinomial: {
      numClasses: fit.numClasses,
      coefficientMatrix: fit.coefficientMatrix,
      interceptVector: fit.interceptVector,
      labels: fitted.labelValues,
    },
    featureNames,
    objectiveHistory: fit.objectiveHistory,
    tasksByExecutor: recorder.taskCounts(),
    durationMs,
  };
}
