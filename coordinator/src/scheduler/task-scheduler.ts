/**
 * TaskScheduler: runs one stage — one task per partition — on the job's executors and
 * returns the results in partition order (the determinism contract: the driver combines
 * partials by partition index, never by arrival order).
 *
 * It owns placement (locality first: a partition's tasks go where its blocks are cached; a
 * partition with no live home goes to the least loaded executor), slot accounting, and
 * retries of failed attempts (up to maxTaskFailures). Data errors are deterministic and fail
 * the stage at once. Deciding what the stages are is the job runner's business.
 * THREADING: single event loop; state changes happen between awaits, in callbacks only.
 */
import {
  asTaskId,
  KindlingError,
  TaskFailedError,
  type ErrorCode,
  type ExecutorClient,
  type ExecutorId,
  type JobId,
  type TaskOp,
  type TaskResultByOp,
  type TaskSpec,
  toWireError,
} from '@kindling/shared/compute';
import type { ExecutorMembership, MembershipChange } from '../cluster/executor-membership.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';

/** A stage: tasks[i] works on partition i. */
export interface Stage<O extends TaskOp> {
  readonly name: string;
  readonly tasks: ReadonlyArray<Extract<TaskSpec, { op: O }>>;
}

/** Options of the task scheduler (Spark's spark.task.maxFailures). */
export interface TaskSchedulerOptions {
  /** Attempts per task before the job fails; local mode uses 1, like Spark. */
  readonly maxTaskFailures: number;
  /** How long a stage waits for an executor when none is left before failing; default 0. */
  readonly executorWaitMs?: number;
  /**
   * Task attempts in flight per slot; default 1. Over a network, 2 lets an executor queue its
   * next task while it runs one, hiding a round trip per wave of tasks.
   */
  readonly tasksPerSlot?: number;
}

/** Errors that the same input will always reproduce: retrying them only delays the report. */
const DETERMINISTIC: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_CSV_MALFORMED',
  'E_CSV_EMPTY',
  'E_CSV_HEADER',
  'E_LABEL',
  'E_INVALID_VALUE',
  'E_SCHEMA',
  'E_JOB_SPEC',
]);

/** Executor losses one task may live through before the job fails. */
const MAX_EXECUTOR_LOSSES_PER_TASK = 8;

interface ExecutorSlots {
  readonly client: ExecutorClient;
  running: number;
}

/** Places the tasks of each stage on executor slots, with locality and retries. */
export class TaskScheduler {
  private readonly executors = new Map<ExecutorId, ExecutorSlots>();
  /** Where each partition's blocks were last cached. */
  private readonly home = new Map<number, ExecutorId>();
  /** Re-dispatch hooks of running stages, called when an executor joins. */
  private readonly activeStages = new Set<() => void>();
  private readonly unsubscribe: () => void;
  /** Partitions whose executor left, and since when: for recovery times in the run record. */
  private readonly orphanedAt = new Map<number, { from: ExecutorId; at: number }>();
  private nextStageId = 0;
  private taskCounter = 0;

  constructor(
    membership: ExecutorMembership,
    private readonly jobId: JobId,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly options: TaskSchedulerOptions,
  ) {
    for (const client of membership.executors()) this.executors.set(client.id, { client, running: 0 });
    this.unsubscribe = membership.onChange((c) => this.onMembershipChange(c));
  }

  /** Stops following membership changes. */
  close(): void {
    this.unsubscribe();
  }

  /** Which executor holds partition p's blocks, if known. */
  homeOf(partition: number): ExecutorId | undefined {
    return this.home.get(partition);
  }

  /** Executors currently eligible for new tasks. */
  executorIds(): ExecutorId[] {
    return [...this.executors.keys()];
  }

  private onMembershipChange(change: MembershipChange): void {
    if (change.type === 'added') {
      if (this.executors.has(change.executor.id)) return;
      this.executors.set(change.executor.id, { client: change.executor, running: 0 });
      this.log.info({ executor: change.executor.id, slots: change.executor.slots }, 'executor joined');
      this.events.emit('executor-added', { executorId: change.executor.id, slots: change.executor.slots });
      for (const redispatch of [...this.activeStages]) redispatch();
      return;
    }
    if (!this.executors.delete(change.executorId)) return;
    // Its cached blocks are gone (lost) or leaving (drain): tasks go elsewhere and rebuild from lineage.
    const orphaned: number[] = [];
    for (const [p, id] of this.home) {
      if (id !== change.executorId) continue;
      this.home.delete(p);
      orphaned.push(p);
      this.orphanedAt.set(p, { from: change.executorId, at: Date.now() });
    }
    this.log.warn({ executor: change.executorId, lost: change.lost, partitions: orphaned }, `executor removed: ${change.reason}`);
    this.events.emit('executor-removed', { executorId: change.executorId, lost: change.lost, reason: change.reason, partitions: orphaned });
    for (const redispatch of [...this.activeStages]) redispatch();
  }

  /**
   * At a stage boundary, moves partitions off executors holding more than their share
   * (slots-weighted) to those holding less — how executors that joined mid-job get work.
   * The moved partitions' blocks are rebuilt from lineage on their new executor; results
   * do not change, since partials are merged by partition index.
   */
  private rebalance(partitions: number): void {
    const live = [...this.executors.values()].sort((a, b) => (a.client.id < b.client.id ? -1 : 1));
    if (live.length < 2 || this.home.size === 0) return;
    const totalSlots = live.reduce((a, e) => a + e.client.slots, 0);
    const target = new Map(live.map((e) => [e.client.id, Math.ceil((partitions * e.client.slots) / totalSlots)]));
    const held = new Map<ExecutorId, number[]>(live.map((e) => [e.client.id, []]));
    for (const [p, id] of [...this.home].sort((a, b) => a[0] - b[0])) held.get(id)?.push(p);
    const moves: Array<{ partition: number; from: ExecutorId; to: ExecutorId }> = [];
    for (const e of live) {
      const mine = held.get(e.client.id)!;
      while (mine.length > target.get(e.client.id)!) {
        let to: ExecutorSlots | undefined;
        for (const c of live) {
          const n = held.get(c.client.id)!.length;
          if (n >= target.get(c.client.id)!) continue;
          if (!to || n / c.client.slots < held.get(to.client.id)!.length / to.client.slots) to = c;
        }
        if (!to) break;
        const p = mine.pop()!;
        held.get(to.client.id)!.push(p);
        this.home.set(p, to.client.id);
        moves.push({ partition: p, from: e.client.id, to: to.client.id });
      }
    }
    if (moves.length > 0) {
      this.log.info({ moves }, `rebalanced ${moves.length} partition(s) across ${live.length} executors`);
      this.events.emit('partitions-moved', { moves });
    }
  }

  /** Runs a stage to completion; results[i] is partition i's partial. */
  runStage<O extends TaskOp>(stage: Stage<O>): Promise<TaskResultByOp[O][]> {
    const stageId = this.nextStageId++;
    const total = stage.tasks.length;
    const results = new Array<TaskResultByOp[O]>(total);
    const attempts = new Array<number>(total).fill(0);
    const losses = new Array<number>(total).fill(0);
    const pending: number[] = stage.tasks.map((_, i) => i);
    const started = Date.now();
    let completed = 0;
    let running = 0;
    let failed = false;

    this.rebalance(total);
    this.events.emit('stage-submitted', { stageId, name: stage.name, tasks: total });
    const progress = () => this.events.emit('stage-progress', { stageId, name: stage.name, completed, running, total });

    return new Promise<TaskResultByOp[O][]>((resolve, reject) => {
      if (total === 0) {
        this.events.emit('stage-completed', { stageId, name: stage.name, durationMs: 0, tasks: 0 });
        resolve(results);
        return;
      }
      let waitTimer: NodeJS.Timeout | undefined;
      const settle = () => {
        this.activeStages.delete(dispatch);
        if (waitTimer !== undefined) clearTimeout(waitTimer);
      };
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        settle();
        reject(err);
      };

      const launch = (partition: number, slots: ExecutorSlots) => {
        const task = stage.tasks[partition]!;
        const attempt = attempts[partition]!++;
        const taskId = asTaskId(`${this.jobId}.${stageId}.${partition}.${attempt}.${this.taskCounter++}`);
        slots.running++;
        running++;
        progress();
        slots.client.runTask<O>(this.jobId, taskId, task).then(
          (value) => {
            slots.running--;
            running--;
            if (failed) return;
            results[partition] = value;
            this.home.set(partition, slots.client.id);
            this.events.emit('task-completed', { stageId, partition, attempt, executorId: slots.client.id });
            const orphan = this.orphanedAt.get(partition);
            if (orphan) {
              this.orphanedAt.delete(partition);
              this.events.emit('partition-recovered', { partition, from: orphan.from, to: slots.client.id, recoveryMs: Date.now() - orphan.at });
            }
            completed++;
            progress();
            if (completed === total) {
              settle();
              this.events.emit('stage-completed', { stageId, name: stage.name, durationMs: Date.now() - started, tasks: total });
              resolve(results);
            } else {
              dispatch();
            }
          },
          (err: unknown) => {
            slots.running--;
            running--;
            if (failed) return;
            const wire = toWireError(err);
            // Losing the executor (or the connection to it) is not the task's fault: like Spark,
            // it does not count towards maxTaskFailures, but it has its own bound and a backoff.
            const lostExecutor = wire.code === 'E_EXECUTOR_LOST';
            if (lostExecutor) {
              attempts[partition]!--;
              losses[partition]!++;
            }
            const retry = lostExecutor
              ? losses[partition]! <= MAX_EXECUTOR_LOSSES_PER_TASK
              : !DETERMINISTIC.has(wire.code) && attempts[partition]! < this.options.maxTaskFailures;
            this.events.emit('task-failed', {
              stageId,
              partition,
              attempt,
              executorId: slots.client.id,
              code: wire.code,
              message: wire.message,
              willRetry: retry,
            });
            if (!retry) {
              if (DETERMINISTIC.has(wire.code)) {
                fail(err instanceof KindlingError ? err : new KindlingError(wire.code, wire.message, wire.details ?? {}));
              } else {
                fail(
                  new TaskFailedError(
                    `task for partition ${partition} of stage ${stageId} (${stage.name}) failed ${attempts[partition]} time(s); last: ${wire.message}`,
                    taskId,
                    attempt,
                    slots.client.id,
                    wire,
                  ),
                );
              }
              return;
            }
            this.log.warn({ stage: stage.name, partition, attempt, executor: slots.client.id, code: wire.code }, `task failed, retrying: ${wire.message}`);
            // Its blocks may be what failed: let the retry go wherever there is room.
            this.home.delete(partition);
            const requeue = () => {
              if (failed) return;
              pending.push(partition);
              pending.sort((a, b) => a - b);
              dispatch();
            };
            if (lostExecutor) setTimeout(requeue, Math.min(2000, 100 * 2 ** (losses[partition]! - 1)));
            else requeue();
          },
        );
      };

      const dispatch = () => {
        for (let i = 0; i < pending.length; ) {
          const partition = pending[i]!;
          const target = this.place(partition);
          if (!target) {
            i++;
            continue;
          }
          pending.splice(i, 1);
          launch(partition, target);
        }
        if (running === 0 && pending.length > 0 && !failed && this.executors.size === 0) {
          const waitMs = this.options.executorWaitMs ?? 0;
          if (waitTimer === undefined) {
            this.log.warn({ stage: stage.name, waitMs }, 'no executor left; waiting for one to register');
            waitTimer = setTimeout(() => {
              if (this.executors.size === 0) {
                fail(new KindlingError('E_NO_EXECUTORS', `stage ${stage.name}: no executor registered within ${waitMs} ms to run the remaining ${pending.length} task(s)`));
              }
            }, waitMs);
          }
        } else if (waitTimer !== undefined) {
          clearTimeout(waitTimer);
          waitTimer = undefined;
        }
      };

      this.activeStages.add(dispatch);
      dispatch();
    });
  }

  /** Locality first: a partition waits for its home executor while that one is alive. */
  private place(partition: number): ExecutorSlots | undefined {
    const homeId = this.home.get(partition);
    const home = homeId === undefined ? undefined : this.executors.get(homeId);
    const depth = this.options.tasksPerSlot ?? 1;
    if (home) return home.running < home.client.slots * depth ? home : undefined;
    let best: ExecutorSlots | undefined;
    for (const e of this.executors.values()) {
      if (e.running >= e.client.slots * depth) continue;
      if (!best || e.running / e.client.slots < best.running / best.client.slots) best = e;
    }
    return best;
  }
}
