/**
 * Plans a features input (`input.format: features`): a folder holding `train/` and `test/`
 * Parquet parts of assembled features, as `output.features` (or a `model.type: none` run)
 * writes them, or as Spark writes `(label, features: VectorUDT)` DataFrames. Every file is
 * checked on the driver before any task runs: Parquet, a VectorUDT column and a numeric label
 * (the file and the column are named), and the same fitted pipeline recorded in each footer.
 *
 * One partition per part file, the train parts first, then the test parts, each in path
 * order: a job's feature parts are one per partition, so partition p of the fitting job is
 * train part p and test part p here, and the blocks read back are the ones that job trained
 * on (the merges add the empty other-split blocks as exact zeros).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import {
  DataError,
  featureColumnProblem,
  footerLength,
  hasColumn,
  KINDLING_FEATURES_KEY,
  PARQUET_TRAILER,
  loadHyparquet,
  parseParquetFooter,
  rowGroupSpans,
  type InputFile,
  type JobPlan,
  type PlanPartition,
} from '@kindling/shared/compute';
import type { InputSpec } from '../job/job-spec.js';
import { resolveInputFiles } from './input-files.js';
import { openInput } from './input-planner.js';

/** Column names a features input is read with (Spark's labelCol / featuresCol defaults). */
export const FEATURE_COLUMNS = { features: 'features', label: 'label', rowId: 'rowId', weight: 'weight' } as const;

/** A planned features input. */
export interface PlannedFeatures {
  /** Partitions (one per part file), no schema and no encoding yet. */
  readonly plan: JobPlan;
  /** The split of each partition. */
  readonly splits: readonly ('train' | 'test')[];
  /** Kindling's record of the fitted pipeline (the footer's JSON), when the files have it. */
  readonly manifest?: unknown;
  readonly label: string;
  readonly trainFiles: number;
  readonly testFiles: number;
}

/** Plans `input` (format features); `weight`: a weight column every file must have (pipeline.weight, for vectors Spark wrote). */
export async function planFeatures(input: InputSpec, weight?: string): Promise<PlannedFeatures> {
  if (typeof input.path !== 'string') {
    throw new DataError('E_INPUT_FORMAT', `input.path: a features input is one folder (holding train/ and test/), not a list`, {});
  }
  const root = input.path;
  const files: InputFile[] = [];
  const partitions: PlanPartition[] = [];
  const splits: ('train' | 'test')[] = [];
  let manifestText: string | undefined;
  let manifestFile: string | undefined;
  let rowId = 0;
  const counts = { train: 0, test: 0 };
  for (const split of ['train', 'test'] as const) {
    const dir = path.join(root, split);
    try {
      await access(dir);
    } catch {
      const nested = path.join(root, 'features');
      const hint = await access(path.join(nested, split)).then(
        () => ` (a job's output folder: use ${nested})`,
        () => '',
      );
      throw new DataError(
        'E_INPUT_FORMAT',
        `${root}: a features input is a folder with train/ and test/ Parquet parts (as output.features writes them); ${dir} does not exist${hint}`,
        { file: dir },
      );
    }
    await loadHyparquet();
    for (const file of await resolveInputFiles(dir)) {
      const reader = await openInput(file);
      try {
        const size = reader.size;
        const len = footerLength(await reader.read(Math.max(0, size - PARQUET_TRAILER), PARQUET_TRAILER), file, size);
        const footerStart = size - PARQUET_TRAILER - len;
        const metadata = parseParquetFooter(await reader.read(footerStart, len + PARQUET_TRAILER), file);
        const problem = featureColumnProblem(metadata, { ...FEATURE_COLUMNS, ...(weight !== undefined ? { weight } : {}) });
        if (problem !== undefined) throw new DataError('E_SCHEMA', `${file}: ${problem}`, { file });
        if (weight !== undefined && !hasColumn(metadata, weight)) {
          throw new DataError('E_SCHEMA', `${file}: no weight column '${weight}' (pipeline.weight)`, { file, column: weight });
        }
        const text = metadata.key_value_metadata?.find((kv) => kv.key === KINDLING_FEATURES_KEY)?.value ?? undefined;
        if (files.length === 0) {
          manifestText = text;
          manifestFile = file;
        } else if (text !== manifestText) {
          throw new DataError(
            'E_SCHEMA',
            `${file}: its features were assembled by another pipeline than ${manifestFile}'s (the footers' ${KINDLING_FEATURES_KEY} differ)`,
            { file },
          );
        }
        const spans = rowGroupSpans(metadata, file);
        const rows = spans.reduce((a, s) => a + s.rows, 0);
        const index = files.length;
        files.push({ path: file, size, format: 'parquet', compression: 'none', footerStart });
        partitions.push({
          file: index,
          start: spans.length > 0 ? Math.min(...spans.map((s) => s.start)) : footerStart,
          end: spans.length > 0 ? Math.max(...spans.map((s) => s.end)) : footerStart,
          firstRowId: rowId,
          rowGroups: [0, spans.length],
        });
        splits.push(split);
        counts[split]++;
        rowId += rows;
        if (!hasColumn(metadata, FEATURE_COLUMNS.rowId) && manifestText !== undefined) {
          throw new DataError('E_SCHEMA', `${file}: no rowId column, but Kindling's features files have one`, { file, column: 'rowId' });
        }
      } finally {
        await reader.close();
      }
    }
    if (counts[split] === 0) throw new DataError('E_INPUT_FORMAT', `${dir}: no Parquet part files`, { file: dir });
  }
  let manifest: unknown;
  if (manifestText !== undefined) {
    try {
      manifest = JSON.parse(manifestText);
    } catch {
      throw new DataError('E_SCHEMA', `${manifestFile}: footer key ${KINDLING_FEATURES_KEY} is not JSON`, { file: manifestFile });
    }
  }
  const plan: JobPlan = {
    version: 1,
    files,
    csv: input.csv,
    columnNames: [FEATURE_COLUMNS.rowId, FEATURE_COLUMNS.label, FEATURE_COLUMNS.features],
    partitions,
  };
  const label = `${path.basename(root)} (${counts.train} train + ${counts.test} test parts)`;
  return { plan, splits, ...(manifest !== undefined ? { manifest } : {}), label, trainFiles: counts.train, testFiles: counts.test };
}
