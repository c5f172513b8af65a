/**
 * Saves a fitted binomial or multinomial logistic regression in Spark's LogisticRegressionModel layout
 * (spark-semantics.md §7), so `LogisticRegressionModel.load(path)` in Spark can read it:
 * `metadata/part-00000` (one JSON line) and `data/part-00000-<uid>.snappy.parquet` (one row with
 * VectorUDT/MatrixUDT columns and the Spark schema in the footer), each with `_SUCCESS`. Beside
 * them, `model.json` gives the same model to people and programs that do not speak Spark.
 * Called by the driver's save step with a path inside the job's staging folder.
 */
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import {
  MATRIX_UDT,
  SPARK_VERSION_METADATA_KEY,
  VECTOR_UDT,
  makeFolder,
  parquetMatrix,
  parquetVector,
  sparkField,
  sparkStruct,
  toParquetList,
  writeParquetFile,
  writeTextFile,
} from './spark-parquet.js';

/** Spark class name recorded in the metadata line (and checked by Spark's loader). */
export const LOGISTIC_REGRESSION_MODEL_CLASS = 'org.apache.spark.ml.classification.LogisticRegressionModel';

/** Everything a saved model holds. */
export interface LogisticRegressionModelData {
  /** The estimator's uid, e.g. `LogisticRegression_4f0a8e2b9c1d` (letters, digits, `_.-` only). */
  readonly uid: string;
  readonly numFeatures: number;
  readonly coefficients: Float64Array;
  readonly intercept: number;
  /** Name of every feature slot, e.g. `job_management` (length numFeatures). */
  readonly featureNames: readonly string[];
  /** Explicitly set params (Spark's `paramMap`), e.g. `{ maxIter: 10, labelCol: 'label' }`. */
  readonly params: Record<string, unknown>;
  /** Spark version the model claims to come from (decides how Spark's loader reads it). */
  readonly sparkVersion: string;
  /** Extra top-level keys for the metadata line (Spark's `extraMetadata`), also copied to model.json. */
  readonly extra?: Record<string, unknown>;
  /** Default params (`defaultParamMap`); Spark's LogisticRegression defaults when absent. */
  readonly defaultParams?: Record<string, unknown>;
  /** Milliseconds since the epoch for the metadata line; now when absent (fix it for reproducible output). */
  readonly timestamp?: number;
}

/** A multinomial model: K × numFeatures coefficients (class-major) and K intercepts, saved with isMultinomial true. */
export interface MultinomialModelData extends Omit<LogisticRegressionModelData, 'coefficients' | 'intercept'> {
  readonly numClasses: number;
  /** K × numFeatures, row k = class k. */
  readonly coefficientMatrix: Float64Array;
  readonly interceptVector: Float64Array;
  /** Label value of each class index (for model.json). */
  readonly labels?: readonly string[];
}

/** LogisticRegression params whose Spark type is DoubleParam (their JSON must read back as doubles). */
const DOUBLE_PARAMS = new Set(['regParam', 'elasticNetParam', 'tol', 'threshold', 'maxBlockSizeInMB']);
/** LogisticRegression params whose Spark type is DoubleArrayParam. */
const DOUBLE_ARRAY_PARAMS = new Set(['thresholds']);
const CORE_METADATA_KEYS = ['class', 'timestamp', 'sparkVersion', 'uid', 'paramMap', 'defaultParamMap'];

/** Spark's LogisticRegression defaults as its writer records them in `defaultParamMap`. */
export function sparkLogisticRegressionDefaults(sparkVersion: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    aggregationDepth: 2,
    elasticNetParam: 0,
    family: 'auto',
    featuresCol: 'features',
    fitIntercept: true,
    labelCol: 'label',
    maxIter: 100,
    predictionCol: 'prediction',
    probabilityCol: 'probability',
    rawPredictionCol: 'rawPrediction',
    regParam: 0,
    standardization: true,
    threshold: 0.5,
    tol: 1e-6,
  };
  // maxBlockSizeInMB exists from 3.1; an older Spark's loader rejects params it does not know.
  const [major = 0, minor = 0] = sparkVersion.split('.').map((p) => Number.parseInt(p, 10));
  if (major > 3 || (major === 3 && minor >= 1)) defaults['maxBlockSizeInMB'] = 0;
  return defaults;
}

/** Writes the model folder `dir` (created if missing): metadata/, data/ and model.json. */
export async function writeLogisticRegressionModel(dir: string, model: LogisticRegressionModelData): Promise<void> {
  validate(model);
  const layout = { numClasses: 2, numRows: 1, coefficients: model.coefficients, intercepts: [model.intercept], isMultinomial: false };
  await writeModelFolder(dir, model, layout, friendlyModel(model));
}

/**
 * Writes a multinomial model folder: Spark's multinomial layout (numClasses K, a dense K × d
 * coefficientMatrix stored row-major with isTransposed true, a dense interceptVector of size
 * K, isMultinomial true), which Spark's loader reads; plus model.json.
 */
export async function writeMultinomialModel(dir: string, model: MultinomialModelData): Promise<void> {
  const fail = (message: string): never => {
    throw new KindlingError('E_INTERNAL', `cannot save model ${model.uid}: ${message}`, { uid: model.uid });
  };
  if (!Number.isInteger(model.numClasses) || model.numClasses < 2) fail(`numClasses ${model.numClasses} must be an integer >= 2`);
  if (model.interceptVector.length !== model.numClasses) fail(`${model.interceptVector.length} intercepts for ${model.numClasses} classes`);
  if (model.coefficientMatrix.length !== model.numClasses * model.numFeatures) {
    fail(`${model.coefficientMatrix.length} coefficients for ${model.numClasses} × ${model.numFeatures}`);
  }
  validate({ ...model, coefficients: model.coefficientMatrix.subarray(0, model.numFeatures), intercept: 0 });
  const layout = {
    numClasses: model.numClasses,
    numRows: model.numClasses,
    coefficients: model.coefficientMatrix,
    intercepts: model.interceptVector,
    isMultinomial: true,
  };
  const K = model.numClasses;
  const d = model.numFeatures;
  const friendly = {
    format: 'kindling.logistic-regression/1',
    class: LOGISTIC_REGRESSION_MODEL_CLASS,
    uid: model.uid,
    sparkVersion: model.sparkVersion,
    isMultinomial: true,
    numClasses: K,
    numFeatures: d,
    ...(model.labels !== undefined ? { labels: model.labels } : {}),
    featureNames: model.featureNames,
    interceptVector: Array.from(model.interceptVector),
    coefficientMatrix: Array.from({ length: K }, (_, k) => Array.from(model.coefficientMatrix.subarray(k * d, (k + 1) * d))),
    params: model.params,
    ...(model.extra !== undefined ? { extra: model.extra } : {}),
  };
  await writeModelFolder(dir, model, layout, friendly);
}

/** The Spark data row's shape: binomial (1 row, 1 intercept) or multinomial (K rows, K intercepts). */
interface SparkModelLayout {
  readonly numClasses: number;
  readonly numRows: number;
  readonly coefficients: ArrayLike<number>;
  readonly intercepts: ArrayLike<number>;
  readonly isMultinomial: boolean;
}

async function writeModelFolder(
  dir: string,
  model: Omit<LogisticRegressionModelData, 'coefficients' | 'intercept'>,
  layout: SparkModelLayout,
  friendly: Record<string, unknown>,
): Promise<void> {
  const metadataDir = nodePath.join(dir, 'metadata');
  const dataDir = nodePath.join(dir, 'data');
  await makeFolder(metadataDir);
  await makeFolder(dataDir);

  await writeTextFile(nodePath.join(metadataDir, 'part-00000'), `${metadataLine(model)}\n`);
  await writeTextFile(nodePath.join(metadataDir, '_SUCCESS'), '');

  const sparkSchema = sparkStruct([
    sparkField('numClasses', 'integer', false),
    sparkField('numFeatures', 'integer', false),
    sparkField('interceptVector', VECTOR_UDT, true),
    sparkField('coefficientMatrix', MATRIX_UDT, true),
    sparkField('isMultinomial', 'boolean', false),
  ]);
  const row = {
    numClasses: layout.numClasses,
    numFeatures: model.numFeatures,
    // Dense vectors and matrices leave size/indices and colPtrs/rowIndices null, as Spark does.
    interceptVector: { type: 1, values: toParquetList(layout.intercepts) },
    coefficientMatrix: {
      type: 1,
      numRows: layout.numRows,
      numCols: model.numFeatures,
      values: toParquetList(layout.coefficients),
      isTransposed: true,
    },
    isMultinomial: layout.isMultinomial,
  };
  await writeParquetFile(
    nodePath.join(dataDir, `part-00000-${model.uid}.snappy.parquet`),
    {
      numClasses: { type: 'INT32', compression: 'SNAPPY' },
      numFeatures: { type: 'INT32', compression: 'SNAPPY' },
      interceptVector: parquetVector('SNAPPY'),
      coefficientMatrix: parquetMatrix('SNAPPY'),
      isMultinomial: { type: 'BOOLEAN', compression: 'SNAPPY' },
    },
    sparkSchema,
    [row],
    { rowGroupSize: 1, footer: { [SPARK_VERSION_METADATA_KEY]: model.sparkVersion } },
  );
  await writeTextFile(nodePath.join(dataDir, '_SUCCESS'), '');

  await writeTextFile(nodePath.join(dir, 'model.json'), `${JSON.stringify(friendly, null, 2)}\n`);
}

/** The one-line JSON Spark's DefaultParamsWriter produces (key order as Spark writes it). */
function metadataLine(model: Omit<LogisticRegressionModelData, 'coefficients' | 'intercept'>): string {
  const defaults = model.defaultParams ?? sparkLogisticRegressionDefaults(model.sparkVersion);
  const parts = [
    `"class":${JSON.stringify(LOGISTIC_REGRESSION_MODEL_CLASS)}`,
    `"timestamp":${Math.trunc(model.timestamp ?? Date.now())}`,
    `"sparkVersion":${JSON.stringify(model.sparkVersion)}`,
    `"uid":${JSON.stringify(model.uid)}`,
    `"paramMap":${paramsJson(model.params)}`,
    `"defaultParamMap":${paramsJson(defaults)}`,
  ];
  for (const [key, value] of Object.entries(model.extra ?? {})) {
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Renders params as Spark's Param.jsonEncode would. Spark's DoubleParam decoder accepts only a
 * JSON double, so an integral double must be written `0.0`, never `0` (which json4s reads as
 * an integer and the loader then rejects); NaN and infinities are strings.
 */
function paramsJson(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    let json: string;
    if (DOUBLE_PARAMS.has(key) && typeof value === 'number') json = sparkDouble(value);
    else if (DOUBLE_ARRAY_PARAMS.has(key) && Array.isArray(value) && value.every((v) => typeof v === 'number')) {
      json = `[${(value as number[]).map(sparkDouble).join(',')}]`;
    } else json = JSON.stringify(value) ?? 'null';
    parts.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}

function sparkDouble(x: number): string {
  if (Number.isNaN(x)) return '"NaN"';
  if (x === Infinity) return '"Inf"';
  if (x === -Infinity) return '"-Inf"';
  if (Object.is(x, -0)) return '-0.0';
  const text = String(x);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

function friendlyModel(model: LogisticRegressionModelData): Record<string, unknown> {
  // Feature names can repeat (a numeric column named like a one-hot slot): keep every value.
  const byName: Record<string, number> = {};
  model.featureNames.forEach((name, j) => {
    const key = Object.prototype.hasOwnProperty.call(byName, name) ? `${name}#${j}` : name;
    byName[key] = model.coefficients[j] as number;
  });
  return {
    format: 'kindling.logistic-regression/1',
    class: LOGISTIC_REGRESSION_MODEL_CLASS,
    uid: model.uid,
    sparkVersion: model.sparkVersion,
    numFeatures: model.numFeatures,
    intercept: model.intercept,
    coefficients: byName,
    featureNames: model.featureNames,
    coefficientVector: Array.from(model.coefficients),
    params: model.params,
    ...(model.extra !== undefined ? { extra: model.extra } : {}),
  };
}

function validate(model: LogisticRegressionModelData): void {
  const fail = (message: string): never => {
    throw new KindlingError('E_INTERNAL', `cannot save model ${model.uid}: ${message}`, { uid: model.uid });
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(model.uid)) fail('uid must use only letters, digits, "_", "." and "-"');
  if (!Number.isInteger(model.numFeatures) || model.numFeatures < 0 || model.numFeatures > 0x7fffffff) {
    fail(`numFeatures ${model.numFeatures} is not a valid count`);
  }
  if (model.coefficients.length !== model.numFeatures) {
    fail(`${model.coefficients.length} coefficients for ${model.numFeatures} features`);
  }
  if (model.featureNames.length !== model.numFeatures) {
    fail(`${model.featureNames.length} feature names for ${model.numFeatures} features`);
  }
  for (const key of Object.keys(model.extra ?? {})) {
    if (CORE_METADATA_KEYS.includes(key)) fail(`extra metadata key "${key}" would replace a Spark field`);
  }
}
