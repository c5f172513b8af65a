/**
 * Worker-thread side of the executor's pool: runs one registered op's kernel on the input it
 * is handed and returns the op's output. For ops that read the source it reads the
 * partition's bytes from the file itself (so raw input bytes never pass through the main
 * thread) unless the executor fetched them from the driver. Otherwise it calls only the pure
 * kernels of @kindling/shared/compute: no transport, no block store, no config, no zod.
 *
 * THREADING: runs inside piscina worker threads, one request at a time per thread; the
 * copies of a group request on several threads share only the claim counter.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isMainThread, threadId, workerData } from 'node:worker_threads';
import {
  anyTaskOp,
  KindlingError,
  type ColumnBatch,
  type DesignBlock,
  inputChangedError,
  partitionByteLength,
  partitionByteRanges,
  toWireError,
  type PartitionLineage,
  type TaskOp,
} from '@kindling/shared/compute';
import { arrayBytes } from '../storage/array-bytes.js';
import { blockBytes } from '../storage/block-store.js';
import { collectFully, MemoryReclaimer } from '../storage/memory-reclaimer.js';
import type {
  WorkerGroupRequest,
  WorkerGroupResponse,
  WorkerInput,
  WorkerProbeRequest,
  WorkerProbeResponse,
  WorkerRequest,
  WorkerResponse,
} from './thread-messages.js';
import { ThreadHeapRecorder } from './thread-heaps.js';
import type { TaskWorkerData } from './thread-pool.js';

if (isMainThread) {
  throw new KindlingError('E_INTERNAL', 'task-worker.js must run inside a worker thread of the executor pool');
}

/**
 * Piscina entry point. Synchronous unless the op must first load a module this thread has not
 * (its `prepare`, e.g. the Parquet reader for a Parquet partition): then the answer is a promise.
 */
export default function runWorkerRequest(
  req: WorkerRequest | WorkerGroupRequest | WorkerProbeRequest,
): WorkerResponse | WorkerGroupResponse | WorkerProbeResponse | Promise<WorkerResponse | WorkerGroupResponse> {
  if ('probe' in req) return probe(req);
  const run = (): WorkerResponse | WorkerGroupResponse => {
    const res = 'group' in req ? runGroup(req) : runOne(req.op, req.lineage, req.params, req.input);
    heaps?.record();
    return res;
  };
  const pending = preparing(req);
  return pending === undefined ? run() : pending.then(run, (err: unknown) => failed(req, err));
}

/**
 * Waits until every copy of the probe has reached a thread (so this thread takes no second
 * copy), or until waitMs has passed, then collects when asked and records this thread's heap.
 */
function probe(req: WorkerProbeRequest): WorkerProbeResponse {
  const until = Date.now() + req.waitMs;
  Atomics.add(req.arrived, 0, 1);
  Atomics.notify(req.arrived, 0);
  for (let n = Atomics.load(req.arrived, 0); n < req.copies; n = Atomics.load(req.arrived, 0)) {
    const left = until - Date.now();
    if (left <= 0) break;
    Atomics.wait(req.arrived, 0, n, left);
  }
  if (req.collect) collectFully();
  heaps?.record();
  return { threadId };
}

/** What the request's op must load first (each item's lineage asked), or undefined. */
function preparing(req: WorkerRequest | WorkerGroupRequest): Promise<unknown> | undefined {
  let prepare;
  try {
    prepare = anyTaskOp(req.op).prepare;
  } catch {
    return undefined; // an unknown op fails in runOne, with its own message
  }
  if (prepare === undefined) return undefined;
  const waits = ('group' in req ? req.items.map((i) => i.lineage) : [req.lineage]).map((l) => prepare(l)).filter((p) => p !== undefined);
  return waits.length === 0 ? undefined : Promise.all(waits);
}

/** A module that would not load fails every task of the request with the reason. */
function failed(req: WorkerRequest | WorkerGroupRequest, err: unknown): WorkerResponse | WorkerGroupResponse {
  const error = toWireError(
    err instanceof KindlingError ? err : new KindlingError('E_INTERNAL', `${req.op}: a module it needs did not load: ${String(err)}`),
  );
  return 'group' in req ? { results: req.items.map((_, index) => ({ index, response: { ok: false, error } })) } : { ok: false, error };
}

function runOne(name: TaskOp, lineage: PartitionLineage, params: unknown, input: WorkerInput): WorkerResponse {
  try {
    const op = anyTaskOp(name);
    reclaimer.beforeTask(name);
    const given = inputValue(input, lineage);
    const value = op.run(given as never, lineage, params);
    // The partition's bytes (read here, or fetched and shared by the main thread) are garbage
    // now, 4 MiB a task by default: collected every DEFAULT_RECLAIM_BYTES, not whenever V8's
    // external-memory limit is reached.
    if (input.kind === 'source') reclaimer.noteDropped((given as Uint8Array).byteLength, name);
    noteFreedInput(name, input, op.frees);
    // This thread keeps no handle on what it returns: once the main thread has sent or cached
    // it, its memory waits only for this thread's collection (an evaluate group returns ~35 MB).
    reclaimer.noteDropped(arrayBytes(value, true), name);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toWireError(err) };
  }
}

/** Claims items of a group until none is left; one item failing fails only its own task. */
function runGroup(req: WorkerGroupRequest): WorkerGroupResponse {
  const results: Array<{ index: number; response: WorkerResponse }> = [];
  for (let index = Atomics.add(req.next, 0, 1); index < req.items.length; index = Atomics.add(req.next, 0, 1)) {
    const item = req.items[index]!;
    results.push({ index, response: runOne(req.op, item.lineage, req.params, item.input) });
  }
  return { results };
}

/** This thread's handles on blocks the executor drops after the task (encode frees the rows). */
const reclaimer = new MemoryReclaimer();

/**
 * The store drops the block this task read when the op frees it; this thread's handles on it
 * are garbage then, and the memory returns only once every thread has collected them.
 */
function noteFreedInput(op: TaskOp, input: WorkerInput, frees: readonly string[] | undefined): void {
  if (!frees) return;
  if (input.kind === 'rows' && frees.includes('rows')) reclaimer.noteDropped(blockBytes(input.rows), op);
  else if (input.kind === 'design' && frees.some((f) => f === 'train' || f === 'test')) reclaimer.noteDropped(blockBytes(input.block), op);
}

/** What the op's kernel takes (the op's declared input kind matches the request's: task-runner.ts builds it from the op). */
function inputValue(input: WorkerInput, lineage: PartitionLineage): Uint8Array | ColumnBatch | DesignBlock {
  switch (input.kind) {
    case 'source':
      return input.bytes ?? readRange(lineage);
    case 'rows':
      return input.rows;
    case 'design':
      return input.block;
  }
}

/**
 * Reads exactly the partition's bytes (its range; a Parquet partition also the file's footer,
 * see partition-bytes.ts), concatenated; the OS page cache makes rebuilds cheap.
 */
function readRange(lineage: PartitionLineage): Uint8Array {
  const { file } = lineage.source;
  const out = Buffer.allocUnsafe(partitionByteLength(lineage.source));
  const fd = openSync(file, 'r');
  try {
    // Offsets of the plan (split points, a Parquet footer) mean nothing in a file of another size.
    const { fileSize } = lineage.source;
    if (fileSize !== undefined) {
      const size = fstatSync(fd).size;
      if (size !== fileSize) throw inputChangedError(file, size, fileSize);
    }
    let at = 0;
    for (const [start, end] of partitionByteRanges(lineage.source)) {
      for (let pos = start; pos < end;) {
        const n = readSync(fd, out, at, end - pos, pos);
        if (n === 0) {
          throw new KindlingError('E_IO', `${file}: file ended at byte ${pos}, expected ${end} (was it changed while the job ran?)`, {
            file,
          });
        }
        at += n;
        pos += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** This thread's slot of the pool's heap figures (thread-heaps.ts). */
const heaps = (workerData as TaskWorkerData | undefined)?.heaps && new ThreadHeapRecorder((workerData as TaskWorkerData).heaps);
heaps?.record();

// Last statement of the module: this thread's modules are loaded, so the pool may terminate it
// safely from now on (ThreadPool.close).
const loaded = (workerData as TaskWorkerData | undefined)?.loaded;
if (loaded) Atomics.add(loaded, 0, 1);
