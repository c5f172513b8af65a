/**
 * Writes the predictions dataset (`predictions/` in the job output): one Parquet part file per
 * partition, `part-00000.parquet`, … in partition order, with columns rowId, label, probability
 * (P(label = 1)) and prediction, plus `_SUCCESS` on close. The driver calls writePart() as each
 * partition's scored rows arrive, in partition order, so output bytes do not depend on timing.
 */
import * as nodePath from 'node:path';
import { KindlingError } from '@kindling/shared';
import { makeFolder, sparkField, sparkStruct, writeParquetFile, writeTextFile } from './spark-parquet.js';

/** Compression of the bulk outputs: GZIP wrote as fast as SNAPPY here and ~30% smaller. */
export const BULK_COMPRESSION = 'GZIP';
/** Rows per row group for predictions: bounds writer memory to a few MB. */
export const PREDICTIONS_ROW_GROUP_ROWS = 65_536;

/** One partition's scored rows (all arrays the same length). */
export interface PredictionRows {
  readonly rowIds: Float64Array;
  readonly label: Float64Array;
  /** P(label = 1). */
  readonly probability: Float64Array;
  readonly prediction: Float64Array;
}

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

  private constructor(dir: string, rowGroupRows: number) {
    this.dir = dir;
    this.rowGroupRows = rowGroupRows;
  }

  /**
   * Creates `dir` (and parents) and returns a writer for it. `rowGroupRows` (default
   * PREDICTIONS_ROW_GROUP_ROWS) caps the rows buffered before a row group is flushed.
   */
  static async open(dir: string, options: { rowGroupRows?: number } = {}): Promise<PredictionsWriter> {
    await makeFolder(dir);
    return new PredictionsWriter(dir, options.rowGroupRows ?? PREDICTIONS_ROW_GROUP_ROWS);
  }

  /**
   * Writes one partition's rows to its part file and returns the file's path. Partitions must
   * come in increasing order (gaps allowed); an empty partition still gets a file.
   */
  async writePart(partition: number, rows: PredictionRows): Promise<string> {
    if (this.closed) throw internal(`predictions writer for ${this.dir} is closed`);
    if (!Number.isInteger(partition) || partition <= this.lastPartition) {
      throw internal(`predictions partition ${partition} written after partition ${this.lastPartition}; ` +
        'parts must be written in increasing partition order');
    }
    const n = rows.rowIds.length;
    if (rows.label.length !== n || rows.probability.length !== n || rows.prediction.length !== n) {
      throw internal(`predictions partition ${partition}: column lengths differ (rowIds ${n}, label ` +
        `${rows.label.length}, probability ${rows.probability.length}, prediction ${rows.prediction.length})`);
    }
    this.lastPartition = partition;
    const file = nodePath.join(this.dir, partFileName(partition));
    const write = this.tail.catch(() => undefined).then(() => writeParquetFile(file, {
      rowId: { type: 'INT64', compression: BULK_COMPRESSION },
      label: { type: 'DOUBLE', compression: BULK_COMPRESSION },
      probability: { type: 'DOUBLE', compression: BULK_COMPRESSION },
      prediction: { type: 'DOUBLE', compression: BULK_COMPRESSION },
    }, SPARK_SCHEMA, predictionRows(partition, rows), { rowGroupSize: this.rowGroupRows }));
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

function* predictionRows(partition: number, rows: PredictionRows): Generator<Record<string, unknown>> {
  for (let i = 0; i < rows.rowIds.length; i++) {
    const rowId = rows.rowIds[i] as number;
    if (!Number.isSafeInteger(rowId)) {
      throw internal(`predictions partition ${partition}, row ${i}: rowId ${rowId} is not an integer`);
    }
    yield { rowId, label: rows.label[i], probability: rows.probability[i], prediction: rows.prediction[i] };
  }
}

function internal(message: string): KindlingError {
  return new KindlingError('E_INTERNAL', message);
}
