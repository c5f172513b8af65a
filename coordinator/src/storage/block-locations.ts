/**
 * BlockLocations: the driver's map of which executor holds each partition's cached blocks
 * (its "home"), and of partitions whose home left, since when (so a recovery can report how
 * long the partition was homeless). It only records facts the task scheduler tells it; it
 * decides nothing and talks to no executor.
 *
 * Who calls it: the TaskScheduler writes it (task succeeded, attempt failed, executor left,
 * rebalance); TaskSetManagers read it through the PartitionHomes view to place tasks.
 * THREADING: owned by one TaskScheduler and touched only from its event loop.
 */
import type { ExecutorId } from '@kindling/shared/compute';

/** The read side task placement needs: where partition p's blocks are, if anywhere known. */
export interface PartitionHomes {
  homeOf(partition: number): ExecutorId | undefined;
}

/** A partition that found a new home after its old one left. */
export interface PartitionRecovery {
  readonly partition: number;
  readonly from: ExecutorId;
  readonly to: ExecutorId;
  /** From the moment its executor left to the moment its blocks were rebuilt elsewhere. */
  readonly recoveryMs: number;
}

/** Partition → executor holding its blocks, plus the partitions orphaned by a departure. */
export class BlockLocations implements PartitionHomes {
  private readonly homes = new Map<number, ExecutorId>();
  private readonly orphanedAt = new Map<number, { readonly from: ExecutorId; readonly at: number }>();

  /** Which executor holds partition p's blocks, if known. */
  homeOf(partition: number): ExecutorId | undefined {
    return this.homes.get(partition);
  }

  /** Every known home, in partition order. */
  entries(): Array<readonly [number, ExecutorId]> {
    return [...this.homes].sort((a, b) => a[0] - b[0]);
  }

  /** How many partitions have a known home. */
  get size(): number {
    return this.homes.size;
  }

  /**
   * Records that a task of `partition` succeeded on `executorId`, which now caches its
   * blocks. When the partition had been orphaned, says how it recovered (once).
   */
  record(partition: number, executorId: ExecutorId, now: number): PartitionRecovery | undefined {
    this.homes.set(partition, executorId);
    const orphan = this.orphanedAt.get(partition);
    if (orphan === undefined) return undefined;
    this.orphanedAt.delete(partition);
    return { partition, from: orphan.from, to: executorId, recoveryMs: now - orphan.at };
  }

  /** Moves a partition's home without a task having run (rebalancing: rebuilt from lineage there). */
  move(partition: number, to: ExecutorId): void {
    this.homes.set(partition, to);
  }

  /**
   * Forgets where a partition lives: after a failed attempt its blocks may be what failed,
   * so the retry should go wherever there is room.
   */
  forget(partition: number): void {
    this.homes.delete(partition);
  }

  /**
   * An executor left: its blocks are gone (lost) or leaving (drain). Returns the partitions
   * it held, in order, and remembers them as orphaned from `now`.
   */
  executorRemoved(executorId: ExecutorId, now: number): number[] {
    const orphaned: number[] = [];
    for (const [p, id] of this.homes) {
      if (id !== executorId) continue;
      orphaned.push(p);
    }
    orphaned.sort((a, b) => a - b);
    for (const p of orphaned) {
      this.homes.delete(p);
      this.orphanedAt.set(p, { from: executorId, at: now });
    }
    return orphaned;
  }
}
