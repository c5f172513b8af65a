/**
 * Writes the predictions dataset (`predictions/` in the job output): one Parquet part file per
 * partition, `part-00000.parquet`, … in partition order, with columns rowId, label, probability
 * (P(label = 1)) and prediction, plus `_SUCCESS` on close. A multinomial writer (numClasses K)
 * writes rowId, label, prediction and the K-vector of probabilities as probability_0 … probability_{K−1}. The driver calls writePart() as each
 * partition's scored rows arrive, in partition order, so output bytes do not depend on timing.
 * Columns go straight from the Float64Arrays into Parquet pages (parquet-file-writer.ts): no
 * per-row objects, so 300k rows take tens of milliseconds instead of seconds.
 */
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import { ParquetFileWriter, type ParquetCodec, type ParquetNode } from './parquet-file-writer.js';
import { SPARK_ROW_METADATA_KEY, makeFolder, sparkField, sparkStruct, writeTextFile } from './spark-parquet.js';

/**
 * Compression of the features output (features-writer.ts). Its sparse vectors shrink several-fold
 * under GZIP; SNAPPY here is literal-only (parquet-file-writer.ts), so it would not shrink anything.
 */
export const BULK_COMPRESSION = 'GZIP';
/**
 * Compression of predictions. Measured on 300k rows (the 1M-row job's test split): uncompressed
 * 9.6 MB in ~30 ms of CPU, GZIP level 1 3.0 MB in ~190 ms, GZIP level 6 2.9 MB in ~470 ms. The
 * probabilities are random doubles that no codec shrinks much, so time wins over bytes.
 */
export const PREDICTIONS_COMPRESSION: ParquetCodec = 'UNCOMPRESSED';
/** Rows per row group for predictions: bounds writer memory to a few MB. */
export const PREDICTIONS_ROW_GROUP_ROWS = 65_536;

/** One partition's scored rows (all arrays the same length). */
export interface PredictionRows {
  /** Integers; executors send them in Uint32Array when they fit. */
  readonly rowIds: Float64Array | Uint32Array;
  /** Class indices; in Uint8Array when they fit, as evaluate sends them. */
  readonly label: Float64Array | Uint8Array;
  /** P(label = 1); for a multinomial writer numRows × K values, row-major (row r's K-vector at r·K). */
  readonly probability: Float64Array;
  readonly prediction: Float64Array | Uint8Array;
}

const PARQUET_SCHEMA: readonly ParquetNode[] = [
  { name: 'rowId', repetition: 'REQUIRED', type: 'INT64', compression: PREDICTIONS_COMPRESSION },
  { name: 'label', repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION },
  { name: 'probability', repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION },
  { name: 'prediction', repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION },
];

const SPARK_SCHEMA = sparkStruct([
  sparkField('rowId', 'long', false),
  sparkField('label', 'double', false),
  sparkField('probability', 'double', false),
  sparkField('prediction', 'double', false),
]);

/** Name of partition `partition`'s part file. */
export function partFileName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}.parquet`;
}

/** Writes a predictions folder part by part. */
export class PredictionsWriter {
  /** The folder written into. */
  readonly dir: string;
  private lastPartition = -1;
  private closed = false;
  /** Writes run one at a time (memory stays at one row group) and close() waits for them. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The first part failure, reported again by close() so no `_SUCCESS` marks a broken folder. */
  private failure: unknown = undefined;

  private readonly rowGroupRows: number;
  /** K for a multinomial writer (probability holds numRows × K values), else undefined. */
  private readonly numClasses: number | undefined;

  private constructor(dir: string, rowGroupRows: number, numClasses: number | undefined) {
    this.dir = dir;
    this.rowGroupRows = rowGroupRows;
    this.numClasses = numClasses;
  }

  /**
   * Creates `dir` (and parents) and returns a writer for it. `rowGroupRows` (default
   * PREDICTIONS_ROW_GROUP_ROWS) caps the rows buffered before a row group is flushed.
   */
  static async open(dir: string, options: { rowGroupRows?: number; numClasses?: number } = {}): Promise<PredictionsWriter> {
    await makeFolder(dir);
    return new PredictionsWriter(dir, options.rowGroupRows ?? PREDICTIONS_ROW_GROUP_ROWS, options.numClasses);
  }

  /**
   * Writes one partition's rows to its part file and returns the file's path. Partitions must
   * come in increasing order (gaps allowed); an empty partition still gets a file.
   */
  async writePart(partition: number, rows: PredictionRows): Promise<string> {
    if (this.closed) throw internal(`predictions writer for ${this.dir} is closed`);
    if (!Number.isInteger(partition) || partition <= this.lastPartition) {
      throw internal(
        `predictions partition ${partition} written after partition ${this.lastPartition}; ` +
          'parts must be written in increasing partition order',
      );
    }
    const n = rows.rowIds.length;
    if (rows.label.length !== n || rows.probability.length !== n * (this.numClasses ?? 1) || rows.prediction.length !== n) {
      throw internal(
        `predictions partition ${partition}: column lengths differ (rowIds ${n}, label ` +
          `${rows.label.length}, probability ${rows.probability.length}, prediction ${rows.prediction.length})`,
      );
    }
    this.lastPartition = partition;
    for (let i = 0; i < n; i++) {
      const rowId = rows.rowIds[i] as number;
      if (!Number.isSafeInteger(rowId)) {
        const err = internal(`predictions partition ${partition}, row ${i}: rowId ${rowId} is not an integer`);
        this.failure ??= err;
        throw err;
      }
    }
    const file = nodePath.join(this.dir, partFileName(partition));
    const K = this.numClasses;
    const write = this.tail
      .catch(() => undefined)
      .then(() =>
        K === undefined ? writePredictionsFile(file, rows, this.rowGroupRows) : writeMulticlassFile(file, rows, K, this.rowGroupRows),
      );
    this.tail = write;
    try {
      await write;
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    return file;
  }

  /**
   * Waits for pending parts and marks the folder complete with `_SUCCESS`; rejects (writing no
   * marker) when a part failed. Later writePart() calls fail.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
    await writeTextFile(nodePath.join(this.dir, '_SUCCESS'), '');
  }
}

/** One part file: row groups cut straight out of the partition's arrays (no copies on little-endian hosts). */
async function writePredictionsFile(file: string, rows: PredictionRows, rowGroupRows: number): Promise<void> {
  const writer = await ParquetFileWriter.open(file, PARQUET_SCHEMA, {
    metadata: { [SPARK_ROW_METADATA_KEY]: JSON.stringify(SPARK_SCHEMA) },
  });
  try {
    const n = rows.rowIds.length;
    const step = Math.max(1, rowGroupRows);
    for (let start = 0; start < n; start += step) {
      const end = Math.min(n, start + step);
      await writer.writeRowGroup(end - start, [
        { values: rows.rowIds.subarray(start, end) },
        { values: rows.label.subarray(start, end) },
        { values: rows.probability.subarray(start, end) },
        { values: rows.prediction.subarray(start, end) },
      ]);
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** A multinomial part file: probability (numRows × K, row-major) split into one column per class. */
async function writeMulticlassFile(file: string, rows: PredictionRows, K: number, rowGroupRows: number): Promise<void> {
  const probColumns = Array.from({ length: K }, (_, k) => `probability_${k}`);
  const schema: ParquetNode[] = [
    { name: 'rowId', repetition: 'REQUIRED', type: 'INT64', compression: PREDICTIONS_COMPRESSION },
    { name: 'label', repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION },
    { name: 'prediction', repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION },
    ...probColumns.map((name): ParquetNode => ({ name, repetition: 'REQUIRED', type: 'DOUBLE', compression: PREDICTIONS_COMPRESSION })),
  ];
  const sparkSchema = sparkStruct([
    sparkField('rowId', 'long', false),
    sparkField('label', 'double', false),
    sparkField('prediction', 'double', false),
    ...probColumns.map((name) => sparkField(name, 'double', false)),
  ]);
  const writer = await ParquetFileWriter.open(file, schema, { metadata: { [SPARK_ROW_METADATA_KEY]: JSON.stringify(sparkSchema) } });
  try {
    const n = rows.rowIds.length;
    const step = Math.max(1, rowGroupRows);
    for (let start = 0; start < n; start += step) {
      const end = Math.min(n, start + step);
      const perClass = Array.from({ length: K }, (_, k) => {
        const col = new Float64Array(end - start);
        for (let r = start; r < end; r++) col[r - start] = rows.probability[r * K + k]!;
        return { values: col };
      });
      await writer.writeRowGroup(end - start, [
        { values: rows.rowIds.subarray(start, end) },
        { values: rows.label.subarray(start, end) },
        { values: rows.prediction.subarray(start, end) },
        ...perClass,
      ]);
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

function internal(message: string): KindlingError {
  return new KindlingError('E_INTERNAL', message);
}
