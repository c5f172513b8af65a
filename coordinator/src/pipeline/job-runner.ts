/**
 * The job runner: the list of stages of the bank job (the MLlib Pipeline.fit of the
 * tutorial) over a TaskScheduler it is given. It keeps the job's plan (input partitions,
 * schema, fitted transforms), runs each stage over every partition, merges the partials with
 * each op's merge in partition order, fits the transforms, trains with L-BFGS, evaluates and
 * writes artifacts. It builds none of its collaborators: DriverContext (driver-context.ts)
 * wires the scheduler, the executors and the event bus, in local mode and on a cluster alike.
 *
 * Stages: scan (infer the schema and cache provisional rows in one pass over the input) →
 * load (conform the rows to the schema, column stats) → encode (train/test blocks) →
 * summarize → gradient × L-BFGS evaluations → evaluate train/test. The plan grows at stage
 * boundaries (a new version each time) and is registered with each executor once per
 * version; a task then names only its partition. Outputs are staged and committed
 * atomically: a failed job leaves no complete-looking folder.
 */
import { createHash } from 'node:crypto';
import {
  DataError,
  JobSpecError,
  KindlingError,
  taskOp,
  type BinaryMetrics,
  type EvaluatePartial,
  type JobPlan,
  type MulticlassMetrics,
  type Schema,
} from '@kindling/shared/compute';
import {
  featurePipelineFromJob,
  OutputCommitter,
  pipelineModelFromJob,
  writeLogisticRegressionModel,
  writePipelineModel,
  type LogisticRegressionModelData,
} from '../artifacts/index.js';
import { writeKfpOutputs } from '../artifacts/kfp-outputs.js';
import type { JobSpec } from '../job/job-spec.js';
import { IterationClock } from '../metrics/iteration-clock.js';
import { trainLogisticRegression } from '../ml/logistic-regression-trainer.js';
import { evaluateModel } from './evaluate-model.js';
import { loadFeaturesInput } from './features-input.js';
import { fitTransforms, type FittedPipeline } from './fit-transforms.js';
import { finishMultinomialJob } from './multinomial-job.js';
import { sparkCompatSplit } from './spark-compat-split.js';
import { RunRecorder } from './run-recorder.js';
import { writeRowOutputs } from './row-outputs.js';
import { writeTestSplit } from './test-split-writer.js';
import { inferInput, loadPlan, loadStage, planInput, stage } from './input-stages.js';
import type { RunContext } from './stage-runner.js';

export type { RunContext, StageRequest, StageRunner } from './stage-runner.js';

/** What a finished job reports (also written to metrics.json and run.json). */
export interface JobResult {
  readonly jobId: string;
  readonly outputPath: string;
  readonly trainRows: number;
  readonly testRows: number;
  /** The family model.family resolved to; absent means binomial. */
  readonly family?: 'binomial' | 'multinomial';
  readonly metrics:
    | { readonly train: BinaryMetrics; readonly test: BinaryMetrics }
    | { readonly train: MulticlassMetrics; readonly test: MulticlassMetrics };
  /** Multinomial jobs: K, the K × d coefficient matrix (class-major, also in `coefficients`), the K intercepts and the class labels. */
  readonly multinomial?: {
    readonly numClasses: number;
    readonly coefficientMatrix: Float64Array;
    readonly interceptVector: Float64Array;
    readonly labels: readonly string[];
  };
  /** With compat set: Spark's own figures (training summary and evaluator AUCs, binned as Spark bins them). */
  readonly spark?: Record<string, unknown>;
  /** Binomial: one coefficient per feature. Multinomial: the K × d matrix, class-major. */
  readonly coefficients: Float64Array;
  /** Binomial intercept; NaN for multinomial jobs (see multinomial.interceptVector). */
  readonly intercept: number;
  readonly featureNames: readonly string[];
  readonly objectiveHistory: readonly number[];
  /** Task attempts completed per executor (which executors did the work). */
  readonly tasksByExecutor: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** What a fit without training (model.type none) reports. */
export interface FitResult {
  readonly jobId: string;
  readonly outputPath: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly featureNames: readonly string[];
  readonly tasksByExecutor: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** Runs a job end to end. Rejects with a KindlingError; on failure nothing is left at the output path. */
export async function runJob(spec: JobSpec, ctx: RunContext): Promise<JobResult> {
  if (spec.model.type === 'none') {
    throw new JobSpecError('model.type: none fits the feature pipeline without training; run it with fitFeatures()', 'model.type');
  }
  return runCommitted(spec, ctx, (committer, recorder, started) => executeStages(spec, ctx, committer, recorder, started));
}

/**
 * Fits the feature pipeline without training (model.type none): writes the fitted stages
 * (pipeline-model/ without a classifier), the assembled features of both splits (features/,
 * which a later job reads with input.format features) and, with output.testSplit, the test rows.
 */
export async function fitFeatures(spec: JobSpec, ctx: RunContext): Promise<FitResult> {
  if (spec.model.type !== 'none') throw new JobSpecError('fitFeatures() runs jobs with model.type: none', 'model.type');
  if (spec.input.format === 'features') throw new JobSpecError('input.format: a features input is already fitted', 'input.format');
  return runCommitted(spec, ctx, async (committer, recorder, started) =>
    finishFitOnly(spec, ctx, await prepareFromInput(ctx, spec), committer, recorder, started),
  );
}

/** Runs `work` into a staged output folder, committed only when it succeeds. */
async function runCommitted<T>(
  spec: JobSpec,
  ctx: RunContext,
  work: (committer: OutputCommitter, recorder: RunRecorder, started: number) => Promise<T>,
): Promise<T> {
  const { jobId, events } = ctx;
  const started = Date.now();
  // Fail on an unusable output folder before doing any work.
  const committer = await OutputCommitter.begin(spec.output.path, spec.output.mode);
  const recorder = new RunRecorder(spec, jobId, events);
  try {
    const result = await work(committer, recorder, started);
    await committer.commit();
    events.emit('job-completed', { jobId, durationMs: Date.now() - started });
    return result;
  } catch (err) {
    await committer.abort().catch(() => undefined);
    const e =
      err instanceof KindlingError ? err : new KindlingError('E_INTERNAL', (err as Error)?.message ?? String(err), {}, { cause: err });
    events.emit('job-failed', { jobId, code: e.code, message: e.message });
    throw e;
  } finally {
    recorder.close();
  }
}

/** What the first stages leave for training: a plan whose train/test design blocks are cached, and the fitted transforms. */
interface PreparedJob {
  readonly plan: JobPlan;
  readonly fitted: FittedPipeline;
  /** The input the feature pipeline was fitted on, to save it as a PipelineModel; absent when unknown (Spark-written features). */
  readonly origin?: PipelineOrigin;
  readonly rows: {
    readonly total: number;
    readonly train: number;
    readonly test: number;
    readonly skipped: number;
    readonly malformed: number;
  };
  /** First partition that can hold test rows (saved features: the test parts follow the train parts). */
  readonly testFrom: number;
}

/** Where a fitted feature pipeline came from (this job's input, or the record in saved features). */
interface PipelineOrigin {
  readonly schema: Schema;
  readonly drop: readonly string[];
  /** The pipeline section it was fitted with (hashed into the stage uids). */
  readonly pipeline: unknown;
  readonly stringOrderType: string;
}

async function executeStages(
  spec: JobSpec,
  ctx: RunContext,
  committer: OutputCommitter,
  recorder: RunRecorder,
  started: number,
): Promise<JobResult> {
  const { jobId, membership } = ctx;
  const prepared = spec.input.format === 'features' ? await prepareFromFeatures(ctx, spec) : await prepareFromInput(ctx, spec);
  const { plan, fitted, origin } = prepared;
  const { train: trainRows, test: testRows, skipped: skippedRows } = prepared.rows;
  const schema = origin?.schema ?? [];

  // 6. Summarizer pass for standardization.
  const summary = taskOp('summarize').merge(await stage(ctx, plan, 'summarize training rows', 'summarize', {}), plan);

  if (fitted.family === 'multinomial') {
    const record = {
      schema,
      partitions: plan.partitions.map((p, index) => ({ index, start: p.start, end: p.end })),
      rowCounts: prepared.rows,
    };
    const rows = prepared.rows;
    const result = await finishMultinomialJob({
      spec,
      ctx,
      plan,
      fitted,
      summary,
      committer,
      recorder,
      started,
      record,
      rows,
      origin,
      testFrom: prepared.testFrom,
    });
    if (spec.output.testSplit) await writeTestSplit(ctx.scheduler, plan, committer);
    return result;
  }

  // 7. L-BFGS on the driver; each evaluation is one gradient stage over the cached blocks,
  // one message per executor carrying only the coefficients.
  let evaluation = 0;
  const clock = new IterationClock(ctx.events);
  const fit = await trainLogisticRegression(
    async (beta, intercept) =>
      taskOp('gradient').merge(
        await clock.measure(`gradient ${++evaluation}`, (name) => stage(ctx, plan, name, 'gradient', { beta, intercept })),
        plan,
      ),
    summary,
    {
      maxIter: spec.model.maxIter,
      regParam: spec.model.regParam,
      elasticNetParam: spec.model.elasticNetParam,
      tol: spec.model.tol,
      fitIntercept: spec.model.fitIntercept,
      standardization: spec.model.standardization,
      centering: spec.compat !== 'spark-2.3',
    },
    { onIteration: (it) => ctx.events.emit('iteration', clock.telemetry(it)) },
  );

  // 8. Evaluate on both splits; the test pass also returns predictions when asked.
  // 9. Artifacts, into the staging folder: written while the metrics thread still merges the
  // training split's scores (none of them needs the metrics).
  const featureNames = [...fitted.layout.names];
  const writeArtifacts = async (testEval: readonly EvaluatePartial[]): Promise<void> => {
    const uid = `LogisticRegression_${createHash('sha256')
      .update(JSON.stringify([spec.name, spec.model]))
      .digest('hex')
      .slice(0, 12)}`;
    const model: LogisticRegressionModelData = {
      uid,
      numFeatures: fitted.layout.numFeatures,
      coefficients: fit.coefficients,
      intercept: fit.intercept,
      featureNames,
      // Spark param names only: its loader rejects unknown params.
      params: {
        maxIter: spec.model.maxIter,
        regParam: spec.model.regParam,
        elasticNetParam: spec.model.elasticNetParam,
        tol: spec.model.tol,
        fitIntercept: spec.model.fitIntercept,
        standardization: spec.model.standardization,
        threshold: spec.model.threshold,
        labelCol: 'label',
        featuresCol: 'features',
      },
      sparkVersion: spec.compat === 'spark-2.3' ? '2.3.0' : '3.5.0',
    };
    await writeLogisticRegressionModel(committer.path('model'), model);
    // The whole fitted chain (indexers, encoders, assembler, this model), so new rows can be scored.
    // A job trained from saved features saves the chain the features' footers record.
    if (origin !== undefined) {
      await writePipelineModel(
        committer.path('pipeline-model'),
        pipelineModelFromJob({
          identity: [spec.name, origin.pipeline, spec.model],
          schema,
          drop: origin.drop,
          encoding: fitted.encoding,
          labelValues: fitted.labelValues,
          featureNames,
          classifier: { family: 'binomial', model },
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
      testEval.slice(prepared.testFrom).map((t) => t.predictions),
    );
    if (spec.output.testSplit) await writeTestSplit(ctx.scheduler, plan, committer);
  };
  const { metrics, spark } = await evaluateModel(ctx.scheduler, plan, fit, spec, writeArtifacts);
  const durationMs = Date.now() - started;
  const metricsDoc = {
    job: spec.name,
    trainRows,
    testRows,
    skippedRows,
    malformedRows: prepared.rows.malformed,
    labels: { '0': fitted.labelValues[0], '1': fitted.labelValues[1] },
    train: stripCurves(metrics.train),
    test: stripCurves(metrics.test),
    ...(spark ? { spark } : {}),
  };
  await committer.writeJson('metrics.json', metricsDoc);
  await writeKfpOutputs(committer, {
    train: metrics.train,
    test: metrics.test,
    labels: [String(fitted.labelValues[0]), String(fitted.labelValues[1])],
  });
  await committer.writeJson(
    'run.json',
    recorder.record({
      schema,
      partitions: plan.partitions.map((p, index) => ({ index, start: p.start, end: p.end })),
      rowCounts: prepared.rows,
      features: { names: featureNames, categorical: fitted.categorical, numeric: fitted.numeric, labels: fitted.labelValues },
      training: {
        iterations: fit.iterations,
        evaluations: fit.evaluations,
        reason: fit.reason,
        objectiveHistory: fit.objectiveHistory,
        intercept: fit.intercept,
        coefficients: Array.from(fit.coefficients),
      },
      metrics: { train: metrics.train, test: metrics.test },
      executors: membership.executors().map((e) => ({ id: e.id, slots: e.slots })),
      durationMs,
    }),
  );

  return {
    jobId,
    outputPath: spec.output.path,
    trainRows,
    testRows,
    metrics,
    ...(spark ? { spark } : {}),
    coefficients: fit.coefficients,
    intercept: fit.intercept,
    featureNames,
    objectiveHistory: fit.objectiveHistory,
    tasksByExecutor: recorder.taskCounts(),
    durationMs,
  };
}

/** Steps 1–5 of a job over raw input: plan, scan, load, fit the transforms, (compat split,) encode. */
async function prepareFromInput(ctx: RunContext, spec: JobSpec): Promise<PreparedJob> {
  const { jobId, membership, logger: log } = ctx;
  // 1–2. Plan partitions from the files alone (never from the executor count), then the
  // scan: the one pass over the input, inferring the schema while it caches the rows
  // (Spark's inferSchema reads the data a second time); input-stages.ts.
  const input = await inferInput(ctx, spec, await planInput(spec));
  const { label: fileName, file, schema } = input;
  const base = input.planned.plan;
  ctx.events.emit('job-started', { jobId, name: spec.name, partitions: base.partitions.length, executors: membership.executors().length });
  log.info(
    { jobId, partitions: base.partitions.length, executors: membership.executors().length, file, files: base.files.length },
    `job ${spec.name} started`,
  );
  const loadedPlan = loadPlan(input, schema);

  // 3. Load: the cached blocks take the table's schema and row ids; column statistics.
  const loadParts = await loadStage(ctx, loadedPlan, fileName);
  const stats = taskOp('csv-load').merge(loadParts, loadedPlan);
  if (stats.rowCount === 0) {
    throw new DataError(
      'E_CSV_EMPTY',
      `${file}: no data rows${stats.malformedCount > 0 ? ` (${stats.malformedCount} malformed row(s) dropped)` : ''}`,
      { file },
    );
  }
  if (stats.malformedCount > 0)
    log.warn({ malformed: stats.malformedCount, mode: spec.input.csv.mode }, `${stats.malformedCount} malformed row(s) in ${fileName}`);

  // 4. Fit StringIndexer / OneHotEncoder / VectorAssembler on the whole table (as the tutorial's Pipeline.fit does).
  const fitted = fitTransforms(schema, stats.columns, spec.pipeline, spec.split, fileName, spec.model.family);
  let plan: JobPlan = { ...loadedPlan, version: loadedPlan.version + 1, encoding: fitted.encoding };

  // 4b. compat: Spark's randomSplit (sort on every column, XORShiftRandom) instead of the hash split.
  if (spec.compat !== 'kindling') {
    const dropped = new Set(spec.pipeline.drop);
    const keyColumns = schema.map((f, i) => (dropped.has(f.name) ? -1 : i)).filter((i) => i >= 0);
    const keys = await stage(ctx, plan, 'spark randomSplit keys', 'spark-split-keys', { keyColumns });
    const assignments = sparkCompatSplit(
      keys,
      loadParts.map((p) => p.rowCount),
      plan.partitions.map((p) => p.firstRowId),
      spec.split.weights,
      spec.split.seed,
      spec.compat,
    );
    plan = { ...plan, version: plan.version + 1, partitions: plan.partitions.map((p, i) => ({ ...p, splitAssignment: assignments[i]! })) };
  }

  // 5. Encode + split into cached train/test design blocks.
  const encoded = taskOp('encode').merge(await stage(ctx, plan, 'encode features', 'encode', {}), plan);
  const { trainRows, testRows, skippedRows } = encoded;
  if (trainRows === 0) throw new DataError('E_INVALID_VALUE', `the training split is empty (${testRows} test rows); check split.weights`);
  return {
    plan,
    fitted,
    origin: { schema, drop: spec.pipeline.drop, pipeline: spec.pipeline, stringOrderType: spec.pipeline.stringIndexer.orderType },
    rows: { total: stats.rowCount, train: trainRows, test: testRows, skipped: skippedRows, malformed: stats.malformedCount },
    testFrom: 0,
  };
}

/** Steps 1–5 of a job over saved features: the parts are loaded straight into design blocks (features-input.ts). */
async function prepareFromFeatures(ctx: RunContext, spec: JobSpec): Promise<PreparedJob> {
  const loaded = await loadFeaturesInput(ctx, spec);
  ctx.logger.info({ jobId: ctx.jobId, partitions: loaded.plan.partitions.length, input: loaded.label }, `job ${spec.name} started`);
  const m = loaded.manifest;
  return {
    plan: loaded.plan,
    fitted: loaded.fitted,
    ...(m !== undefined && m.inputSchema.length > 0
      ? { origin: { schema: m.inputSchema, drop: m.drop, pipeline: m.pipeline, stringOrderType: m.stringOrderType } }
      : {}),
    rows: { total: loaded.trainRows + loaded.testRows, train: loaded.trainRows, test: loaded.testRows, skipped: 0, malformed: 0 },
    testFrom: loaded.trainPartitions,
  };
}

/**
 * model.type none: the feature pipeline's fitted stages (a PipelineModel without a classifier),
 * the assembled features of both splits, optionally the test split's raw rows, row counts.
 */
async function finishFitOnly(
  spec: JobSpec,
  ctx: RunContext,
  prepared: PreparedJob,
  committer: OutputCommitter,
  recorder: RunRecorder,
  started: number,
): Promise<FitResult> {
  const { plan, fitted, origin, rows } = prepared;
  const featureNames = [...fitted.layout.names];
  const sparkVersion = spec.compat === 'spark-2.3' ? '2.3.0' : '3.5.0';
  if (origin !== undefined) {
    await writePipelineModel(
      committer.path('pipeline-model'),
      featurePipelineFromJob({
        identity: [spec.name, origin.pipeline, spec.model],
        schema: origin.schema,
        drop: origin.drop,
        encoding: fitted.encoding,
        labelValues: fitted.labelValues,
        featureNames,
        sparkVersion,
        stringOrderType: origin.stringOrderType,
      }),
    );
  }
  await writeRowOutputs(ctx.scheduler, plan, committer, { ...spec, output: { ...spec.output, predictions: false } }, fitted, []);
  if (spec.output.testSplit) await writeTestSplit(ctx.scheduler, plan, committer);
  const counts = { trainRows: rows.train, testRows: rows.test, skippedRows: rows.skipped, malformedRows: rows.malformed };
  await committer.writeJson('metrics.json', {
    job: spec.name,
    ...counts,
    labels: Object.fromEntries(fitted.labelValues.map((v, k) => [String(k), v])),
  });
  const durationMs = Date.now() - started;
  await committer.writeJson(
    'run.json',
    recorder.record({
      schema: origin?.schema ?? [],
      partitions: plan.partitions.map((p, index) => ({ index, start: p.start, end: p.end })),
      rowCounts: { total: rows.total, train: rows.train, test: rows.test, skipped: rows.skipped, malformed: rows.malformed },
      features: { names: featureNames, categorical: fitted.categorical, numeric: fitted.numeric, labels: fitted.labelValues },
      executors: ctx.membership.executors().map((e) => ({ id: e.id, slots: e.slots })),
      durationMs,
    }),
  );
  return {
    jobId: ctx.jobId,
    outputPath: spec.output.path,
    trainRows: rows.train,
    testRows: rows.test,
    featureNames,
    tasksByExecutor: recorder.taskCounts(),
    durationMs,
  };
}

function stripCurves(m: BinaryMetrics): Omit<BinaryMetrics, 'roc' | 'pr'> {
  const { roc: _roc, pr: _pr, ...rest } = m;
  return rest;
}
