/**
 * TaskRunner: runs one task attempt on this executor — finds (or rebuilds) the block the op
 * reads, sends the op's kernel to the thread pool, caches the blocks it produces and frees
 * the ones it makes obsolete. Generic over the op registry: an op declares what it reads and
 * writes (shared/src/ops), this module does the block I/O for all of them.
 *
 * A missing block is rebuilt from the job plan's lineage (source byte range → rows → encoded
 * train/test, by the ops BLOCK_PRODUCERS names), so any executor can run any task: losing an
 * executor, or scaling up, loses no data. Concurrent tasks needing the same missing block
 * share one rebuild.
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
import type { BlockKey, BlockStore } from './storage/block-store.js';

/**
 * Supplies a partition's source bytes when the worker cannot read the file itself (an
 * executor without the input on its file system fetches them from the driver). Resolving
 * undefined means: read `lineage.source.file` directly.
 */
export type SourceBytesProvider = (jobId: JobId, lineage: PartitionLineage) => Promise<Uint8Array | undefined>;

/** Runs tasks against a block store and a thread pool. */
export class TaskRunner {
  private readonly rebuilding = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: BlockStore,
    private readonly pool: Pick<ThreadPool, 'run'>,
    private readonly sourceBytes: SourceBytesProvider = async () => undefined,
  ) {}

  /** Runs `op` on partition `partition` of `plan`; resolves with the op's partial result. */
  async run(jobId: JobId, plan: JobPlan, op: TaskOp, params: unknown, partition: number): Promise<unknown> {
    const lineage = lineageOf(plan, partition);
    return (await this.execute(jobId, lineage, op, params)).partial;
  }

  private async execute(jobId: JobId, lineage: PartitionLineage, name: TaskOp, params: unknown): Promise<OpOutput<unknown>> {
    const op = anyTaskOp(name);
    const input = await this.input(jobId, lineage, op.input, op.split?.(params));
    const out = await this.pool.run({ op: name, lineage, params, input });
    const p = lineage.source.index;
    if (out.blocks?.rows) this.store.put(key(jobId, p, 'rows'), out.blocks.rows);
    if (out.blocks?.train) this.store.put(key(jobId, p, 'train'), out.blocks.train);
    if (out.blocks?.test) this.store.put(key(jobId, p, 'test'), out.blocks.test);
    for (const name of op.frees ?? []) this.store.delete(key(jobId, p, name));
    return out;
  }

  private async input(jobId: JobId, lineage: PartitionLineage, kind: 'source' | 'rows' | 'design', split: 'train' | 'test' | undefined): Promise<WorkerInput> {
    switch (kind) {
      case 'source': {
        const bytes = await this.sourceBytes(jobId, lineage);
        return bytes ? { kind, bytes } : { kind };
      }
      case 'rows':
        return { kind, rows: await this.rows(jobId, lineage) };
      case 'design':
        if (split === undefined) throw new KindlingError('E_INTERNAL', 'an op reading a design block must say which split');
        return { kind, block: await this.design(jobId, lineage, split) };
    }
  }

  private async rows(jobId: JobId, lineage: PartitionLineage): Promise<ColumnBatch> {
    const k = key(jobId, lineage.source.index, 'rows');
    const cached = this.store.get(k);
    if (cached) return cached as ColumnBatch;
    await this.once(`${jobId}/${lineage.source.index}/rows`, () => this.execute(jobId, lineage, BLOCK_PRODUCERS.rows, {}));
    const built = this.store.get(k);
    // A dropJob racing the rebuild is the only way to get here.
    if (!built) return this.rows(jobId, lineage);
    return built as ColumnBatch;
  }

  private async design(jobId: JobId, lineage: PartitionLineage, split: 'train' | 'test'): Promise<DesignBlock> {
    const k = key(jobId, lineage.source.index, split);
    const cached = this.store.get(k);
    if (cached) return cached as DesignBlock;
    await this.once(`${jobId}/${lineage.source.index}/design`, () => this.execute(jobId, lineage, BLOCK_PRODUCERS.design, {}));
    const built = this.store.get(k);
    if (!built) return this.design(jobId, lineage, split);
    return built as DesignBlock;
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
