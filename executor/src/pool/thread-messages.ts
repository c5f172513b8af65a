/**
 * Messages between the executor's main thread and its worker threads (not the wire
 * protocol): a request names a registered op, the partition's lineage, the op's params and
 * its input; the response carries the op's output or its error. Only plain data crosses:
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
