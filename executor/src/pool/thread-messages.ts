/**
 * Messages between the executor's main thread and its worker threads (not the wire
 * protocol): a request names a registered op, the partition's lineage, the op's params and
 * its input; the response carries the op's output or its error. A group request carries one
 * op over several partitions whose blocks are cached (an L-BFGS evaluation): each thread that
 * gets a copy claims partitions one at a time until none is left, so a launch costs one
 * round trip per thread instead of one per partition. Only plain data crosses:
 * SharedArrayBuffer-backed blocks (shared, not copied), the lineage (JSON-like) and small
 * params. No functions, no transport, no config.
 */
import type { ColumnBatch, DesignBlock, OpOutput, PartitionLineage, TaskOp, WireError } from '@kindling/shared/compute';

/**
 * The op's input: for `source` ops the partition's bytes when the executor fetched them (no
 * shared file) or nothing (the worker reads its byte range itself); else the cached block.
 */
export type WorkerInput =
  | { readonly kind: 'source'; readonly bytes?: Uint8Array }
  | { readonly kind: 'rows'; readonly rows: ColumnBatch }
  | { readonly kind: 'design'; readonly block: DesignBlock };

/** Main → worker. */
export interface WorkerRequest {
  readonly op: TaskOp;
  readonly lineage: PartitionLineage;
  readonly params: unknown;
  readonly input: WorkerInput;
}

/**
 * Worker → main. Errors are returned, not thrown: structured clone keeps an Error's message
 * but drops its `code` and details, and the task scheduler branches on the code.
 */
export type WorkerResponse = { readonly ok: true; readonly value: OpOutput<unknown> } | { readonly ok: false; readonly error: WireError };

/** One partition of a group request. */
export interface WorkerGroupItem {
  readonly lineage: PartitionLineage;
  readonly input: WorkerInput;
}

/**
 * Main → worker: `op` with `params` over `items`. Every thread running a copy takes the next
 * unclaimed item (`Atomics.add(next, 0, 1)`) until none is left; a copy that starts late
 * finds nothing to do and answers at once.
 */
export interface WorkerGroupRequest {
  readonly group: true;
  readonly op: TaskOp;
  readonly params: unknown;
  readonly items: readonly WorkerGroupItem[];
  /** Index of the next unclaimed item, shared by every copy of the request. */
  readonly next: Int32Array;
}

/** Worker → main: the outcome of each item this copy claimed, by index into `items`. */
export interface WorkerGroupResponse {
  readonly results: ReadonlyArray<{ readonly index: number; readonly response: WorkerResponse }>;
}

/**
 * Main → worker: a heap probe (ThreadPool.probeThreads). One copy goes to every thread; each
 * waits (bounded by `waitMs`) until all copies have arrived, so no thread takes two and every
 * thread answers, then collects its garbage when `collect` is set and records its heap figures.
 */
export interface WorkerProbeRequest {
  readonly probe: true;
  readonly collect: boolean;
  /** Copies that have reached a thread, shared by every copy. */
  readonly arrived: Int32Array;
  readonly copies: number;
  readonly waitMs: number;
}

/** Worker → main: which thread answered the probe. */
export interface WorkerProbeResponse {
  readonly threadId: number;
}
