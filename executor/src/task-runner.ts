/**
 * TaskRunner: runs one task attempt on this executor — finds (or rebuilds) the blocks the
 * task reads, sends the kernel to the thread pool, caches the blocks it produces.
 *
 * A missing block is rebuilt from the task's lineage (source byte range → rows → encoded
 * train/test), so any executor can run any task: losing an executor, or scaling up, loses
 * no data. Concurrent tasks needing the same missing block share one rebuild.
 * THREADING: main thread; kernels run on the ThreadPool.
 */
import type {
  ColumnBatch,
  DesignBlock,
  JobId,
  PartitionLineage,
  TaskOp,
  TaskResultByOp,
  TaskSpec,
} from '@kindling/shared/compute';
import type { BlockStore } from './storage/block-store.js';
import type { ThreadPool } from './pool/thread-pool.js';

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
    private readonly pool: ThreadPool,
    private readonly sourceBytes: SourceBytesProvider = async () => undefined,
  ) {}

  async run<O extends TaskOp>(jobId: JobId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]> {
    return (await this.dispatch(jobId, spec as TaskSpec)) as TaskResultByOp[O];
  }

  private async dispatch(jobId: JobId, spec: TaskSpec): Promise<TaskResultByOp[TaskOp]> {
    const { lineage } = spec;
    switch (spec.op) {
      case 'csv-infer':
        return this.pool.run(withBytes({ type: 'csv-infer', lineage }, await this.sourceBytes(jobId, lineage)));
      case 'csv-load': {
        const { rows, partial } = await this.pool.run(withBytes({ type: 'csv-load', lineage }, await this.sourceBytes(jobId, lineage)));
        this.store.put(key(jobId, lineage, 'rows'), rows);
        return partial;
      }
      case 'encode':
        return this.encode(jobId, lineage);
      case 'spark-split-keys':
        return this.pool.run({ type: 'spark-split-keys', lineage, rows: await this.rows(jobId, lineage), keyColumns: spec.keyColumns });
      case 'summarize':
        return this.pool.run({ type: 'summarize', lineage, train: await this.design(jobId, lineage, 'train') });
      case 'gradient':
        return this.pool.run({
          type: 'gradient',
          lineage,
          train: await this.design(jobId, lineage, 'train'),
          beta: spec.beta,
          intercept: spec.intercept,
        });
      case 'features':
        // Read-only view of the cached block: no kernel to run.
        return this.design(jobId, lineage, spec.split);
      case 'evaluate':
        return this.pool.run({
          type: 'evaluate',
          lineage,
          block: await this.design(jobId, lineage, spec.split),
          beta: spec.beta,
          intercept: spec.intercept,
          score: spec.score,
          threshold: spec.threshold,
          predictions: spec.predictions,
        });
    }
  }

  /** Encodes rows into train/test blocks, then frees the rows: they can be rebuilt from the file. */
  private async encode(jobId: JobId, lineage: PartitionLineage): Promise<TaskResultByOp['encode']> {
    const rows = await this.rows(jobId, lineage);
    const { train, test, partial } = await this.pool.run({ type: 'encode', lineage, rows });
    this.store.put(key(jobId, lineage, 'train'), train);
    this.store.put(key(jobId, lineage, 'test'), test);
    this.store.delete(key(jobId, lineage, 'rows'));
    return partial;
  }

  private async rows(jobId: JobId, lineage: PartitionLineage): Promise<ColumnBatch> {
    const k = key(jobId, lineage, 'rows');
    const cached = this.store.get(k);
    if (cached) return cached as ColumnBatch;
    return this.once(`${jobId}/${lineage.source.index}/rows`, async () => {
      const { rows } = await this.pool.run(withBytes({ type: 'csv-load', lineage }, await this.sourceBytes(jobId, lineage)));
      this.store.put(k, rows);
      return rows;
    });
  }

  private async design(jobId: JobId, lineage: PartitionLineage, name: 'train' | 'test'): Promise<DesignBlock> {
    const cached = this.store.get(key(jobId, lineage, name));
    if (cached) return cached as DesignBlock;
    await this.once(`${jobId}/${lineage.source.index}/encode`, () => this.encode(jobId, lineage));
    const built = this.store.get(key(jobId, lineage, name));
    // A dropJob racing the rebuild is the only way to get here.
    if (!built) return this.design(jobId, lineage, name);
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

function withBytes<R extends { type: 'csv-infer' | 'csv-load'; lineage: PartitionLineage }>(req: R, bytes: Uint8Array | undefined): R {
  return bytes ? { ...req, bytes } : req;
}

function key(jobId: JobId, lineage: PartitionLineage, name: 'rows' | 'train' | 'test') {
  return { jobId, partition: lineage.source.index, name };
}
