/**
 * Worker-thread side of the executor's pool: runs one kernel on the blocks it is handed and
 * returns the partial result. It reads the partition's byte range from the source file
 * itself (so raw CSV bytes never pass through the main thread) and otherwise calls only the
 * pure kernels of @kindling/shared: no transport, no block store, no config.
 *
 * THREADING: runs inside piscina worker threads, one request at a time per thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import {
  buildFeatureLayout,
  encodePartition,
  evaluateBlock,
  inferPartition,
  KindlingError,
  logisticGradient,
  parsePartition,
  sparkSplitKeys,
  summarizeBlock,
  toWireError,
  type EncodingPlan,
  type PartitionLineage,
  type Schema,
} from '@kindling/shared/compute';
import type { WorkerRequest, WorkerResponse, WorkerResultByType } from './thread-messages.js';

if (isMainThread) {
  throw new KindlingError('E_INTERNAL', 'task-worker.js must run inside a worker thread of the executor pool');
}

/** Piscina entry point. */
export default function runWorkerRequest(req: WorkerRequest): WorkerResponse<WorkerResultByType[WorkerRequest['type']]> {
  try {
    return { ok: true, value: dispatch(req) };
  } catch (err) {
    return { ok: false, error: toWireError(err) };
  }
}

function dispatch(req: WorkerRequest): WorkerResultByType[WorkerRequest['type']] {
  switch (req.type) {
    case 'csv-infer':
      return inferPartition(req.bytes ?? readRange(req.lineage), req.lineage.source, req.lineage.csv, null, req.lineage.source.fileSize);
    case 'csv-load': {
      const { batch, partial } = parsePartition(
        req.bytes ?? readRange(req.lineage),
        req.lineage.source,
        req.lineage.csv,
        requireSchema(req.lineage),
        req.lineage.firstRowId,
        req.lineage.firstLine ?? null,
        req.lineage.source.fileSize,
      );
      return { rows: batch, partial };
    }
    case 'encode':
      return encodePartition(req.rows, requireEncoding(req.lineage), basename(req.lineage.source.file), req.lineage.splitAssignment);
    case 'spark-split-keys':
      return sparkSplitKeys(req.rows, requireEncoding(req.lineage), req.keyColumns, basename(req.lineage.source.file));
    case 'summarize': {
      const layout = buildFeatureLayout(requireEncoding(req.lineage).features);
      return summarizeBlock(req.train, layout.numFeatures, layout.numericIndex);
    }
    case 'gradient': {
      const layout = buildFeatureLayout(requireEncoding(req.lineage).features);
      return logisticGradient(req.train, layout.numericIndex, req.beta, req.intercept);
    }
    case 'evaluate': {
      const layout = buildFeatureLayout(requireEncoding(req.lineage).features);
      return evaluateBlock(req.block, layout.numericIndex, req.beta, req.intercept, {
        score: req.score,
        threshold: req.threshold,
        predictions: req.predictions,
      });
    }
  }
}

/** Reads exactly the partition's byte range; the OS page cache makes rebuilds cheap. */
function readRange(lineage: PartitionLineage): Uint8Array {
  const { file, start, end } = lineage.source;
  const out = Buffer.allocUnsafe(end - start);
  const fd = openSync(file, 'r');
  try {
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, start + at);
      if (n === 0) {
        throw new KindlingError('E_IO', `${file}: file ended at byte ${start + at}, expected ${end} (was it changed while the job ran?)`, { file });
      }
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function requireSchema(lineage: PartitionLineage): Schema {
  if (!lineage.schema) throw new KindlingError('E_INTERNAL', `partition ${lineage.source.index}: load task sent without a schema`);
  return lineage.schema;
}

function requireEncoding(lineage: PartitionLineage): EncodingPlan {
  if (!lineage.encoding) throw new KindlingError('E_INTERNAL', `partition ${lineage.source.index}: task sent without an encoding plan`);
  return lineage.encoding;
}
