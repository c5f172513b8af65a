/**
 * BlockStore: the executor's cache of partition blocks, keyed by (job, partition, block
 * name), with byte accounting and an optional memory budget. Over budget it evicts the least
 * recently used blocks that no running task holds (pinned blocks stay); an evicted block is
 * rebuilt from lineage by the TaskRunner when a task needs it again (docs/memory.md says why
 * evict-and-recompute rather than spill). Blocks are SharedArrayBuffer-backed, so the store
 * hands the same memory to worker threads without copying.
 *
 * Owned by the TaskRunner (the only writer); read by status reporting (heartbeats, metrics).
 * THREADING: main thread only; workers see blocks only as task inputs.
 */
import type { BlockName, CachedBlock, ColumnBatch, DesignBlock, JobId } from '@kindling/shared/compute';
import { MemoryReclaimer } from './memory-reclaimer.js';

/** Every block name, in the order a partition's blocks are reported. */
const BLOCK_NAMES: readonly BlockName[] = ['rows', 'train', 'test'];

/** What a block holds: loaded rows, or an encoded train/test design block. */
export type Block = ColumnBatch | DesignBlock;

interface Entry {
  readonly block: Block;
  readonly bytes: number;
  /** Running tasks reading this block: never evicted while above 0. */
  pins: number;
  /** False once deleted, evicted or replaced: a late release must not touch the counters. */
  live: boolean;
}

/** Key of one cached block. */
export interface BlockKey {
  readonly jobId: JobId;
  readonly partition: number;
  readonly name: BlockName;
}

/** A block a task holds until it calls BlockStore.release. */
export interface PinnedBlock {
  readonly block: Block;
  /** @internal the entry pinned; release unpins exactly this one, even if the key was replaced. */
  readonly entry: object;
}

/** Options of a BlockStore. */
export interface BlockStoreOptions {
  /** Most bytes of cached blocks to hold; undefined = unbounded. Pinned blocks may exceed it. */
  readonly budgetBytes?: number;
  /** Returns dropped blocks' memory to the system; default one with the default threshold. */
  readonly reclaimer?: MemoryReclaimer;
}

/** What the store holds and what the budget cost, for heartbeats and metrics. */
export interface BlockStoreStats {
  readonly blocks: number;
  readonly bytes: number;
  /** The budget, when one is set. */
  readonly budgetBytes?: number;
  /** Bytes of blocks pinned by running tasks right now. */
  readonly pinnedBytes: number;
  /** Blocks evicted to stay within the budget, since start. */
  readonly evictions: number;
  readonly evictedBytes: number;
  /** Blocks rebuilt from lineage because a task needed a missing one, since start. */
  readonly rebuilds: number;
  /** Most bytes held at once after eviction, since start: at most budget + pinned bytes. */
  readonly peakBytes: number;
  /** The largest block stored, since start: the unit of the per-task margin (docs/memory.md). */
  readonly largestBlockBytes: number;
}

/** Cache of partition blocks with memory accounting and LRU eviction under a budget. */
export class BlockStore {
  /** In least- to most-recently-used order (a Map iterates in insertion order; use re-inserts). */
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  private pinnedBytes = 0;
  private peakBytes = 0;
  private evictions = 0;
  private evictedBytes = 0;
  private rebuilds = 0;
  private largestBlockBytes = 0;
  readonly budgetBytes: number | undefined;
  private readonly reclaimer: MemoryReclaimer;

  constructor(options: BlockStoreOptions = {}) {
    this.budgetBytes = options.budgetBytes;
    this.reclaimer = options.reclaimer ?? new MemoryReclaimer();
  }

  /**
   * Stores a block, replacing any previous one under the same key, as the most recently used;
   * then evicts unpinned blocks, oldest first, until the store is within its budget — which
   * may evict the new block itself when nothing else is left to evict.
   */
  put(key: BlockKey, block: Block): void {
    // A replacement (a conformed block over its scan) mostly shares the old block's arrays: not a drop.
    const old = this.entries.get(keyString(key));
    if (old) this.remove(keyString(key), old, false);
    const bytes = blockBytes(block);
    this.entries.set(keyString(key), { block, bytes, pins: 0, live: true });
    this.totalBytes += bytes;
    this.largestBlockBytes = Math.max(this.largestBlockBytes, bytes);
    this.evict();
    this.peakBytes = Math.max(this.peakBytes, this.totalBytes);
  }

  /** The block under `key`, marked most recently used; undefined if absent or evicted. */
  get(key: BlockKey): Block | undefined {
    return this.touch(keyString(key))?.block;
  }

  /** Like get, and pins the block: it is not evicted until release(). */
  acquire(key: BlockKey): PinnedBlock | undefined {
    const e = this.touch(keyString(key));
    if (!e) return undefined;
    if (e.pins++ === 0) this.pinnedBytes += e.bytes;
    return { block: e.block, entry: e };
  }

  /** Unpins a block from acquire(); evicts if the store went over budget while it was pinned. */
  release(pinned: PinnedBlock): void {
    const e = pinned.entry as Entry;
    if (e.pins <= 0) return;
    if (--e.pins === 0) {
      // A deleted entry's bytes left pinnedBytes when it was deleted.
      if (e.live) this.pinnedBytes -= e.bytes;
      this.evict();
    }
  }

  /** The blocks of one partition held now, with their bytes (without touching their LRU order). */
  partitionBlocks(jobId: JobId, partition: number): CachedBlock[] {
    const out: CachedBlock[] = [];
    for (const name of BLOCK_NAMES) {
      const e = this.entries.get(keyString({ jobId, partition, name }));
      if (e) out.push({ name, bytes: e.bytes });
    }
    return out;
  }

  has(key: BlockKey): boolean {
    return this.entries.has(keyString(key));
  }

  delete(key: BlockKey): boolean {
    const k = keyString(key);
    const e = this.entries.get(k);
    if (!e) return false;
    this.remove(k, e);
    return true;
  }

  /** Drops every block of a job; returns the bytes freed. */
  dropJob(jobId: JobId): number {
    const prefix = `${jobId}/`;
    let freed = 0;
    for (const [k, e] of this.entries) {
      if (k.startsWith(prefix)) {
        this.remove(k, e);
        freed += e.bytes;
      }
    }
    return freed;
  }

  /** Counts a rebuild from lineage (the TaskRunner calls it once per shared rebuild). */
  noteRebuild(): void {
    this.rebuilds++;
  }

  /** Number of cached blocks, their bytes, and the budget's counters. */
  stats(): BlockStoreStats {
    return {
      blocks: this.entries.size,
      bytes: this.totalBytes,
      ...(this.budgetBytes !== undefined && { budgetBytes: this.budgetBytes }),
      pinnedBytes: this.pinnedBytes,
      evictions: this.evictions,
      evictedBytes: this.evictedBytes,
      rebuilds: this.rebuilds,
      peakBytes: this.peakBytes,
      largestBlockBytes: this.largestBlockBytes,
    };
  }

  private touch(k: string): Entry | undefined {
    const e = this.entries.get(k);
    if (!e) return undefined;
    this.entries.delete(k);
    this.entries.set(k, e);
    return e;
  }

  private remove(k: string, e: Entry, dropped = true): void {
    this.entries.delete(k);
    e.live = false;
    this.totalBytes -= e.bytes;
    if (e.pins > 0) this.pinnedBytes -= e.bytes;
    if (dropped) this.reclaimer.noteDropped(e.bytes);
  }

  private evict(): void {
    const budget = this.budgetBytes;
    if (budget === undefined || this.totalBytes <= budget) return;
    for (const [k, e] of this.entries) {
      if (this.totalBytes <= budget) break;
      if (e.pins > 0) continue;
      this.remove(k, e);
      this.evictions++;
      this.evictedBytes += e.bytes;
    }
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
  return (
    block.rowIds.byteLength +
    block.label.byteLength +
    block.numeric.byteLength +
    block.categorical.byteLength +
    (block.weight?.byteLength ?? 0)
  );
}
