/**
 * BlockStore: the executor's cache of partition blocks, keyed by (job, partition, block
 * name), with byte accounting. Blocks are SharedArrayBuffer-backed, so the store hands the
 * same memory to worker threads without copying.
 *
 * Owned by the TaskRunner (the only writer); read by status reporting.
 * THREADING: main thread only; workers see blocks only as task inputs.
 */
import type { BlockName, ColumnBatch, DesignBlock, JobId } from '@kindling/shared/compute';

/** What a block holds: loaded rows, or an encoded train/test design block. */
export type Block = ColumnBatch | DesignBlock;

interface Entry {
  readonly block: Block;
  readonly bytes: number;
}

/** Key of one cached block. */
export interface BlockKey {
  readonly jobId: JobId;
  readonly partition: number;
  readonly name: BlockName;
}

/** Cache of partition blocks with memory accounting. */
export class BlockStore {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;

  /** Stores a block, replacing any previous one under the same key. */
  put(key: BlockKey, block: Block): void {
    this.delete(key);
    const bytes = blockBytes(block);
    this.entries.set(keyString(key), { block, bytes });
    this.totalBytes += bytes;
  }

  get(key: BlockKey): Block | undefined {
    return this.entries.get(keyString(key))?.block;
  }

  has(key: BlockKey): boolean {
    return this.entries.has(keyString(key));
  }

  delete(key: BlockKey): boolean {
    const k = keyString(key);
    const e = this.entries.get(k);
    if (!e) return false;
    this.entries.delete(k);
    this.totalBytes -= e.bytes;
    return true;
  }

  /** Drops every block of a job; returns the bytes freed. */
  dropJob(jobId: JobId): number {
    const prefix = `${jobId}/`;
    let freed = 0;
    for (const [k, e] of this.entries) {
      if (k.startsWith(prefix)) {
        this.entries.delete(k);
        freed += e.bytes;
      }
    }
    this.totalBytes -= freed;
    return freed;
  }

  /** Number of cached blocks and their bytes. */
  stats(): { blocks: number; bytes: number } {
    return { blocks: this.entries.size, bytes: this.totalBytes };
  }
}

function keyString(k: BlockKey): string {
  return `${k.jobId}/${k.partition}/${k.name}`;
}

/** Bytes held by a block's buffers (typed arrays and dictionaries). */
export function blockBytes(block: Block): number {
  if ('columns' in block) {
    let n = block.rowIds.byteLength;
    for (const c of block.columns) {
      if (c.kind === 'numeric') n += c.values.byteLength + (c.nulls?.byteLength ?? 0);
      else n += c.codes.byteLength + c.dict.bytes.byteLength + c.dict.offsets.byteLength;
    }
    return n;
  }
  return block.rowIds.byteLength + block.label.byteLength + block.numeric.byteLength + block.categorical.byteLength + (block.weight?.byteLength ?? 0);
}
