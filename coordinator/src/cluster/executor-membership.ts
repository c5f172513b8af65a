/**
 * ExecutorMembership: which executors a driver may use right now. Local mode has a fixed
 * set; on a cluster, executors register, leave (drain) and get lost, and the task scheduler
 * follows these changes mid-stage.
 */
import type { ExecutorClient, ExecutorId } from '@kindling/shared/compute';

/** A change of membership. */
export type MembershipChange =
  | { readonly type: 'added'; readonly executor: ExecutorClient }
  | { readonly type: 'removed'; readonly executorId: ExecutorId; readonly reason: string; readonly lost: boolean };

/** The executors available to a driver, and their comings and goings. */
export interface ExecutorMembership {
  executors(): readonly ExecutorClient[];
  onChange(listener: (change: MembershipChange) => void): () => void;
}

/** A membership that never changes (local mode, tests). */
export class StaticMembership implements ExecutorMembership {
  constructor(private readonly list: readonly ExecutorClient[]) {}
  executors(): readonly ExecutorClient[] {
    return this.list;
  }
  onChange(): () => void {
    return () => undefined;
  }
}
