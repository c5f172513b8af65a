/**
 * FakeMembership: an ExecutorMembership the test changes by hand — add() and remove() tell
 * listeners synchronously, as the cluster's membership does when an executor registers,
 * drains or is lost mid-stage.
 */
import type { ExecutorClient, ExecutorId } from '@kindling/shared/compute';
import type { ExecutorMembership, MembershipChange } from '../../src/cluster/executor-membership.js';

/** A membership changed by the test. */
export class FakeMembership implements ExecutorMembership {
  private readonly list: ExecutorClient[];
  private readonly listeners = new Set<(change: MembershipChange) => void>();

  constructor(initial: readonly ExecutorClient[] = []) {
    this.list = [...initial];
  }

  /** The executors present now. */
  executors(): readonly ExecutorClient[] {
    return this.list;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: MembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An executor registered. */
  add(executor: ExecutorClient): void {
    this.list.push(executor);
    this.tell({ type: 'added', executor });
  }

  /** An executor left: lost (its tasks and blocks are gone) or drained. */
  remove(executorId: ExecutorId, lost: boolean, reason = lost ? 'lost' : 'drain'): void {
    const i = this.list.findIndex((e) => e.id === executorId);
    if (i >= 0) this.list.splice(i, 1);
    this.tell({ type: 'removed', executorId, reason, lost });
  }

  /** How many listeners are subscribed (a closed scheduler has unsubscribed). */
  listenerCount(): number {
    return this.listeners.size;
  }

  private tell(change: MembershipChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}
