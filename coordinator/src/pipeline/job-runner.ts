/**
 * The driver's job runner (SparkContext + the MLlib Pipeline.fit of the bank job): turns a
 * JobSpec into stages, runs them through the TaskScheduler, merges per-partition partials in
 * partition order, fits the transforms, trains with L-BFGS, evaluates and writes artifacts.
 *
 * Stages: infer schema → load (cache rows, column stats) → encode (train/test blocks) →
 * summarize → gradient × L-BFGS evaluations → evaluate train/test. Each stage is one task
 * per partition; executors keep the blocks, the driver keeps only small partials.
 * Outputs are staged and committed atomically: a failed job leaves no complete-looking folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import {
  asJobId,
  countNewlines,
  DataError,
  finishSummary,
  KindlingError,
  mergeGradients,
  mergeInferPartials,
  mergeLoadPartials,
  mergeSummaries,
  planCsvSplits,
  withAbsoluteLine,
  type BinaryMetrics,
  type ExecutorClient,
  type InferPartial,
  type JobId,
  type PartitionLineage,
  type Schema,
} from '@kindling/shared/compute';
import { OutputCommitter, PredictionsWriter, writeFeaturesPart, writeLogisticRegressionModel } from '../artifacts/index.js';
import type { EventBus } from '../events/event-bus.js';
import { FileRangeReader } from '../io/file-range-reader.js';
import type { JobSpec } from '../job/job-spec.js';
import { silentLogger, type Logger } from '../logger.js';
import { trainLogisticRegression } from '../ml/logistic-regression-trainer.js';
import { StaticMembership, type ExecutorMembership } from '../cluster/executor-membership.js';
import { TaskScheduler } from '../scheduler/task-scheduler.js';
import { evaluateModel } from './evaluate-model.js';
import { fitTransforms } from './fit-transforms.js';
import { sparkCompatSplit } from './spark-compat-split.js';
import { RunRecorder } from './run-recorder.js';

/** Collaborators of a job run. */
export interface RunContext {
  /** The executors to run on: a fixed list (one LocalExecutor in local mode) or a live membership. */
  readonly executors: readonly ExecutorClient[] | ExecutorMembership;
  readonly events: EventBus;
  readonly logger?: Logger;
  /** Attempts per task; 1 in local mode (Spark's default there), 4 on a cluster. */
  readonly maxTaskFailures?: number;
  /** How long to wait for an executor when none is registered; default 0 (fail at once). */
  readonly executorWaitMs?: number;
  /** Task attempts in flight per executor slot (2 over NATS hides a round trip); default 1. */
  readonly tasksPerSlot?: number;
}

/** What a finished job reports (also written to metrics.json and run.json). */
export interface JobResult {
  readonly jobId: string;
  readonly outputPath: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly metrics: { readonly train: BinaryMetrics; readonly test: BinaryMetrics };
  /** With compat set: Spark's own figures (training summary and evaluator AUCs, binned as Spark bins them). */
  readonly spark?: Record<string, unknown>;
  readonly coefficients: Float64Array;
  readonly intercept: number;
  readonly featureNames: readonly string[];
  readonly objectiveHistory: readonly number[];
  /** Task attempts completed per executor (which executors did the work). */
  readonly tasksByExecutor: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** Runs a job end to end. Rejects with a KindlingError; on failure nothing is left at the output path. */
export async function runJob(spec: JobSpec, ctx: RunContext): Promise<JobResult> {
  const log = ctx.logger ?? silentLogger;
  const jobId = asJobId(`${spec.name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
  const started = Date.now();
  const membership = 'onChange' in ctx.executors ? ctx.executors : new StaticMembership(ctx.executors);
  if (membership.executors().length === 0 && !ctx.executorWaitMs) {
    throw new KindlingError('E_NO_EXECUTORS', 'no executors to run the job on');
  }

  // Fail on an unusable output folder before doing any work.
  const committer = await OutputCommitter.begin(spec.output.path, spec.output.mode);
  const recorder = new RunRecorder(spec, jobId, ctx.events);
  const scheduler = new TaskScheduler(membership, jobId, ctx.events, log, {
    maxTaskFailures: ctx.maxTaskFailures ?? 1,
    executorWaitMs: ctx.executorWaitMs ?? 0,
    tasksPerSlot: ctx.tasksPerSlot ?? 1,
  });
  try {
    const result = await executeStages(spec, ctx, scheduler, membership, jobId, committer, recorder, log, started);
    await committer.commit();
    ctx.events.emit('job-completed', { jobId, durationMs: Date.now() - started });
    return result;
  } catch (err) {
    await committer.abort().catch(() => undefined);
    const e = err instanceof KindlingError ? err : new KindlingError('E_INTERNAL', (err as Error)?.message ?? String(err), {}, { cause: err });
    ctx.events.emit('job-failed', { jobId, code: e.code, message: e.message });
    throw e;
  } finally {
    scheduler.close();
    recorder.close();
    await Promise.all(membership.executors().map((x) => x.dropJob(jobId).catch(() => undefined)));
  }
}

async function executeStages(
  spec: JobSpec,
  ctx: RunContext,
  scheduler: TaskScheduler,
  membership: ExecutorMembership,
  jobId: JobId,
  committer: OutputCommitter,
  recorder: RunRecorder,
  log: Logger,
  started: number,
): Promise<JobResult> {
  const file = spec.input.path;
  const fileName = basename(file);

  // 1–2. Plan partitions from the file alone (never from the executor count), then the
  // schema-inference pass (Spark's inferSchema is a separate pass too). A cut the planner
  // guessed wrong shows up as a split-plan error in this pass: re-plan with an exact scan.
  let planned = await planInput(spec, false);
  let inferred: InferPartial[];
  try {
    inferred = await inferStage(scheduler, spec, planned.lineages, fileName);
  } catch (err) {
    if ((err as KindlingError).details?.['splitPlanError'] !== true) throw err;
    log.warn({ file }, 'a partition cut fell inside a quoted field; re-planning with an exact scan');
    planned = await planInput(spec, true);
    inferred = await inferStage(scheduler, spec, planned.lineages, fileName);
  }
  const { lineages: base, columnNames, dataFirstLine } = planned;
  ctx.events.emit('job-started', { jobId, name: spec.name, partitions: base.length, executors: membership.executors().length });
  log.info({ jobId, partitions: base.length, executors: membership.executors().length, file }, `job ${spec.name} started`);
  const sources = base.map((l) => l.source);
  const schema: Schema = spec.input.csv.inferSchema
    ? mergeInferPartials(inferred, columnNames)
    : columnNames.map((name) => ({ name, type: 'string' as const }));

  let rowId = 0;
  let line = dataFirstLine;
  const loaded: PartitionLineage[] = base.map((l, i) => {
    const out = { ...l, schema, firstRowId: rowId, firstLine: line };
    rowId += inferred[i]!.rowCount;
    line += inferred[i]!.lineCount;
    return out;
  });

  // 3. Load: parse into cached columnar blocks, gather column statistics.
  const loadParts = await scheduler.runStage({ name: `load ${fileName}`, tasks: loaded.map((lineage) => ({ op: 'csv-load' as const, lineage })) });
  const stats = mergeLoadPartials(loadParts);
  if (stats.rowCount === 0) {
    throw new DataError('E_CSV_EMPTY', `${file}: no data rows${stats.malformedCount > 0 ? ` (${stats.malformedCount} malformed row(s) dropped)` : ''}`, { file });
  }
  if (stats.malformedCount > 0) log.warn({ malformed: stats.malformedCount, mode: spec.input.csv.mode }, `${stats.malformedCount} malformed row(s) in ${fileName}`);

  // 4. Fit StringIndexer / OneHotEncoder / VectorAssembler on the whole table (as the tutorial's Pipeline.fit does).
  const fitted = fitTransforms(schema, stats.columns, spec.pipeline, spec.split, fileName);
  let encoded: PartitionLineage[] = loaded.map((l) => ({ ...l, encoding: fitted.encoding }));

  // 4b. compat: Spark's randomSplit (sort on every column, XORShiftRandom) instead of the hash split.
  if (spec.compat !== 'kindling') {
    const dropped = new Set(spec.pipeline.drop);
    const keyColumns = schema.map((f, i) => (dropped.has(f.name) ? -1 : i)).filter((i) => i >= 0);
    const keys = await scheduler.runStage({
      name: 'spark randomSplit keys',
      tasks: encoded.map((lineage) => ({ op: 'spark-split-keys' as const, lineage, keyColumns })),
    });
    const assignments = sparkCompatSplit(
      keys,
      loadParts.map((p) => p.rowCount),
      loaded.map((l) => l.firstRowId),
      spec.split.weights,
      spec.split.seed,
      spec.compat,
    );
    encoded = encoded.map((l, i) => ({ ...l, splitAssignment: assignments[i]! }));
  }

  // 5. Encode + split into cached train/test design blocks.
  const encodeParts = await scheduler.runStage({ name: 'encode features', tasks: encoded.map((lineage) => ({ op: 'encode' as const, lineage })) });
  const trainRows = encodeParts.reduce((a, p) => a + p.trainRows, 0);
  const testRows = encodeParts.reduce((a, p) => a + p.testRows, 0);
  const skippedRows = encodeParts.reduce((a, p) => a + p.skippedRows, 0);
  if (trainRows === 0) throw new DataError('E_INVALID_VALUE', `the training split is empty (${testRows} test rows); check split.weights`);

  // 6. Summarizer pass for standardization.
  const summaryParts = await scheduler.runStage({ name: 'summarize training rows', tasks: encoded.map((lineage) => ({ op: 'summarize' as const, lineage })) });
  const summary = finishSummary(summaryParts.reduce((a, b) => mergeSummaries(a, b)));

  // 7. L-BFGS on the driver; each evaluation is one gradient stage over the cached blocks.
  let evaluation = 0;
  const fit = await trainLogisticRegression(
    async (beta, intercept) => {
      const parts = await scheduler.runStage({
        name: `gradient ${++evaluation}`,
        tasks: encoded.map((lineage) => ({ op: 'gradient' as const, lineage, beta, intercept })),
      });
      return mergeGradients(parts);
    },
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
    { onIteration: (iteration, loss) => ctx.events.emit('iteration', { iteration, loss }) },
  );

  // 8. Evaluate on both splits; the test pass also returns predictions when asked.
  const { metrics, testParts: testEval, spark } = await evaluateModel(scheduler, encoded, fit, spec);

  // 9. Artifacts, into the staging folder.
  const featureNames = [...fitted.layout.names];
  const uid = `LogisticRegression_${createHash('sha256').update(JSON.stringify([spec.name, spec.model])).digest('hex').slice(0, 12)}`;
  await writeLogisticRegressionModel(committer.path('model'), {
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
  });
  if (spec.output.predictions) {
    const writer = await PredictionsWriter.open(committer.path('predictions'));
    for (let p = 0; p < testEval.length; p++) {
      const rows = testEval[p]!.predictions;
      if (rows) await writer.writePart(p, rows);
    }
    await writer.close();
  }
  if (spec.output.features) {
    // The assembled vectors of every row, per split: the cached design blocks come back one
    // stage per split and are written as Spark-style sparse vectors, one part per partition.
    for (const split of ['train', 'test'] as const) {
      const blocks = await scheduler.runStage({ name: `collect ${split} features`, tasks: encoded.map((lineage) => ({ op: 'features' as const, lineage, split })) });
      const dir = committer.path(`features/${split}`);
      for (let p = 0; p < blocks.length; p++) await writeFeaturesPart(dir, p, blocks[p]!, fitted.layout.numericIndex, fitted.layout.numFeatures);
    }
  }
  const durationMs = Date.now() - started;
  const metricsDoc = {
    job: spec.name,
    trainRows,
    testRows,
    skippedRows,
    malformedRows: stats.malformedCount,
    labels: { '0': fitted.labelValues[0], '1': fitted.labelValues[1] },
    train: stripCurves(metrics.train),
    test: stripCurves(metrics.test),
    ...(spark ? { spark } : {}),
  };
  await committer.writeJson('metrics.json', metricsDoc);
  await committer.writeJson(
    'run.json',
    recorder.record({
      schema,
      partitions: sources.map((s) => ({ index: s.index, start: s.start, end: s.end })),
      rowCounts: { total: stats.rowCount, train: trainRows, test: testRows, skipped: skippedRows, malformed: stats.malformedCount },
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

/** Partition lineages of the input, planned from the file alone. */
async function planInput(spec: JobSpec, exactSplits: boolean): Promise<{ lineages: PartitionLineage[]; columnNames: string[]; dataFirstLine: number }> {
  const file = spec.input.path;
  const reader = await openInput(file);
  try {
    const plan = await planCsvSplits({
      file,
      fileSize: reader.size,
      read: reader.read,
      csv: spec.input.csv,
      ...(spec.input.partitions !== undefined ? { partitions: spec.input.partitions } : {}),
      maxPartitionBytes: spec.input.maxPartitionBytes,
      exactSplits,
    });
    const lineages = plan.sources.map((source) => ({ source: { ...source, fileSize: reader.size }, csv: spec.input.csv, firstRowId: 0 }));
    return { lineages, columnNames: plan.columnNames, dataFirstLine: plan.dataFirstLine };
  } finally {
    await reader.close();
  }
}

/** The inference stage; its parse errors carry partition-relative lines, made absolute here. */
async function inferStage(scheduler: TaskScheduler, spec: JobSpec, lineages: readonly PartitionLineage[], fileName: string): Promise<InferPartial[]> {
  return withLineNumbers(spec.input.path, () =>
    scheduler.runStage({ name: `infer schema of ${fileName}`, tasks: lineages.map((lineage) => ({ op: 'csv-infer' as const, lineage })) }),
  );
}

async function openInput(file: string): Promise<FileRangeReader> {
  try {
    return await FileRangeReader.open(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KindlingError('E_IO', `input ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { file }, { cause: err });
  }
}

/** Parse errors from the inference pass carry partition-relative lines; make them absolute. */
async function withLineNumbers<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as KindlingError;
    const start = e?.details?.['partitionStart'];
    if (e?.code !== 'E_CSV_MALFORMED' || e.details['lineRelative'] !== true || typeof start !== 'number') throw err;
    const reader = await FileRangeReader.open(file);
    try {
      throw withAbsoluteLine(e, (await countNewlines(reader.read, start)) + 1);
    } finally {
      await reader.close();
    }
  }
}

function stripCurves(m: BinaryMetrics): Omit<BinaryMetrics, 'roc' | 'pr'> {
  const { roc: _roc, pr: _pr, ...rest } = m;
  return rest;
}
