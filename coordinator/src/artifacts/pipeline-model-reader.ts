/**
 * Loads a saved PipelineModel — Kindling's own (pipeline-model-writer.ts) or one Spark saved with
 * `PipelineModel.save` — as PipelineModelData, so `kindling predict` / `evaluate` can apply a
 * trained pipeline to new rows. Stage types understood, as Spark's readers take them (apache/spark
 * mllib/src/main/scala/org/apache/spark/ml/feature/StringIndexer.scala, OneHotEncoder.scala,
 * VectorAssembler.scala, classification/LogisticRegression.scala):
 * - StringIndexerModel: data `labelsArray: array<array<string>>` (3.0+) or `labels: array<string>`
 *   (2.x); single- (`inputCol`) or multi-column (`inputCols`);
 * - OneHotEncoderModel (3.x, and 2.3/2.4 OneHotEncoderEstimator fits): data `categorySizes`;
 *   the 2.x OneHotEncoder transformer (no data: sizes come from the indexer);
 * - VectorAssembler (no data);
 * - LogisticRegressionModel, binomial or multinomial (model-reader.ts).
 * Given a job's output folder it reads the `pipeline-model/` folder inside. A Spark-saved model
 * records no column types: StringIndexer inputs become `string` columns, other assembler inputs
 * and a numeric label `double`. Kindling's folders carry pipeline.json (input schema, drop list,
 * feature names); the reader checks the Spark stages agree with it. Missing files are E_IO,
 * content that is not such a model E_SCHEMA, each naming the folder or file.
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { makeSchemaKit, parseWithSchema } from '@kindling/shared';
import { KindlingError, oneHotSize, type EncodingPlan, type FeatureInput, type Schema } from '@kindling/shared/compute';
import { z } from 'zod';
import { readLogisticRegressionModel, readMultinomialModel, readOptionalJson, schemaError } from './model-reader.js';
import { LOGISTIC_REGRESSION_MODEL_CLASS } from './model-writer.js';
import type { FittedClassifier, PipelineModelData } from './pipeline-model-data.js';
import {
  ONE_HOT_ENCODER_MODEL_CLASS,
  PIPELINE_JSON,
  PIPELINE_MODEL_CLASS,
  STRING_INDEXER_MODEL_CLASS,
  VECTOR_ASSEMBLER_CLASS,
} from './pipeline-model-writer.js';
import { readParquetFile } from './spark-parquet.js';

/** The 2.x OneHotEncoder transformer (deprecated in 2.3, removed in 3.0): no data, sizes from the indexer. */
const LEGACY_ONE_HOT_ENCODER_CLASS = 'org.apache.spark.ml.feature.OneHotEncoder';
/** Folder of the PipelineModel inside a job's output. */
export const PIPELINE_MODEL_FOLDER = 'pipeline-model';

const kit = makeSchemaKit(z);
const readableCopySchema = z.object({
  inputSchema: kit.schema,
  drop: kit.strings,
  labelValues: kit.strings,
  featureNames: kit.strings,
  encoding: kit.encodingPlan,
  stringOrderType: z.string().optional(),
});

/** Reads the PipelineModel in `dir` (or in `dir/pipeline-model` when `dir` is a job's output folder). */
export async function readPipelineModel(dir: string): Promise<PipelineModelData> {
  const root = await pipelineRoot(dir);
  const metaFile = await firstPartFile(nodePath.join(root, 'metadata'));
  const meta = await readMetadataLine(metaFile);
  if (meta.class === LOGISTIC_REGRESSION_MODEL_CLASS) {
    throw schemaError(
      metaFile,
      `this is a LogisticRegressionModel, not a PipelineModel (load ${root} as a model, or use the job's ${PIPELINE_MODEL_FOLDER}/ folder)`,
    );
  }
  if (meta.class !== PIPELINE_MODEL_CLASS)
    throw schemaError(metaFile, `class is ${JSON.stringify(meta.class)}, expected ${PIPELINE_MODEL_CLASS}`);
  const stageUids = (meta.paramMap as Record<string, unknown> | undefined)?.['stageUids'];
  if (!Array.isArray(stageUids) || !stageUids.every((u): u is string => typeof u === 'string')) {
    throw schemaError(metaFile, 'paramMap.stageUids must be a list of stage uids');
  }
  const sparkVersion = typeof meta.sparkVersion === 'string' ? meta.sparkVersion : '';

  const digits = String(stageUids.length).length;
  const stages: LoadedStage[] = [];
  for (let i = 0; i < stageUids.length; i++) {
    const uid = stageUids[i]!;
    // Spark's SharedReadWrite.getStagePath: `<index zero-padded to the digits of the stage count>_<uid>`.
    const stageDir = nodePath.join(root, 'stages', `${String(i).padStart(digits, '0')}_${uid}`);
    await requireFolder(stageDir, `stage ${i} (${uid}) of ${root}`);
    stages.push(await readStage(stageDir));
  }
  const derived = await assemble(root, String(meta.uid), stages, sparkVersion);

  const readable = await readReadableCopy(nodePath.join(root, PIPELINE_JSON));
  if (readable === undefined) return derived;
  checkAgreement(nodePath.join(root, PIPELINE_JSON), readable, derived);
  const classifier = withFeatureNames(derived.classifier, readable.featureNames, readable.labelValues);
  return {
    uid: derived.uid,
    inputSchema: readable.inputSchema,
    drop: readable.drop,
    encoding: readable.encoding,
    labelValues: readable.labelValues,
    featureNames: readable.featureNames,
    classifier,
    sparkVersion,
    ...(readable.stringOrderType !== undefined ? { stringOrderType: readable.stringOrderType } : {}),
  };
}

/** A folder holding `metadata/`, or the `pipeline-model/` folder of a job output. */
async function pipelineRoot(dir: string): Promise<string> {
  if (await exists(nodePath.join(dir, 'metadata'))) return dir;
  const inner = nodePath.join(dir, PIPELINE_MODEL_FOLDER);
  if (await exists(nodePath.join(inner, 'metadata'))) return inner;
  if (!(await exists(dir))) throw new KindlingError('E_IO', `pipeline model folder ${dir} does not exist`, { path: dir });
  throw new KindlingError('E_IO', `${dir} is not a PipelineModel folder: it has neither metadata/ nor ${PIPELINE_MODEL_FOLDER}/metadata/`, {
    path: dir,
  });
}

type LoadedStage =
  | {
      kind: 'indexer';
      dir: string;
      uid: string;
      inputCols: string[];
      outputCols: string[];
      labels: string[][];
      handleInvalid: string;
      orderType?: string;
    }
  | {
      kind: 'encoder';
      dir: string;
      uid: string;
      inputCols: string[];
      outputCols: string[];
      categorySizes?: number[];
      dropLast: boolean;
      handleInvalid: string;
    }
  | { kind: 'assembler'; dir: string; uid: string; inputCols: string[]; outputCol: string; handleInvalid: string }
  | { kind: 'classifier'; dir: string; uid: string; classifier: FittedClassifier; labelCol: string; featuresCol: string };

async function readStage(dir: string): Promise<LoadedStage> {
  const metaFile = await firstPartFile(nodePath.join(dir, 'metadata'));
  const meta = await readMetadataLine(metaFile);
  const uid = String(meta.uid);
  const param = (name: string): unknown =>
    (meta.paramMap as Record<string, unknown> | undefined)?.[name] ?? (meta.defaultParamMap as Record<string, unknown> | undefined)?.[name];
  const str = (name: string, fallback?: string): string => {
    const v = param(name) ?? fallback;
    if (typeof v !== 'string') throw schemaError(metaFile, `param ${name} must be a string, found ${JSON.stringify(v)}`);
    return v;
  };
  const cols = (single: string, multi: string): string[] => {
    const many = param(multi);
    if (Array.isArray(many) && many.every((c) => typeof c === 'string')) return many as string[];
    const one = param(single);
    if (typeof one === 'string') return [one];
    throw schemaError(metaFile, `needs param ${single} or ${multi}`);
  };
  switch (meta.class) {
    case STRING_INDEXER_MODEL_CLASS: {
      const inputCols = cols('inputCol', 'inputCols');
      const outputCols = cols('outputCol', 'outputCols');
      const row = await oneRow(nodePath.join(dir, 'data'));
      let labels: string[][];
      if (row.value['labelsArray'] !== undefined) {
        labels = listOf(row.value['labelsArray'], `${row.file}, column labelsArray`).map((l, k) =>
          listOf(l, `${row.file}, column labelsArray[${k}]`).map((s) => asString(s, `${row.file}, column labelsArray[${k}]`)),
        );
      } else if (row.value['labels'] !== undefined) {
        labels = [listOf(row.value['labels'], `${row.file}, column labels`).map((s) => asString(s, `${row.file}, column labels`))];
      } else throw schemaError(row.file, 'has neither labelsArray (Spark 3) nor labels (Spark 2) column');
      if (labels.length !== inputCols.length || outputCols.length !== inputCols.length) {
        throw schemaError(row.file, `${labels.length} label lists for ${inputCols.length} input and ${outputCols.length} output columns`);
      }
      const orderType = param('stringOrderType');
      return {
        kind: 'indexer',
        dir,
        uid,
        inputCols,
        outputCols,
        labels,
        handleInvalid: str('handleInvalid', 'error'),
        ...(typeof orderType === 'string' ? { orderType } : {}),
      };
    }
    case ONE_HOT_ENCODER_MODEL_CLASS:
    case LEGACY_ONE_HOT_ENCODER_CLASS: {
      const inputCols = cols('inputCol', 'inputCols');
      const outputCols = cols('outputCol', 'outputCols');
      if (outputCols.length !== inputCols.length)
        throw schemaError(metaFile, `${inputCols.length} input but ${outputCols.length} output columns`);
      const dropLast = param('dropLast') ?? true;
      if (typeof dropLast !== 'boolean') throw schemaError(metaFile, `param dropLast must be a boolean, found ${JSON.stringify(dropLast)}`);
      let categorySizes: number[] | undefined;
      if (meta.class === ONE_HOT_ENCODER_MODEL_CLASS) {
        const row = await oneRow(nodePath.join(dir, 'data'));
        const where = `${row.file}, column categorySizes`;
        if (row.value['categorySizes'] === undefined) throw schemaError(row.file, 'has no categorySizes column');
        categorySizes = listOf(row.value['categorySizes'], where).map((v) => {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
            throw schemaError(row.file, `categorySizes holds ${JSON.stringify(v)}, not a count`);
          return v;
        });
        if (categorySizes.length !== inputCols.length)
          throw schemaError(row.file, `${categorySizes.length} category sizes for ${inputCols.length} input columns`);
      }
      return {
        kind: 'encoder',
        dir,
        uid,
        inputCols,
        outputCols,
        dropLast,
        handleInvalid: str('handleInvalid', 'error'),
        ...(categorySizes ? { categorySizes } : {}),
      };
    }
    case VECTOR_ASSEMBLER_CLASS:
      return {
        kind: 'assembler',
        dir,
        uid,
        inputCols: cols('inputCol', 'inputCols'),
        outputCol: str('outputCol', `${uid}__output`),
        handleInvalid: str('handleInvalid', 'error'),
      };
    case LOGISTIC_REGRESSION_MODEL_CLASS:
      return {
        kind: 'classifier',
        dir,
        uid,
        classifier: await readClassifier(dir, meta),
        labelCol: str('labelCol', 'label'),
        featuresCol: str('featuresCol', 'features'),
      };
    default:
      throw schemaError(
        metaFile,
        `stage class ${JSON.stringify(meta.class)} is not supported (supported: StringIndexerModel, OneHotEncoderModel, VectorAssembler, LogisticRegressionModel)`,
      );
  }
}

const CORE_KEYS = new Set(['class', 'timestamp', 'sparkVersion', 'uid', 'paramMap', 'defaultParamMap']);

async function readClassifier(dir: string, meta: Record<string, unknown>): Promise<FittedClassifier> {
  const common = {
    params: (meta.paramMap ?? {}) as Record<string, unknown>,
    sparkVersion: String(meta.sparkVersion),
    ...(meta.defaultParamMap !== undefined ? { defaultParams: meta.defaultParamMap as Record<string, unknown> } : {}),
    ...(typeof meta.timestamp === 'number' ? { timestamp: meta.timestamp } : {}),
  };
  const extraEntries = Object.entries(meta).filter(([k]) => !CORE_KEYS.has(k));
  const extra = extraEntries.length > 0 ? { extra: Object.fromEntries(extraEntries) } : {};
  // The data row's isMultinomial flag picks the reader (Spark < 2.1 rows have no flag: binomial).
  const { value: row } = await oneRow(nodePath.join(dir, 'data'));
  if (row['isMultinomial'] === true) {
    const multi = await readMultinomialModel(dir);
    return {
      family: 'multinomial',
      model: {
        uid: multi.uid,
        numClasses: multi.numClasses,
        numFeatures: multi.numFeatures,
        coefficientMatrix: multi.coefficientMatrix,
        interceptVector: multi.interceptVector,
        featureNames: [],
        ...common,
        ...extra,
      },
    };
  }
  const m = await readLogisticRegressionModel(dir);
  return {
    family: 'binomial',
    model: {
      uid: m.uid,
      numFeatures: m.numFeatures,
      coefficients: m.coefficients,
      intercept: m.intercept,
      featureNames: m.featureNames ?? [],
      ...common,
      ...extra,
    },
  };
}

function withFeatureNames(c: FittedClassifier, featureNames: readonly string[], labels: readonly string[]): FittedClassifier {
  return c.family === 'binomial'
    ? { family: 'binomial', model: { ...c.model, featureNames } }
    : { family: 'multinomial', model: { ...c.model, featureNames, labels } };
}

/** Builds PipelineModelData from the stages, as Spark would chain them. */
function assemble(root: string, uid: string, stages: readonly LoadedStage[], sparkVersion: string): PipelineModelData {
  const metaFile = nodePath.join(root, 'metadata');
  const last = stages[stages.length - 1];
  if (last?.kind !== 'classifier') throw schemaError(metaFile, 'the last stage must be a LogisticRegressionModel');
  const assembler = stages.find((s): s is Extract<LoadedStage, { kind: 'assembler' }> => s.kind === 'assembler');
  if (assembler === undefined) throw schemaError(metaFile, 'has no VectorAssembler stage');
  if (assembler.outputCol !== last.featuresCol) {
    throw schemaError(
      last.dir,
      `featuresCol is ${last.featuresCol}, but the VectorAssembler (${assembler.dir}) writes ${assembler.outputCol}`,
    );
  }
  if (assembler.handleInvalid !== 'error' && assembler.handleInvalid !== 'skip') {
    throw schemaError(assembler.dir, `VectorAssembler handleInvalid ${assembler.handleInvalid} is not supported (error or skip)`);
  }

  const indexed = new Map<string, { input: string; labels: string[]; handleInvalid: string; dir: string; orderType?: string }>();
  const encoded = new Map<string, { input: string; size?: number; dropLast: boolean; handleInvalid: string; dir: string }>();
  for (const s of stages) {
    if (s.kind === 'indexer') {
      s.outputCols.forEach((out, k) =>
        indexed.set(out, {
          input: s.inputCols[k]!,
          labels: s.labels[k]!,
          handleInvalid: s.handleInvalid,
          dir: s.dir,
          ...(s.orderType ? { orderType: s.orderType } : {}),
        }),
      );
    } else if (s.kind === 'encoder') {
      s.outputCols.forEach((out, k) =>
        encoded.set(out, {
          input: s.inputCols[k]!,
          dropLast: s.dropLast,
          handleInvalid: s.handleInvalid,
          dir: s.dir,
          ...(s.categorySizes ? { size: s.categorySizes[k]! } : {}),
        }),
      );
    }
  }

  const schema: { name: string; type: 'string' | 'double' }[] = [];
  const columnOf = (name: string, type: 'string' | 'double'): number => {
    const at = schema.findIndex((f) => f.name === name);
    if (at >= 0) return at;
    schema.push({ name, type });
    return schema.length - 1;
  };
  const features: FeatureInput[] = [];
  const featureNames: string[] = [];
  let offset = 0;
  let orderType: string | undefined;
  for (const col of assembler.inputCols) {
    const enc = encoded.get(col);
    if (enc !== undefined) {
      const idx = indexed.get(enc.input);
      if (idx === undefined) throw schemaError(enc.dir, `OneHotEncoder input ${enc.input} is not the output of a StringIndexer stage`);
      if (enc.handleInvalid !== 'error')
        throw schemaError(enc.dir, `OneHotEncoder handleInvalid ${enc.handleInvalid} is not supported (error)`);
      if (idx.handleInvalid !== 'error' && idx.handleInvalid !== 'skip' && idx.handleInvalid !== 'keep') {
        throw schemaError(idx.dir, `StringIndexer handleInvalid ${idx.handleInvalid} is not one of error, skip, keep`);
      }
      const handleInvalid = idx.handleInvalid;
      const categories = idx.labels.length + (handleInvalid === 'keep' ? 1 : 0);
      if (enc.size !== undefined && enc.size !== categories) {
        throw schemaError(enc.dir, `categorySizes says ${enc.size} categories for ${col}, but StringIndexer ${idx.dir} has ${categories}`);
      }
      const size = oneHotSize(idx.labels.length, enc.dropLast, handleInvalid);
      features.push({
        kind: 'onehot',
        column: columnOf(idx.input, 'string'),
        name: idx.input,
        labels: idx.labels,
        handleInvalid,
        dropLast: enc.dropLast,
        offset,
        size,
      });
      // VectorAssembler's attribute names: `<vector column>_<category>`.
      const names = handleInvalid === 'keep' ? [...idx.labels, '__unknown'] : idx.labels;
      for (let j = 0; j < size; j++) featureNames.push(`${col}_${names[j]}`);
      offset += size;
      orderType ??= idx.orderType;
    } else if (indexed.has(col)) {
      throw schemaError(
        assembler.dir,
        `assembler input ${col} is a StringIndexer output used as a number; only one-hot encoded indices are supported`,
      );
    } else {
      features.push({ kind: 'numeric', column: columnOf(col, 'double'), name: col });
      featureNames.push(col);
      offset += 1;
    }
  }
  const classifier = last.classifier;
  if (classifier.model.numFeatures !== offset) {
    throw schemaError(
      last.dir,
      `the model has ${classifier.model.numFeatures} features, but the assembler ${assembler.dir} builds ${offset}`,
    );
  }
  const numClasses = classifier.family === 'multinomial' ? classifier.model.numClasses : 2;
  const labelIndexer = indexed.get(last.labelCol);
  let label: EncodingPlan['label'];
  let labelValues: string[];
  if (labelIndexer !== undefined) {
    label = { kind: 'string', column: columnOf(labelIndexer.input, 'string'), name: labelIndexer.input, labels: labelIndexer.labels };
    labelValues = labelIndexer.labels;
    orderType ??= labelIndexer.orderType;
  } else {
    label = { kind: 'numeric', column: columnOf(last.labelCol, 'double'), name: last.labelCol };
    labelValues = Array.from({ length: numClasses }, (_, k) => String(k));
  }
  const encoding: EncodingPlan = {
    label,
    ...(classifier.family === 'multinomial' ? { numClasses } : {}),
    features,
    numFeatures: offset,
    numericHandleInvalid: assembler.handleInvalid,
    // A saved model has no split: every row is "train" to the encode kernel.
    split: { seed: 0, trainFraction: 1 },
  };
  const inputSchema: Schema = schema;
  return {
    uid,
    inputSchema,
    drop: [],
    encoding,
    labelValues,
    featureNames,
    classifier: withFeatureNames(classifier, featureNames, labelValues),
    sparkVersion,
    ...(orderType !== undefined ? { stringOrderType: orderType } : {}),
  };
}

type ReadableCopy = z.infer<typeof readableCopySchema>;

async function readReadableCopy(file: string): Promise<ReadableCopy | undefined> {
  const parsed = await readOptionalJson(file);
  if (parsed === undefined) return undefined; // a PipelineModel saved by Spark has no pipeline.json
  try {
    return parseWithSchema(readableCopySchema, parsed, file);
  } catch (err) {
    throw schemaError(file, err instanceof Error ? err.message : String(err));
  }
}

/** pipeline.json must describe the same transforms as the Spark stages (a hand-edited file would otherwise win silently). */
function checkAgreement(file: string, readable: ReadableCopy, derived: PipelineModelData): void {
  const a = readable.encoding;
  const b = derived.encoding;
  const fail = (what: string): never => {
    throw schemaError(file, `disagrees with the Spark stages: ${what}`);
  };
  if (a.numFeatures !== b.numFeatures) fail(`numFeatures ${a.numFeatures} vs ${b.numFeatures}`);
  if (a.features.length !== b.features.length) fail(`${a.features.length} assembler inputs vs ${b.features.length}`);
  a.features.forEach((f, j) => {
    const g = b.features[j]!;
    if (f.kind !== g.kind || f.name !== g.name) fail(`assembler input ${j} is ${f.kind} ${f.name} vs ${g.kind} ${g.name}`);
    if (
      f.kind === 'onehot' &&
      g.kind === 'onehot' &&
      (JSON.stringify(f.labels) !== JSON.stringify(g.labels) || f.size !== g.size || f.offset !== g.offset)
    ) {
      fail(`labels or slots of ${f.name}`);
    }
  });
  if (
    a.label.kind !== b.label.kind ||
    (a.label.kind === 'string' && JSON.stringify(a.label.labels) !== JSON.stringify((b.label as { labels?: unknown }).labels))
  ) {
    fail(`label ${a.label.name}`);
  }
  if (readable.featureNames.length !== b.numFeatures) fail(`${readable.featureNames.length} feature names for ${b.numFeatures} features`);
}

// ---- file helpers ----------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function requireFolder(dir: string, what: string): Promise<void> {
  try {
    const st = await fs.stat(dir);
    if (st.isDirectory()) return;
  } catch (err) {
    throw new KindlingError('E_IO', `missing stage folder ${dir} for ${what}`, { path: dir }, { cause: err });
  }
  throw new KindlingError('E_IO', `${dir} (${what}) is not a folder`, { path: dir });
}

/** The first part file of a Spark dataset folder (Spark skips names starting with `_` or `.`). */
async function firstPartFile(dir: string, suffix = ''): Promise<string> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new KindlingError(
      'E_IO',
      `cannot read folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { path: dir },
      { cause: err },
    );
  }
  const first = names.filter((n) => !n.startsWith('_') && !n.startsWith('.') && n.endsWith(suffix)).sort()[0];
  if (first === undefined) throw new KindlingError('E_IO', `folder ${dir} has no part file`, { path: dir });
  return nodePath.join(dir, first);
}

interface MetadataLine extends Record<string, unknown> {
  class?: unknown;
  uid?: unknown;
  sparkVersion?: unknown;
  paramMap?: unknown;
  defaultParamMap?: unknown;
  timestamp?: unknown;
}

async function readMetadataLine(file: string): Promise<MetadataLine> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new KindlingError(
      'E_IO',
      `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { path: file },
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.split('\n', 1)[0] ?? '');
  } catch (err) {
    throw schemaError(file, `line 1 is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw schemaError(file, 'line 1 is not a JSON object');
  return parsed as MetadataLine;
}

async function oneRow(dataDir: string): Promise<{ file: string; value: Record<string, unknown> }> {
  const file = await firstPartFile(dataDir, '.parquet');
  const { rows } = await readParquetFile(file);
  if (rows.length !== 1 || rows[0] === undefined) throw schemaError(file, `expected exactly one row, found ${rows.length}`);
  return { file, value: rows[0] };
}

/** An array column in any layout parquetjs returns (3-level LIST, legacy 2-level, bare repeated). */
function listOf(value: unknown, where: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(unwrapElement);
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const inner = (value as Record<string, unknown>)[keys[0]!];
      if (inner === null || inner === undefined) return [];
      if (Array.isArray(inner)) return inner.map(unwrapElement);
    }
  }
  throw new KindlingError('E_SCHEMA', `${where}: expected an array, found ${describe(value)}`, { where });
}

function unwrapElement(item: unknown): unknown {
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && !Buffer.isBuffer(item)) {
    const values = Object.values(item);
    if (values.length === 1) return values[0];
  }
  return item;
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw new KindlingError('E_SCHEMA', `${where}: expected a string, found ${describe(value)}`, { where });
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
