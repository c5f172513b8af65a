/**
 * TaskRunner: runs one task attempt on this executor — finds (or rebuilds) the block the op
 * reads, sends the op's kernel to the thread pool, caches the blocks it produces and frees
 * the ones it makes obsolete. Generic over the op registry: an op declares what it reads and
 * writes (shared/src/ops), this module does the block I/O for all of them.
 *
 * A missing block is rebuilt from the job plan's lineage (source byte range → rows → encoded
 * train/test, by the ops BLOCK_PRODUCERS names, or straight from the source by the plan's
 * designProducer for a features input), so any executor can run any task: losing an
 * executor, or scaling up, loses no data. Concurrent tasks needing the same missing block
 * share one rebuild. Under a memory budget the store evicts cached blocks; a task pins the
 * block it reads for as long as it runs, so only idle blocks are evicted, and a block rebuilt
 * for a task is handed to it even when the store had to evict it again at once (a budget
 * smaller than one block then costs a rebuild per task, never a loop). A cached block an op
 * declares stale (csv-conform: a scanned block whose types cannot widen in place) is dropped
 * and rebuilt the same way, as is a scan's provisional block for any other op.
 * THREADING: main thread; kernels run on the ThreadPool.
 */
import {
  anyTaskOp,
  BLOCK_PRODUCERS,
  KindlingError,
  lineageOf,
  type ColumnBatch,
  type DesignBlock,
  type JobId,
  type JobPlan,
  type OpOutput,
  type PartitionLineage,
  type TaskOp,
} from '@kindling/shared/compute';
import type { ThreadPool } from './pool/thread-pool.js';
import type { WorkerInput } from './pool/thread-messages.js';
import type { Block, BlockKey, BlockStore, PinnedBlock } from './storage/block-store.js';

/**
 * Supplies a partition's source bytes when the worker cannot read the file itself (an
 * executor without the input on its file system fetches them from the driver). Resolving
 * undefined means: read `lineage.source.file` directly.
 */
export type SourceBytesProvider = (jobId: JobId, lineage: PartitionLineage, op: TaskOp) => Promise<Uint8Array | undefined>;

/** Runs tasks against a block store and a thread pool. */
export class TaskRunner {
  private readonly rebuilding = new Map<string, Promise<unknown>>();

  /**
   * `inputDone`: handed the source bytes a provider gave, once the task that parsed them has
   * ended (the source reader's place for them is free again; this thread's handle on them is
   * garbage unless the reader keeps the range for a second pass).
   */
  constructor(
    private readonly store: BlockStore,
    private readonly pool: Pick<ThreadPool, 'run' | 'runGroup'>,
    private readonly sourceBytes: SourceBytesProvider = async () => undefined,
    private readonly inputDone: (bytes: Uint8Array) => void = () => {},
  ) {}

  /** Runs `op` on partition `partition` of `plan`; resolves with the op's partial result. */
  async run(jobId: JobId, plan: JobPlan, op: TaskOp, params: unknown, partition: number): Promise<unknown> {
    const lineage = lineageOf(plan, partition);
    return (await this.execute(jobId, lineage, op, params)).partial;
  }

  /**
   * Runs `op` on each of `partitions` (one task each); one promise per partition, in order.
   * An op over cached design blocks (a gradient pass: milliseconds per partition) runs the
   * partitions whose blocks are here as group requests, a round trip per thread rather than
   * per partition: one group, or groups of the op's groupSize when its partials are large;
   * the others, and every other op, run one by one as run() does.
   */
  runMany(jobId: JobId, plan: JobPlan, name: TaskOp, params: unknown, partitions: readonly number[]): Array<Promise<unknown>> {
    const op = anyTaskOp(name);
    const split = op.input === 'design' && partitions.length > 1 ? op.split?.(params) : undefined;
    if (split === undefined) return partitions.map((p) => this.run(jobId, plan, name, params, p));
    const results: Array<Promise<unknown>> = new Array(partitions.length);
    const cached: Array<{ at: number; lineage: PartitionLineage; pinned: PinnedBlock }> = [];
    partitions.forEach((partition, at) => {
      const lineage = lineageOf(plan, partition);
      const pinned = this.store.acquire(key(jobId, lineage.source.index, split));
      if (pinned) cached.push({ at, lineage, pinned });
      // Missing: rebuilt from lineage first, like any single task.
      else results[at] = this.run(jobId, plan, name, params, partition);
    });
    // All groups are queued at once; each one's outcomes come back as soon as it is done.
    const size = op.groupSize ?? Math.max(1, cached.length);
    const outs: Array<Promise<OpOutput<unknown>>> = [];
    for (let from = 0; from < cached.length; from += size) {
      const group = cached.slice(from, from + size);
      outs.push(
        ...this.pool.runGroup(
          name,
          params,
          group.map((c) => ({ lineage: c.lineage, input: { kind: 'design', block: c.pinned.block as DesignBlock } })),
        ),
      );
    }
    cached.forEach((c, i) => {
      results[c.at] = outs[i]!.finally(() => this.store.release(c.pinned)).then(
        (out) => this.keepOutput(jobId, c.lineage, name, out).partial,
      );
    });
    return results;
  }

  private async execute(jobId: JobId, lineage: PartitionLineage, name: TaskOp, params: unknown): Promise<OpOutput<unknown>> {
    const op = anyTaskOp(name);
    const { input, pinned } = await this.input(
      jobId,
      lineage,
      name,
      op.input,
      op.split?.(params),
      op.stale as ((block: ColumnBatch, lineage: PartitionLineage) => boolean) | undefined,
    );
    let out: OpOutput<unknown>;
    try {
      // Fetched bytes hold one of the source reader's places: their task goes ahead of the queue.
      const fetched = input.kind === 'source' && input.bytes !== undefined;
      out = await this.pool.run({ op: name, lineage, params, input }, fetched);
    } finally {
      if (pinned) this.store.release(pinned);
      if (input.kind === 'source' && input.bytes) this.inputDone(input.bytes);
    }
    return this.keepOutput(jobId, lineage, name, out);
  }

  /** Caches the blocks a task produced and frees those its op makes obsolete. */
  private keepOutput(jobId: JobId, lineage: PartitionLineage, name: TaskOp, out: OpOutput<unknown>): OpOutput<unknown> {
    const op = anyTaskOp(name);
    const p = lineage.source.index;
    if (out.blocks?.rows) this.store.put(key(jobId, p, 'rows'), out.blocks.rows);
    if (out.blocks?.train) this.store.put(key(jobId, p, 'train'), out.blocks.train);
    if (out.blocks?.test) this.store.put(key(jobId, p, 'test'), out.blocks.test);
    for (const name of op.frees ?? []) this.store.delete(key(jobId, p, name));
    return out;
  }

  private async input(
    jobId: JobId,
    lineage: PartitionLineage,
    op: TaskOp,
    kind: 'source' | 'rows' | 'design',
    split: 'train' | 'test' | undefined,
    stale?: (block: ColumnBatch, lineage: PartitionLineage) => boolean,
  ): Promise<{ input: WorkerInput; pinned?: PinnedBlock }> {
    switch (kind) {
      case 'source': {
        const bytes = await this.sourceBytes(jobId, lineage, op);
        return { input: bytes ? { kind, bytes } : { kind } };
      }
      case 'rows': {
        let got = await this.block(jobId, lineage, 'rows');
        const rows = got.block as ColumnBatch;
        // A scan's provisional block (the partition's own types, no row ids) serves only an op
        // that declares how to judge it (csv-conform). It can outlive its conform elsewhere:
        // the scan ran here, the conform and encode on another executor.
        if (stale ? stale(rows, lineage) : rows.provisional !== undefined) {
          // The cached block cannot serve this op: drop it and rebuild it from lineage, as if
          // it had been lost.
          if (got.pinned) this.store.release(got.pinned);
          this.store.delete(key(jobId, lineage.source.index, 'rows'));
          got = await this.block(jobId, lineage, 'rows');
        }
        const { block, pinned } = got;
        return { input: { kind, rows: block as ColumnBatch }, ...(pinned && { pinned }) };
      }
      case 'design': {
        if (split === undefined) throw new KindlingError('E_INTERNAL', 'an op reading a design block must say which split');
        const { block, pinned } = await this.block(jobId, lineage, split);
        return { input: { kind, block: block as DesignBlock }, ...(pinned && { pinned }) };
      }
    }
  }

  /**
   * The cached block `name` of a partition, pinned; or, when missing, rebuilt by its producer
   * op (one rebuild shared by concurrent tasks) and taken from the store if it is still there,
   * else from the rebuild's own output (unpinned: the store evicted it, so it counts in the
   * per-task margin, not in the store's bytes).
   */
  private async block(
    jobId: JobId,
    lineage: PartitionLineage,
    name: 'rows' | 'train' | 'test',
  ): Promise<{ block: Block; pinned?: PinnedBlock }> {
    const k = key(jobId, lineage.source.index, name);
    const cached = this.store.acquire(k);
    if (cached) return { block: cached.block, pinned: cached };
    // Design blocks come from the rows (encode) unless the plan names their producer (a features input).
    const { op: producer, params } =
      name === 'rows' ? { op: BLOCK_PRODUCERS.rows, params: {} } : (lineage.designProducer ?? { op: BLOCK_PRODUCERS.design, params: {} });
    const out = await this.once(`${jobId}/${lineage.source.index}/${name === 'rows' ? 'rows' : 'design'}`, () => {
      this.store.noteRebuild();
      return this.execute(jobId, lineage, producer, params);
    });
    const again = this.store.acquire(k);
    if (again) return { block: again.block, pinned: again };
    const built = out.blocks?.[name];
    if (!built) throw new KindlingError('E_INTERNAL', `op ${producer} did not produce block ${name} of partition ${lineage.source.index}`);
    return { block: built };
  }

  private once<T>(id: string, build: () => Promise<T>): Promise<T> {
    const inflight = this.rebuilding.get(id);
    if (inflight) return inflight as Promise<T>;
    const p = build().finally(() => this.rebuilding.delete(id));
    this.rebuilding.set(id, p);
    return p;
  }
}

function key(jobId: JobId, partition: number, name: 'rows' | 'train' | 'test'): BlockKey {
  return { jobId, partition, name };
}
