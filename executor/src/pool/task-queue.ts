/**
 * The pool's queue of waiting tasks: two FIFO lanes, the first served first. Tasks that hold
 * input bytes fetched from the driver go in the first lane, so the place each holds among the
 * executor's fetched ranges (SourceReader) is freed as soon as a thread can take it; behind
 * them, in the second lane, wait the other tasks of the stage (encodes, evaluations over
 * cached blocks), whose inputs cost no memory while they wait. With one FIFO, a fetched range
 * waited behind every task queued before it, and the executor stopped fetching meanwhile.
 * Order within each lane is unchanged, and no result depends on the order tasks run in.
 *
 * THREADING: main thread (piscina calls it from its event loop).
 */
import { FixedQueue, Piscina, type TaskQueue } from 'piscina';

type Task = Parameters<TaskQueue['push']>[0];

/** What a request carries (under Piscina.queueOptionsSymbol) to go in the first lane. */
export interface QueueOptions {
  readonly first: true;
}

/** Marks `request` (a plain object posted to a worker) for the first lane; symbols are not cloned. */
export function queueFirst<T extends object>(request: T): T {
  (request as Record<symbol, QueueOptions>)[Piscina.queueOptionsSymbol] = { first: true };
  return request;
}

/** Two FIFO lanes behind piscina's TaskQueue interface. */
export class TwoLaneQueue implements TaskQueue {
  private readonly firstLane = new FixedQueue();
  private readonly rest = new FixedQueue();

  get size(): number {
    return this.firstLane.size + this.rest.size;
  }

  push(task: Task): void {
    this.laneOf(task).push(task);
  }

  shift(): Task | null {
    return this.firstLane.size > 0 ? this.firstLane.shift() : this.rest.shift();
  }

  remove(task: Task): void {
    this.laneOf(task).remove(task);
  }

  private laneOf(task: Task): FixedQueue {
    const options = (task as unknown as Record<symbol, Partial<QueueOptions> | null>)[Piscina.queueOptionsSymbol];
    return options?.first === true ? this.firstLane : this.rest;
  }
}
