/**
 * FakeExecutorClient: an ExecutorClient that runs nothing. It records every launchTasks batch
 * (with how many tasks were open on it right after) and keeps each task open until the test
 * completes or fails it by hand, which calls the batch's sink exactly as a real client would.
 * An optional `reply` answers tasks inside launchTasks, as an in-process executor might.
 */
import {
  asExecutorId,
  type ErrorCode,
  type ExecutorClient,
  type ExecutorId,
  type ExecutorStatus,
  type JobId,
  type JobPlan,
  type TaskBatch,
  type TaskId,
  type TaskOp,
  type TaskRef,
  type TaskResultByOp,
  type TaskUpdate,
  type TaskUpdateSink,
} from '@kindling/shared/compute';

/** One launchTasks call as the fake saw it. */
export interface RecordedBatch {
  readonly jobId: JobId;
  readonly plan: JobPlan;
  readonly op: TaskOp;
  readonly params: unknown;
  readonly tasks: readonly TaskRef[];
  /** Tasks open on this executor right after the batch arrived (this batch included). */
  readonly openAfter: number;
}

interface OpenTask {
  readonly ref: TaskRef;
  readonly sink: TaskUpdateSink;
}

/** Answers a task at launch (synchronously), or leaves it open when it returns undefined. */
export type FakeReply = (task: TaskRef) => { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string } | undefined;

/** An executor whose tasks the test finishes by hand. */
export class FakeExecutorClient implements ExecutorClient {
  readonly id: ExecutorId;
  readonly batches: RecordedBatch[] = [];
  /** Most tasks ever open at once. */
  maxOpen = 0;
  private readonly open = new Map<TaskId, OpenTask>();

  constructor(
    id: string,
    readonly slots: number,
    private readonly reply?: FakeReply,
  ) {
    this.id = asExecutorId(id);
  }

  /** Records the batch and opens its tasks (answering them at once if `reply` says so). */
  launchTasks<O extends TaskOp>(jobId: JobId, plan: JobPlan, batch: TaskBatch<O>, sink: TaskUpdateSink<TaskResultByOp[O]>): void {
    for (const ref of batch.tasks) this.open.set(ref.taskId, { ref, sink: sink as TaskUpdateSink });
    this.maxOpen = Math.max(this.maxOpen, this.open.size);
    this.batches.push({ jobId, plan, op: batch.op, params: batch.params, tasks: [...batch.tasks], openAfter: this.open.size });
    if (!this.reply) return;
    for (const ref of batch.tasks) {
      const r = this.reply(ref);
      if (r === undefined) continue;
      if (r.ok) this.settle(ref.taskId, { taskId: ref.taskId, partition: ref.partition, ok: true, value: r.value });
      else this.settle(ref.taskId, failure(ref, r.code, r.message));
    }
  }

  /** Nothing is cached here, so nothing to drop. */
  async dropJob(): Promise<void> {}

  /** Reports its open tasks as running. */
  async status(): Promise<ExecutorStatus> {
    return { id: this.id, slots: this.slots, runningTasks: this.open.size, cachedBlocks: 0, cachedBytes: 0, rssBytes: 0 };
  }

  /** Open tasks, in launch order. */
  openTasks(): TaskRef[] {
    return [...this.open.values()].map((t) => t.ref);
  }

  /** Partitions of the open tasks, in launch order. */
  openPartitions(): number[] {
    return this.openTasks().map((t) => t.partition);
  }

  /** Every task ever launched here, in launch order. */
  launched(): TaskRef[] {
    return this.batches.flatMap((b) => b.tasks);
  }

  /** Completes the open task of `partition` with `value`. */
  complete(partition: number, value: unknown): void {
    const task = this.taskOf(partition);
    this.settle(task.ref.taskId, { taskId: task.ref.taskId, partition, ok: true, value });
  }

  /** Fails the open task of `partition` with an error of `code`. */
  fail(partition: number, code: ErrorCode, message = `${code} on ${this.id}`): void {
    const task = this.taskOf(partition);
    this.settle(task.ref.taskId, failure(task.ref, code, message));
  }

  /** Completes every open task, oldest first, with value(partition). */
  completeAll(value: (partition: number) => unknown): void {
    for (const ref of this.openTasks()) this.complete(ref.partition, value(ref.partition));
  }

  /** Forgets open tasks without reporting them (the process died with them). */
  dropOpen(): void {
    this.open.clear();
  }

  private taskOf(partition: number): OpenTask {
    for (const t of this.open.values()) if (t.ref.partition === partition) return t;
    throw new Error(`fake executor ${this.id} has no open task for partition ${partition} (open: ${this.openPartitions().join(',')})`);
  }

  private settle(taskId: TaskId, update: TaskUpdate): void {
    const task = this.open.get(taskId);
    if (!task) throw new Error(`fake executor ${this.id}: task ${taskId} is not open`);
    this.open.delete(taskId);
    task.sink(update);
  }
}

function failure(ref: TaskRef, code: ErrorCode, message: string): TaskUpdate {
  return { taskId: ref.taskId, partition: ref.partition, ok: false, error: { code, name: 'KindlingError', message } };
}
