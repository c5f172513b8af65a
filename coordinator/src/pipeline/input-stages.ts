/**
 * The input stages every job that reads data shares — training (job-runner.ts), scoring
 * (predict-job.ts) and convert: plan the files; scan the CSV partitions once (csv-scan: each
 * task infers its partition's types while it parses it into a cached block with those types;
 * re-planning with an exact scan when a guessed cut fell inside a quoted field); merge the
 * types into the table's schema and give each partition its first row id and line; then
 * conform the cached blocks to that schema (csv-conform, over the cached blocks, not the
 * bytes), which returns the column statistics. Each byte is read once; a block whose types
 * cannot widen in place is rebuilt from its bytes with the table's schema (csv-load). Parquet
 * needs no inference: its schema and row counts are in the footers, and csv-load reads it.
 * Partitioning depends only on the files and the spec, never on the executors.
 */
import { resolve } from 'node:path';
import {
  countNewlines,
  DEFAULT_CSV_OPTIONS,
  KindlingError,
  taskOp,
  withAbsoluteLine,
  type CsvOptions,
  type InferPartial,
  type JobPlan,
  type LoadPartial,
  type Schema,
  type TaskOp,
  type TaskParamsByOp,
  type TaskResultByOp,
} from '@kindling/shared/compute';
import { openInput, planInputFiles, type PlannedInput } from '../input/input-planner.js';
import { DEFAULT_MAX_PARTITION_BYTES, type JobSpec } from '../job/job-spec.js';
import type { RunContext } from './stage-runner.js';

/** How a run that is not a training job (predict, evaluate, convert) names its input. */
export interface InputOptions {
  /** A file, a folder of part files, or a glob, as a job's input.path. */
  readonly input: string;
  /** `auto` (default) decides per file from its magic bytes; `csv` or `parquet` insist. */
  readonly inputFormat?: 'auto' | 'csv' | 'parquet';
  /** CSV reader options; a job's defaults (header, ',', FAILFAST, inferSchema). */
  readonly csv?: Partial<CsvOptions>;
  /** Fixed partition count; default from the input size, as in a job. */
  readonly partitions?: number;
  /** Target bytes per partition; a job's default when absent. */
  readonly maxPartitionBytes?: number;
}

/** A job spec holding only `input`, with a job's defaults, so the input is planned exactly as a job with the same input. */
export function inputOnlySpec(o: InputOptions): JobSpec {
  const input = {
    path: resolve(o.input),
    format: o.inputFormat ?? ('auto' as const),
    csv: { ...DEFAULT_CSV_OPTIONS, ...o.csv },
    ...(o.partitions !== undefined ? { partitions: o.partitions } : {}),
    maxPartitionBytes: o.maxPartitionBytes ?? DEFAULT_MAX_PARTITION_BYTES,
  };
  // The input stages read only `input`: the rest of a job spec has no meaning here.
  return { input } as JobSpec;
}

/** An input planned and (for CSV) inferred: what the driver knows before loading. */
export interface InferredInput {
  readonly planned: PlannedInput;
  /** Per partition (CSV): records and lines; empty for Parquet. */
  readonly inferred: readonly InferPartial[];
  /** The schema as the data says it (CSV inference, every column a string without inferSchema, or the Parquet footer). */
  readonly schema: Schema;
  /** The input as stage names and messages show it. */
  readonly label: string;
  /** The one file, or the label, for log fields. */
  readonly file: string;
}

/** Runs one op over every partition of the plan. */
export function stage<O extends TaskOp>(
  ctx: Pick<RunContext, 'scheduler'>,
  plan: JobPlan,
  name: string,
  op: O,
  params: TaskParamsByOp[O],
): Promise<TaskResultByOp[O][]> {
  return ctx.scheduler.runStage({ name, op, params, partitions: plan.partitions.length }, plan);
}

/**
 * The first plan of the input (files and partitions), planned from the files alone. A CSV
 * read skips the values of the columns the job drops (their types are still inferred);
 * predict and convert read every column.
 */
export async function planInput(spec: JobSpec, exactSplits = false, version = 1): Promise<PlannedInput> {
  const planned = await planInputFiles(spec.input, exactSplits, version);
  const names = planned.plan.columnNames;
  const drop = (spec.pipeline?.drop ?? []) as readonly string[];
  const skipColumns = drop.map((name) => names.indexOf(name)).filter((i) => i >= 0);
  if (skipColumns.length === 0 || planned.plan.files[0]!.format === 'parquet') return planned;
  return { ...planned, plan: { ...planned.plan, skipColumns } };
}

/**
 * Infers the schema of a planned input (CSV) by the scan stage, which also leaves each
 * partition's provisional block cached for loadStage; `planned` may be re-planned with exact cuts.
 */
export async function inferInput(ctx: RunContext, spec: JobSpec, first: PlannedInput): Promise<InferredInput> {
  let planned = first;
  const label = planned.label;
  const file = planned.plan.files.length === 1 ? planned.plan.files[0]!.path : label;
  for (const note of planned.notes) ctx.logger.warn({ file }, note);
  if (planned.plan.files[0]!.format === 'parquet') return { planned, inferred: [], schema: planned.plan.schema!, label, file };
  let inferred: InferPartial[];
  try {
    inferred = await inferStage(ctx, planned.plan, label);
  } catch (err) {
    if ((err as KindlingError).details?.['splitPlanError'] !== true) throw err;
    ctx.logger.warn(
      { file: (err as KindlingError).details['file'] },
      'a partition cut fell inside a quoted field; re-planning with an exact scan',
    );
    planned = await planInput(spec, true, planned.plan.version + 1);
    inferred = await inferStage(ctx, planned.plan, label);
  }
  const base = planned.plan;
  const schema = spec.input.csv.inferSchema
    ? taskOp('csv-scan').merge(inferred, base)
    : base.columnNames.map((name) => ({ name, type: 'string' as const }));
  return { planned, inferred, schema, label, file };
}

/**
 * The plan to load with: `schema`, and each partition's first row id (a prefix sum across
 * files, in plan order) and first line (within its file). Parquet plans have both already.
 */
export function loadPlan(input: InferredInput, schema: Schema): JobPlan {
  const base = input.planned.plan;
  if (base.files[0]!.format === 'parquet') return { ...base, version: base.version + 1, schema };
  const { dataFirstLines } = input.planned;
  let rowId = 0;
  let line = 0;
  return {
    ...base,
    version: base.version + 1,
    schema,
    partitions: base.partitions.map((p, i) => {
      if (i === 0 || base.partitions[i - 1]!.file !== p.file) line = dataFirstLines[p.file]!;
      const out = { ...p, firstRowId: rowId, firstLine: line };
      rowId += input.inferred[i]!.rowCount;
      line += input.inferred[i]!.lineCount;
      return out;
    }),
  };
}

/**
 * Brings every partition's cached block to the plan's schema and row ids: conforms the CSV
 * scan's blocks, or loads Parquet row groups; returns each partition's statistics.
 */
export function loadStage(ctx: RunContext, plan: JobPlan, label: string): Promise<LoadPartial[]> {
  if (plan.files[0]!.format === 'parquet') return stage(ctx, plan, `load ${label}`, 'csv-load', {});
  return stage(ctx, plan, `load ${label}`, 'csv-conform', {});
}

/** The scan stage; its parse errors carry partition-relative lines, made absolute here. */
function inferStage(ctx: RunContext, plan: JobPlan, label: string): Promise<InferPartial[]> {
  return withLineNumbers(() => stage(ctx, plan, `scan ${label}`, 'csv-scan', {}));
}

/**
 * Parse errors from the inference pass carry partition-relative lines when the partition
 * does not start its file; make them absolute by counting line breaks in that file.
 */
async function withLineNumbers<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as KindlingError;
    const start = e?.details?.['partitionStart'];
    const file = e?.details?.['file'];
    if (e?.code !== 'E_CSV_MALFORMED' || e.details['lineRelative'] !== true || typeof start !== 'number' || typeof file !== 'string')
      throw err;
    const reader = await openInput(file);
    try {
      throw withAbsoluteLine(e, (await countNewlines(reader.read, start)) + 1);
    } finally {
      await reader.close();
    }
  }
}
