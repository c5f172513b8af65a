/**
 * planRebalance: at a stage boundary, which partitions should move off executors holding more
 * than their slots-weighted share to those holding less — how executors that joined mid-job
 * get work. Pure: the TaskScheduler applies the moves to its block homes and reports them.
 * Moved partitions' blocks are rebuilt from lineage on their new executor; results do not
 * change, since partials are merged by partition index.
 */
import type { ExecutorId } from '@kindling/shared/compute';

/** A live executor and its slots. */
export interface RebalanceExecutor {
  readonly id: ExecutorId;
  readonly slots: number;
}

/** One partition's new home. */
export interface PartitionMove {
  readonly partition: number;
  readonly from: ExecutorId;
  readonly to: ExecutorId;
}

/**
 * The moves that bring every live executor to at most ceil(partitions × slots / total slots)
 * homes, each move going to the executor with the fewest homes per slot still under its
 * target. Homes on executors not in `live` are ignored. Deterministic: executors are taken in
 * id order, partitions in index order (the highest of a donor moves first).
 */
export function planRebalance(
  partitions: number,
  live: readonly RebalanceExecutor[],
  homes: ReadonlyArray<readonly [number, ExecutorId]>,
): PartitionMove[] {
  const executors = [...live].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (executors.length < 2 || homes.length === 0) return [];
  const totalSlots = executors.reduce((a, e) => a + e.slots, 0);
  const target = new Map(executors.map((e) => [e.id, Math.ceil((partitions * e.slots) / totalSlots)]));
  const held = new Map<ExecutorId, number[]>(executors.map((e) => [e.id, []]));
  for (const [p, id] of [...homes].sort((a, b) => a[0] - b[0])) held.get(id)?.push(p);
  const count = (id: ExecutorId) => held.get(id)?.length ?? 0;
  const targetOf = (id: ExecutorId) => target.get(id) ?? 0;
  const moves: PartitionMove[] = [];
  for (const e of executors) {
    const mine = held.get(e.id) ?? [];
    while (mine.length > targetOf(e.id)) {
      let to: RebalanceExecutor | undefined;
      for (const c of executors) {
        if (count(c.id) >= targetOf(c.id)) continue;
        if (!to || count(c.id) / c.slots < count(to.id) / to.slots) to = c;
      }
      const p = mine.at(-1);
      if (!to || p === undefined) break;
      mine.pop();
      held.get(to.id)?.push(p);
      moves.push({ partition: p, from: e.id, to: to.id });
    }
  }
  return moves;
}
