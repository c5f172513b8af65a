/**
 * The shape of a task op: everything about one kind of task, declared in one file under ops/
 * — the wire schemas of its params and of its per-partition result, the block it reads, the
 * kernel a worker thread runs, the blocks it caches, and (where the driver combines partials
 * in a fixed way) its merge. The registry (ops/registry.ts) lists the ops; the codec, the
 * executor's task runner, its worker threads and the driver all look ops up there, so adding
 * an op is one new file plus one line.
 *
 * Nothing here imports zod at run time: schemas are factories over the zod the codec passes
 * in, so worker threads, which run only `run`, never load it.
 */
import type { z as Zod } from 'zod';
import type { ColumnBatch } from '../columnar/column-batch.js';
import type { DesignBlock } from '../columnar/design-block.js';
import type { JobPlan, PartitionLineage } from '../tasks.js';
import type { SchemaKit } from '../wire/schema-kit.js';

/**
 * What a task reads: the partition's source bytes (read by the worker itself, or fetched from
 * the driver), its cached parsed rows, or one of its cached train/test design blocks.
 */
export type OpInputKind = 'source' | 'rows' | 'design';

/** The value a kernel receives for each input kind. */
export interface OpInputByKind {
  source: Uint8Array;
  rows: ColumnBatch;
  design: DesignBlock;
}

/** Blocks a kernel produced, cached by the executor under (job, partition, name). */
export interface OpBlocks {
  readonly rows?: ColumnBatch;
  readonly train?: DesignBlock;
  readonly test?: DesignBlock;
}

/** What a kernel returns: the partial sent to the driver, and blocks to cache. */
export interface OpOutput<R> {
  readonly partial: R;
  readonly blocks?: OpBlocks;
}

/** The zod schemas an op declares. */
export interface OpSchemas<P, R> {
  readonly params: Zod.ZodType<P>;
  readonly result: Zod.ZodType<R>;
}

/** One task op. P = params sent with each launch, R = per-partition result. */
export interface TaskOpDefinition<
  Name extends string = string,
  P = unknown,
  R = unknown,
  K extends OpInputKind = OpInputKind,
  M = unknown,
> {
  readonly name: Name;
  /** Wire schemas of the params and of the result, built over the codec's zod. */
  readonly schemas: (z: typeof Zod, kit: SchemaKit) => OpSchemas<P, R>;
  /** What the kernel reads. */
  readonly input: K;
  /** For `design` input: which block (train or test), from the params. */
  readonly split?: (params: P) => 'train' | 'test';
  /** Worker side: the pure kernel over the input, the partition's lineage and the params. */
  readonly run: (input: OpInputByKind[K], lineage: PartitionLineage, params: P) => OpOutput<R>;
  /**
   * Worker side, before `run`: modules the kernel needs that the thread does not load up
   * front (the Parquet reader: parquet/hyparquet-library.ts). Returns a promise the thread
   * awaits, or undefined when nothing is missing; `run` itself stays synchronous.
   */
  readonly prepare?: (lineage: PartitionLineage) => Promise<void> | undefined;
  /**
   * For a cached input: true when the cached block cannot serve this task and must be rebuilt
   * from lineage first (csv-conform: a scanned block whose types cannot widen in place).
   * Runs on the executor's main thread, so it must be cheap.
   */
  readonly stale?: (input: OpInputByKind[K], lineage: PartitionLineage) => boolean;
  /**
   * For `design` input: at most this many cached partitions per group request (see the
   * executor's TaskRunner.runMany). A group's partials come back together when its last
   * partition is done, so an op whose partials are large (a partition's distinct scores, its
   * predictions, its whole block) runs in small groups: each group's partials travel to the
   * driver while the next group computes. Unset: one group per launch, for passes whose
   * partials are a few KB (gradients), where a round trip per group is what costs.
   */
  readonly groupSize?: number;
  /** Cached blocks of the partition this op makes obsolete once it ran (encode frees the rows). */
  readonly frees?: readonly ('rows' | 'train' | 'test')[];
  /** Driver side: combines the partials of a stage, given in partition order (determinism). */
  readonly merge?: (parts: readonly R[], plan: JobPlan) => M;
}

/** Params type of an op. */
export type ParamsOf<D> = D extends TaskOpDefinition<infer _N, infer P, infer _R, infer _K, infer _M> ? P : never;
/** Result type of an op. */
export type ResultOf<D> = D extends TaskOpDefinition<infer _N, infer _P, infer R, infer _K, infer _M> ? R : never;

/** An op as defineOp returns it: `merge` is required in the type when the op declares one. */
export type DefinedOp<Name extends string, P, R, K extends OpInputKind, M> = TaskOpDefinition<Name, P, R, K, M> &
  ([M] extends [never] ? unknown : { readonly merge: (parts: readonly R[], plan: JobPlan) => M });

/** Declares an op; only types are checked here (identity at run time). */
export function defineOp<Name extends string, P, R, K extends OpInputKind, M = never>(
  def: TaskOpDefinition<Name, P, R, K, M>,
): DefinedOp<Name, P, R, K, M> {
  return def as DefinedOp<Name, P, R, K, M>;
}
