/**
 * Loads a LogisticRegressionModel folder (written by model-writer.ts or by Spark's
 * `model.save`) so predictions can be made from a saved model; readMultinomialModel reads the
 * multinomial layout too. Reads the metadata line and
 * the one-row Parquet data in every layout Spark has used for a binomial model: 2.1+
 * (interceptVector + coefficientMatrix, dense or sparse) and pre-2.1 (intercept + coefficients).
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import { LOGISTIC_REGRESSION_MODEL_CLASS } from './model-writer.js';
import { fromParquetList, readParquetFile, toNumber } from './spark-parquet.js';

/** A loaded model. */
export interface LoadedLogisticRegressionModel {
  readonly uid: string;
  readonly numFeatures: number;
  readonly coefficients: Float64Array;
  readonly intercept: number;
  /** The parsed metadata line (class, timestamp, sparkVersion, uid, paramMap, defaultParamMap, …). */
  readonly metadata: Record<string, unknown>;
  /** Feature names from model.json when the folder has one (Spark's own saves do not). */
  readonly featureNames?: string[];
}

/** Reads the model saved in `dir`; throws E_IO for missing files and E_SCHEMA for content that is not such a model. */
export async function readLogisticRegressionModel(dir: string): Promise<LoadedLogisticRegressionModel> {
  const metadata = await readMetadata(nodePath.join(dir, 'metadata'));
  const dataFile = await firstDataFile(nodePath.join(dir, 'data'), '.parquet');
  const { rows } = await readParquetFile(dataFile);
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) {
    throw schemaError(dataFile, `expected exactly one row, found ${rows.length}`);
  }
  const where = (column: string): string => `${dataFile}, column ${column}`;

  let coefficients: Float64Array;
  let intercept: number;
  let numFeatures: number;
  if (row['coefficientMatrix'] !== undefined) {
    numFeatures = toNumber(row['numFeatures'], where('numFeatures'));
    if (row['isMultinomial'] === true || toNumber(row['numClasses'], where('numClasses')) > 2) {
      throw schemaError(dataFile, 'multinomial models are not supported (binomial only)');
    }
    coefficients = matrixRow(row['coefficientMatrix'], numFeatures, where('coefficientMatrix'));
    const interceptVector = vectorValues(row['interceptVector'], where('interceptVector'));
    if (interceptVector.length !== 1) {
      throw schemaError(dataFile, `interceptVector has ${interceptVector.length} values; a binomial model has 1`);
    }
    intercept = interceptVector[0] as number;
  } else if (row['coefficients'] !== undefined) {
    // Spark 2.0 wrote (numClasses, numFeatures, intercept, coefficients).
    coefficients = vectorValues(row['coefficients'], where('coefficients'));
    intercept = toNumber(row['intercept'], where('intercept'));
    numFeatures = row['numFeatures'] === undefined ? coefficients.length : toNumber(row['numFeatures'], where('numFeatures'));
  } else {
    throw schemaError(dataFile, 'has neither coefficientMatrix nor coefficients');
  }
  if (coefficients.length !== numFeatures) {
    throw schemaError(dataFile, `${coefficients.length} coefficients for numFeatures ${numFeatures}`);
  }
  const featureNames = await readFeatureNames(nodePath.join(dir, 'model.json'), numFeatures);
  return {
    uid: String(metadata['uid']),
    numFeatures,
    coefficients,
    intercept,
    metadata,
    ...(featureNames !== undefined ? { featureNames } : {}),
  };
}

/** A loaded multinomial model (or a binomial one, as K = 2 with one coefficient row). */
export interface LoadedMultinomialModel {
  readonly uid: string;
  readonly numClasses: number;
  readonly numFeatures: number;
  readonly isMultinomial: boolean;
  /** numRows × numFeatures, row-major (numRows = K for multinomial, 1 for binomial). */
  readonly coefficientMatrix: Float64Array;
  readonly interceptVector: Float64Array;
  readonly metadata: Record<string, unknown>;
}

/** Reads a 2.1+ model folder of either layout; coefficient matrices may be dense or sparse, either orientation. */
export async function readMultinomialModel(dir: string): Promise<LoadedMultinomialModel> {
  const metadata = await readMetadata(nodePath.join(dir, 'metadata'));
  const dataFile = await firstDataFile(nodePath.join(dir, 'data'), '.parquet');
  const { rows } = await readParquetFile(dataFile);
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) throw schemaError(dataFile, `expected exactly one row, found ${rows.length}`);
  if (row['coefficientMatrix'] === undefined)
    throw schemaError(dataFile, 'has no coefficientMatrix (a Spark < 2.1 model is binomial only)');
  const where = (column: string): string => `${dataFile}, column ${column}`;
  const numClasses = toNumber(row['numClasses'], where('numClasses'));
  const numFeatures = toNumber(row['numFeatures'], where('numFeatures'));
  const isMultinomial = row['isMultinomial'] === true;
  const m = asStruct(row['coefficientMatrix'], where('coefficientMatrix'));
  const numRows = toNumber(m['numRows'], where('coefficientMatrix.numRows'));
  if (numRows !== (isMultinomial ? numClasses : 1) || toNumber(m['numCols'], where('coefficientMatrix.numCols')) !== numFeatures) {
    throw schemaError(
      dataFile,
      `coefficientMatrix is ${numRows} × ${String(m['numCols'])}, expected ${isMultinomial ? numClasses : 1} × ${numFeatures}`,
    );
  }
  const coefficientMatrix = matrixRowMajor(m, numRows, numFeatures, where('coefficientMatrix'));
  const interceptVector = vectorValues(row['interceptVector'], where('interceptVector'));
  if (interceptVector.length !== numRows)
    throw schemaError(dataFile, `interceptVector has ${interceptVector.length} values for ${numRows} coefficient rows`);
  return { uid: String(metadata['uid']), numClasses, numFeatures, isMultinomial, coefficientMatrix, interceptVector, metadata };
}

/** Any MatrixUDT struct as a row-major dense array. */
function matrixRowMajor(m: Record<string, unknown>, numRows: number, numCols: number, where: string): Float64Array {
  const type = toNumber(m['type'], `${where}.type`);
  const values = fromParquetList(m['values'], `${where}.values`) ?? [];
  const transposed = m['isTransposed'] === true;
  const out = new Float64Array(numRows * numCols);
  if (type === 1) {
    if (values.length !== numRows * numCols)
      throw new KindlingError('E_SCHEMA', `${where}: ${values.length} values for ${numRows} × ${numCols}`, { where });
    for (let i = 0; i < numRows; i++) {
      for (let j = 0; j < numCols; j++) out[i * numCols + j] = (transposed ? values[i * numCols + j] : values[j * numRows + i]) as number;
    }
    return out;
  }
  if (type !== 0) throw new KindlingError('E_SCHEMA', `${where}: unknown matrix type ${type}`, { where });
  const ptrs = fromParquetList(m['colPtrs'], `${where}.colPtrs`) ?? [];
  const idx = fromParquetList(m['rowIndices'], `${where}.rowIndices`) ?? [];
  // Transposed: CSR (ptrs per row, indices are columns); else CSC.
  const outer = transposed ? numRows : numCols;
  for (let a = 0; a < outer; a++) {
    for (let k = ptrs[a] ?? 0; k < (ptrs[a + 1] ?? 0); k++) {
      const b = idx[k]!;
      const [i, j] = transposed ? [a, b] : [b, a];
      if (!(i >= 0 && i < numRows && j >= 0 && j < numCols))
        throw new KindlingError('E_SCHEMA', `${where}: entry (${i}, ${j}) outside the matrix`, { where });
      out[i * numCols + j] = values[k] as number;
    }
  }
  return out;
}

async function readMetadata(metadataDir: string): Promise<Record<string, unknown>> {
  const file = await firstDataFile(metadataDir, '');
  const text = await readText(file);
  const line = text.split('\n', 1)[0] ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw schemaError(file, `line 1 is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw schemaError(file, 'line 1 is not a JSON object');
  }
  const metadata = parsed as Record<string, unknown>;
  if (metadata['class'] !== LOGISTIC_REGRESSION_MODEL_CLASS) {
    throw schemaError(file, `class is ${JSON.stringify(metadata['class'])}, expected ${LOGISTIC_REGRESSION_MODEL_CLASS}`);
  }
  return metadata;
}

/** The first part file of a Spark dataset folder (Spark skips names starting with `_` or `.`). */
async function firstDataFile(dir: string, suffix: string): Promise<string> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new KindlingError(
      'E_IO',
      `cannot read model folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { path: dir },
      { cause: err },
    );
  }
  const parts = names.filter((n) => !n.startsWith('_') && !n.startsWith('.') && n.endsWith(suffix)).sort();
  const first = parts[0];
  if (first === undefined) {
    throw new KindlingError('E_IO', `model folder ${dir} has no part file`, { path: dir });
  }
  return nodePath.join(dir, first);
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new KindlingError(
      'E_IO',
      `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { path: file },
      { cause: err },
    );
  }
}

/** Values of a VectorUDT struct, dense (type 1) or sparse (type 0). */
function vectorValues(value: unknown, where: string): Float64Array {
  const v = asStruct(value, where);
  const type = toNumber(v['type'], `${where}.type`);
  const values = fromParquetList(v['values'], `${where}.values`) ?? [];
  if (type === 1) return Float64Array.from(values);
  if (type === 0) {
    const size = toNumber(v['size'], `${where}.size`);
    const indices = fromParquetList(v['indices'], `${where}.indices`) ?? [];
    return scatter(size, indices, values, where);
  }
  throw new KindlingError('E_SCHEMA', `${where}: unknown vector type ${type}`, { where });
}

/** The single row of a 1 × numCols MatrixUDT struct, dense or sparse, either orientation. */
function matrixRow(value: unknown, numFeatures: number, where: string): Float64Array {
  const m = asStruct(value, where);
  const type = toNumber(m['type'], `${where}.type`);
  const numRows = toNumber(m['numRows'], `${where}.numRows`);
  const numCols = toNumber(m['numCols'], `${where}.numCols`);
  if (numRows !== 1 || numCols !== numFeatures) {
    throw new KindlingError('E_SCHEMA', `${where}: is ${numRows} × ${numCols}, expected 1 × ${numFeatures}`, { where });
  }
  const values = fromParquetList(m['values'], `${where}.values`) ?? [];
  // With one row, column-major and row-major dense storage are the same sequence.
  if (type === 1) {
    if (values.length !== numCols) {
      throw new KindlingError('E_SCHEMA', `${where}: ${values.length} values for ${numCols} columns`, { where });
    }
    return Float64Array.from(values);
  }
  if (type !== 0) throw new KindlingError('E_SCHEMA', `${where}: unknown matrix type ${type}`, { where });
  const colPtrs = fromParquetList(m['colPtrs'], `${where}.colPtrs`) ?? [];
  const rowIndices = fromParquetList(m['rowIndices'], `${where}.rowIndices`) ?? [];
  if (m['isTransposed'] === true) {
    // CSR of one row: colPtrs = [0, nnz], rowIndices hold column indices.
    return scatter(numCols, rowIndices, values, where);
  }
  // CSC: column j holds entries colPtrs[j] .. colPtrs[j+1]-1, all in row 0.
  const out = new Float64Array(numCols);
  for (let j = 0; j < numCols; j++) {
    const start = colPtrs[j] ?? 0;
    const end = colPtrs[j + 1] ?? start;
    for (let k = start; k < end; k++) out[j] = values[k] ?? 0;
  }
  return out;
}

function scatter(size: number, indices: number[], values: number[], where: string): Float64Array {
  if (indices.length !== values.length) {
    throw new KindlingError('E_SCHEMA', `${where}: ${indices.length} indices for ${values.length} values`, { where });
  }
  const out = new Float64Array(size);
  indices.forEach((index, k) => {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new KindlingError('E_SCHEMA', `${where}: index ${index} outside 0..${size - 1}`, { where });
    }
    out[index] = values[k] as number;
  });
  return out;
}

function asStruct(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new KindlingError('E_SCHEMA', `${where}: expected a struct, found ${String(value)}`, { where });
  }
  return value as Record<string, unknown>;
}

async function readFeatureNames(file: string, numFeatures: number): Promise<string[] | undefined> {
  const parsed = await readOptionalJson(file);
  if (parsed === undefined) return undefined; // a model saved by Spark has no model.json
  const names = (parsed as { featureNames?: unknown } | null)?.featureNames;
  if (!Array.isArray(names) || names.length !== numFeatures || !names.every((n) => typeof n === 'string')) {
    throw schemaError(file, `featureNames must list ${numFeatures} strings`);
  }
  return names as string[];
}

/**
 * The parsed JSON of Kindling's readable copy beside a Spark folder (model.json,
 * pipeline.json): undefined when there is none (Spark writes none), E_SCHEMA when it is not JSON.
 */
export async function readOptionalJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw schemaError(file, `is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** E_SCHEMA naming the file of a model folder. */
export function schemaError(file: string, message: string): KindlingError {
  return new KindlingError('E_SCHEMA', `${file}: ${message}`, { path: file });
}
