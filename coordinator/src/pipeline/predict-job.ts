/**
 * `kindling predict` and `kindling evaluate` on the driver: a saved PipelineModel applied to new
 * data on the same executors, plans and stages as training. The input is planned, its schema
 * inferred and its rows loaded by the training job's own functions (job-runner.ts), so what
 * training accepts, scoring accepts. The model's columns are then found in the new input BY NAME
 * (its fitted EncodingPlan re-pointed at the new column indices, typed as the model was fitted);
 * a missing one fails before any task runs.
 *
 * predict: one `score` stage (rawPrediction, probability, prediction per row, the same
 * arithmetic as the job's evaluation), written part by part in partition order through the
 * OutputCommitter (nothing half-written on failure). evaluate: the training job's `encode`
 * (every row in the test block) and `evaluate` / `evaluate-multiclass` stages and its metric
 * code, so metrics are the ones a job would report over the same rows.
 */
import { promises as fs } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  binaryClassificationMetrics,
  DataError,
  isNumericType,
  KindlingError,
  multiclassMetrics,
  OutputError,
  taskOp,
  type BinaryMetrics,
  type ColumnType,
  type EncodingPlan,
  type FeatureInput,
  type InferPartial,
  type JobPlan,
  type MulticlassMetrics,
  type Schema,
  type ScorePartial,
} from '@kindling/shared/compute';
import { OutputCommitter, type OutputMode } from '../artifacts/output-committer.js';
import type { PipelineModelData } from '../artifacts/pipeline-model-data.js';
import { readPipelineModel } from '../artifacts/pipeline-model-reader.js';
import type { DriverContext } from '../driver-context.js';
import type { JobSpec } from '../job/job-spec.js';
import type { PlannedInput } from '../input/input-planner.js';
import { inferInput, inputOnlySpec, loadPlan, loadStage, planInput, type InputOptions } from './input-stages.js';
import type { RunContext } from './stage-runner.js';
import { isScoredColumnName, openScoredRowsWriter, type ScoredOutputFormat } from './scored-rows-writer.js';

/** Where the input is and how to read it (defaults: the training job's CSV defaults). */
export interface ScoringInput extends InputOptions {
  /** A saved PipelineModel folder (`<job output>/pipeline-model`), or the model itself. */
  readonly model: string | PipelineModelData;
}

/** Options of predict(). */
export interface PredictOptions extends ScoringInput {
  /** Output folder: one part file per partition, then `_SUCCESS`. */
  readonly output: string;
  /** parquet (default) or csv. */
  readonly format?: ScoredOutputFormat;
  /** Input columns written next to the predictions, e.g. an id column. */
  readonly keep?: readonly string[];
  /** error (default) refuses an existing output folder; overwrite replaces it atomically. */
  readonly mode?: OutputMode;
}

/** What predict() reports. */
export interface PredictResult {
  readonly outputPath: string;
  readonly format: ScoredOutputFormat;
  /** Rows scored and written. */
  readonly rows: number;
  /** Rows dropped by handleInvalid = skip. */
  readonly skipped: number;
  readonly partitions: number;
  /** Output columns in file order. */
  readonly columns: readonly string[];
  readonly durationMs: number;
}

/** Options of evaluate(). */
export interface EvaluateOptions extends ScoringInput {
  /** When given, metrics.json is written into this folder (through the OutputCommitter). */
  readonly output?: string;
  readonly mode?: OutputMode;
}

/** What evaluate() reports: the metrics a job's evaluation reports, over every row of the input. */
export interface EvaluateResult {
  readonly family: 'binomial' | 'multinomial';
  readonly metrics: BinaryMetrics | MulticlassMetrics;
  /** Rows evaluated. */
  readonly rows: number;
  /** Rows dropped by handleInvalid = skip. */
  readonly skipped: number;
  readonly labels: readonly string[];
  readonly outputPath?: string;
  readonly durationMs: number;
}

/** Scores `options.input` with the saved model and writes the predictions. */
export async function predict(options: PredictOptions, driver: DriverContext): Promise<PredictResult> {
  const started = Date.now();
  const format = options.format ?? 'parquet';
  const model = await loadModel(options.model);
  const prepared = await prepareInput(options, model, 'predict');
  const keep = keptColumns(options.keep ?? [], prepared.columnNames, options.input);
  // Fail on an unusable output folder before any task runs.
  const committer = await beginOutput(options.output, options.mode);
  try {
    const result = await inDriverJob(driver, `predict-${basename(options.input)}`, async (ctx) => {
      const loaded = await loadRows(ctx, prepared, model, 'predict');
      const plan: JobPlan = { ...loaded.plan, version: loaded.plan.version + 1, encoding: prepared.encoding };
      const c = model.classifier;
      const params =
        c.family === 'binomial'
          ? {
              family: 'binomial' as const,
              beta: c.model.coefficients,
              intercepts: Float64Array.of(c.model.intercept),
              threshold: thresholdOf(c.model.params),
              keep: keep.map((k) => k.index),
            }
          : {
              family: 'multinomial' as const,
              beta: c.model.coefficientMatrix,
              intercepts: c.model.interceptVector,
              threshold: 0.5,
              keep: keep.map((k) => k.index),
            };
      const parts = await withFileLines(loaded, () =>
        ctx.scheduler.runStage({ name: `score ${basename(options.input)}`, op: 'score', params, partitions: plan.partitions.length }, plan),
      );
      const counts = taskOp('score').merge(parts, plan);
      const writer = await openScoredRowsWriter(committer.stagingPath, format, {
        labelValues: model.labelValues,
        kept: keep.map((k) => ({ name: k.name, type: keptType(loaded.plan.schema![k.index]!.type, loaded.inferredSchema[k.index]!.type) })),
      });
      for (let p = 0; p < parts.length; p++) await writer.writePart(p, parts[p] as ScorePartial);
      return { ...counts, partitions: parts.length, columns: writer.columns };
    });
    await committer.commit();
    return {
      outputPath: committer.finalPath,
      format,
      rows: result.rows,
      skipped: result.skipped,
      partitions: result.partitions,
      columns: result.columns,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    await committer.abort().catch(() => undefined);
    throw err;
  }
}

/** Evaluates the saved model on `options.input` (which must hold the label column). */
export async function evaluate(options: EvaluateOptions, driver: DriverContext): Promise<EvaluateResult> {
  const started = Date.now();
  const model = await loadModel(options.model);
  const prepared = await prepareInput(options, model, 'evaluate');
  const committer = options.output === undefined ? undefined : await beginOutput(options.output, options.mode);
  try {
    const outcome = await inDriverJob(driver, `evaluate-${basename(options.input)}`, async (ctx) => {
      const loaded = await loadRows(ctx, prepared, model, 'evaluate');
      // Every row goes to the test block: a train fraction of 0 sends each row id to test.
      const encoding: EncodingPlan = { ...prepared.encoding, split: { seed: 0, trainFraction: 0 } };
      const plan: JobPlan = { ...loaded.plan, version: loaded.plan.version + 1, encoding };
      const partitions = plan.partitions.length;
      const encodeParts = await withFileLines(loaded, () =>
        ctx.scheduler.runStage({ name: `encode ${basename(options.input)}`, op: 'encode', params: {}, partitions }, plan),
      );
      const encoded = taskOp('encode').merge(encodeParts, plan);
      const c = model.classifier;
      if (c.family === 'binomial') {
        const params = {
          split: 'test' as const,
          beta: c.model.coefficients,
          intercept: c.model.intercept,
          score: 'margin' as const,
          threshold: thresholdOf(c.model.params),
          predictions: false,
        };
        const parts = await ctx.scheduler.runStage({ name: 'evaluate', op: 'evaluate', params, partitions }, plan);
        return { family: 'binomial' as const, metrics: binaryClassificationMetrics(parts, { numBins: 0 }), encoded };
      }
      const params = { split: 'test' as const, beta: c.model.coefficientMatrix, intercepts: c.model.interceptVector, predictions: false };
      const parts = await ctx.scheduler.runStage({ name: 'evaluate', op: 'evaluate-multiclass', params, partitions }, plan);
      return { family: 'multinomial' as const, metrics: multiclassMetrics(taskOp('evaluate-multiclass').merge(parts, plan)), encoded };
    });
    const result: EvaluateResult = {
      family: outcome.family,
      metrics: outcome.metrics,
      rows: outcome.encoded.testRows,
      skipped: outcome.encoded.skippedRows,
      labels: model.labelValues,
      ...(committer ? { outputPath: committer.finalPath } : {}),
      durationMs: Date.now() - started,
    };
    if (committer) {
      await committer.writeJson('metrics.json', {
        input: resolve(options.input),
        family: result.family,
        rows: result.rows,
        skippedRows: result.skipped,
        labels: Object.fromEntries(model.labelValues.map((v, k) => [String(k), v])),
        metrics: withoutCurves(result.metrics),
      });
      await committer.commit();
    }
    return result;
  } catch (err) {
    await committer?.abort().catch(() => undefined);
    throw err;
  }
}

/** The output's committer; an existing folder without overwrite names predict's own way to replace it. */
async function beginOutput(output: string, mode: OutputMode = 'error'): Promise<OutputCommitter> {
  const target = resolve(output);
  if (mode === 'error' && (await fs.stat(target).catch(() => undefined)) !== undefined) {
    throw new OutputError(`output folder ${target} already exists; use --mode overwrite (mode: 'overwrite') to replace it`, target);
  }
  return OutputCommitter.begin(target, mode);
}

/** The input, planned and matched against the model before any task runs. */
interface PreparedInput {
  /** A job spec carrying only the input, for the training job's planning functions. */
  readonly spec: JobSpec;
  readonly file: string;
  readonly planned: PlannedInput;
  readonly columnNames: readonly string[];
  /** The model's EncodingPlan with column indices of the new input. */
  readonly encoding: EncodingPlan;
  /** Column index → the type the model was fitted with (the model's columns only). */
  readonly modelTypes: ReadonlyMap<number, ColumnType>;
}

async function loadModel(model: string | PipelineModelData): Promise<PipelineModelData> {
  return typeof model === 'string' ? readPipelineModel(resolve(model)) : model;
}

async function prepareInput(options: ScoringInput, model: PipelineModelData, purpose: 'predict' | 'evaluate'): Promise<PreparedInput> {
  const file = resolve(options.input);
  const spec = inputOnlySpec(options);
  const planned = await planInput(spec);
  const columnNames = planned.plan.columnNames;
  const where = new Map<string, number>();
  columnNames.forEach((name, i) => {
    if (!where.has(name)) where.set(name, i);
  });
  const enc = model.encoding;
  const nameOf = (column: number): string => {
    const f = model.inputSchema[column];
    if (f === undefined) throw new KindlingError('E_INTERNAL', `the model's encoding names column ${column}, beyond its input schema`);
    return f.name;
  };
  const missing = enc.features.map((f) => nameOf(f.column)).filter((name) => !where.has(name));
  if (missing.length > 0) {
    throw new DataError(
      'E_SCHEMA',
      `${file}: the model's feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} ` +
        `${missing.length > 1 ? 'are' : 'is'} not in the input (its columns: ${columnNames.join(', ')})`,
      { file, columns: missing },
    );
  }
  const labelName = nameOf(enc.label.column);
  const labelIndex = where.get(labelName);
  if (purpose === 'evaluate' && labelIndex === undefined) {
    throw new DataError('E_SCHEMA', `${file}: the label column '${labelName}' is not in the input; evaluate needs it (predict does not)`, {
      file,
      column: labelName,
    });
  }
  const modelTypes = new Map<number, ColumnType>();
  const at = (column: number): number => {
    const index = where.get(nameOf(column))!;
    modelTypes.set(index, fittedType(model.inputSchema[column]!.type));
    return index;
  };
  const features = enc.features.map((f): FeatureInput => ({ ...f, column: at(f.column) }));
  const weightIndex = enc.weight === undefined ? undefined : where.get(nameOf(enc.weight.column));
  const encoding: EncodingPlan = {
    ...enc,
    features,
    // The score kernel never reads the label; without one in the input the plan still needs an
    // entry, and it names the model's label column so nothing reads a wrong column silently.
    label: { ...enc.label, column: labelIndex !== undefined ? at(enc.label.column) : 0 },
    ...(purpose === 'evaluate' && enc.weight !== undefined && weightIndex !== undefined
      ? { weight: { ...enc.weight, column: at(enc.weight.column) } }
      : { weight: undefined }),
  };
  if (encoding.weight === undefined) delete (encoding as { weight?: unknown }).weight;
  return { spec, file, planned, columnNames, encoding, modelTypes };
}

/**
 * The column type the new input is read with. Numeric features read as double: every int or
 * long value parses to the same double, and a value with a fraction is a valid number to a
 * fitted model. Strings and booleans keep the fitted type (a StringIndexer compares text).
 */
function fittedType(t: ColumnType): ColumnType {
  return t === 'int' || t === 'long' ? 'double' : t;
}

/** The rows loaded and cached on the executors, with what is needed to name lines. */
interface LoadedInput {
  readonly file: string;
  readonly plan: JobPlan;
  readonly inferred: readonly InferPartial[];
  /** The schema as inference found it (before the model's types replaced its columns'). */
  readonly inferredSchema: Schema;
}

/** Infers the rest of the schema and loads the rows with the training job's input stages. */
async function loadRows(ctx: RunContext, prepared: PreparedInput, model: PipelineModelData, purpose: string): Promise<LoadedInput> {
  const input = await inferInput(ctx, prepared.spec, prepared.planned);
  const inferredSchema = input.schema;
  // CSV columns are read as the model was fitted; a Parquet column keeps its own type (the file
  // says it), which must be of the same kind: text for a StringIndexer, numeric for the rest.
  const parquet = input.planned.plan.files[0]!.format === 'parquet';
  const schema: Schema = inferredSchema.map((f, i) => {
    const want = prepared.modelTypes.get(i);
    if (want === undefined) return f;
    if (!parquet) return { name: f.name, type: want };
    if (isNumericType(want) !== isNumericType(f.type)) {
      throw new DataError(
        'E_SCHEMA',
        `${input.file}: column '${f.name}' is ${f.type} in the Parquet file; the model was fitted on a ${isNumericType(want) ? 'numeric' : want} column`,
        { file: input.file, column: f.name },
      );
    }
    return f;
  });
  const plan = loadPlan(input, schema);
  const rows = input.inferred.reduce((a, p) => a + p.rowCount, 0);
  ctx.logger.info(
    { file: input.file, partitions: plan.partitions.length, ...(input.inferred.length > 0 && { rows }), model: model.uid },
    `${purpose}: ${input.label} in ${plan.partitions.length} partition(s)`,
  );
  const loadParts = await loadStage(ctx, plan, input.label);
  const malformed = taskOp('csv-load').merge(loadParts, plan).malformedCount;
  if (malformed > 0) ctx.logger.warn({ malformed, mode: prepared.spec.input.csv.mode }, `${malformed} malformed row(s) in ${input.label}`);
  return { file: input.file, plan, inferred: input.inferred, inferredSchema };
}

/**
 * A kernel's data error names a row id ("data record N (row id R)"); this names the file line
 * instead when it is certain: in a partition with no more line breaks than records, every
 * record is one line, so the line is the partition's first line plus the record's offset.
 */
async function withFileLines<T>(loaded: LoadedInput, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = err as KindlingError;
    const rowId = e?.details?.['rowId'];
    if (!(e instanceof KindlingError) || typeof rowId !== 'number') throw err;
    // Parquet inputs have no line numbers (nothing was inferred): the row id stays.
    if (loaded.inferred.length === 0) throw err;
    const p = loaded.plan.partitions.findIndex((q, i) => rowId >= q.firstRowId && rowId < q.firstRowId + loaded.inferred[i]!.rowCount);
    const part = loaded.plan.partitions[p];
    const counts = loaded.inferred[p];
    if (part?.firstLine === undefined || counts === undefined || counts.lineCount > counts.rowCount) throw err;
    const lineNo = part.firstLine + (rowId - part.firstRowId);
    const message = e.message.replace(/^(.*?): data record \d+ \(row id \d+\)/, `$1:${lineNo}`);
    const file = loaded.plan.files[part.file]?.path ?? loaded.file;
    throw new DataError(e.code, message.replace(loaded.file, file), { ...e.details, file, line: lineNo }, { cause: e });
  }
}

/** The input columns passed through, by name; unknown names and clashes with output columns are usage errors. */
function keptColumns(names: readonly string[], columnNames: readonly string[], input: string): { name: string; index: number }[] {
  return names.map((name) => {
    const index = columnNames.indexOf(name);
    if (index < 0) {
      throw new KindlingError('E_INVALID_VALUE', `--keep ${name}: no such column in ${input} (its columns: ${columnNames.join(', ')})`, {
        flag: '--keep',
        value: name,
      });
    }
    if (isScoredColumnName(name)) {
      throw new KindlingError('E_INVALID_VALUE', `--keep ${name}: the output already has a column of that name`, {
        flag: '--keep',
        value: name,
      });
    }
    return { name, index };
  });
}

/** A kept model column read as double keeps the integer type inference gave it (all its values are integers). */
function keptType(loaded: ColumnType, inferred: ColumnType): ColumnType {
  return loaded === 'double' && (inferred === 'int' || inferred === 'long') ? inferred : loaded;
}

/** The model's threshold param (Spark's default 0.5). */
function thresholdOf(params: Record<string, unknown>): number {
  const t = params['threshold'];
  return typeof t === 'number' ? t : 0.5;
}

/** Runs `work` as one job on the driver's executors, as a training job runs (DriverContext.runStages). */
function inDriverJob<T>(driver: DriverContext, name: string, work: (ctx: RunContext) => Promise<T>): Promise<T> {
  return driver.runStages(name, work);
}

function withoutCurves(m: BinaryMetrics | MulticlassMetrics): object {
  const { roc: _roc, pr: _pr, ...rest } = m as BinaryMetrics;
  return rest;
}
