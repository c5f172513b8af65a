/**
 * TaskSetManager: one attempt of one stage, one task per partition (Spark's TaskSetManager).
 * It owns which partitions are pending, running or done, how often each failed or lost its
 * executor, whether a failure is retried and after what backoff, where a pending partition
 * may run (locality), the results in partition order, and how long the stage waits when no
 * executor is left.
 *
 * It hands decisions to the TaskScheduler — launches from `offer`, outcomes from
 * `taskSucceeded`/`taskFailed`/`executorRemoved`, the stage's end from `state` — which owns
 * executors, slots and block homes, sends the launches and emits events. The manager never
 * talks to an executor, the event bus or a logger; it keeps its loss backoffs in a
 * LossBackoff (one timer for the earliest, so partitions due together relaunch together).
 *
 * THREADING: synchronous; every method runs to completion on its owner's event loop. Timers
 * go through the injected Clock and only hand a TaskSetTimer to `onTimer`; the owner passes
 * it back through `timerFired` from its loop, so no state changes inside a timer callback.
 */
import {
  fromWireError,
  KindlingError,
  TaskFailedError,
  type ErrorCode,
  type ExecutorId,
  type TaskId,
  type WireError,
} from '@kindling/shared/compute';
import type { Clock, TimerHandle } from '../clock.js';
import type { PartitionHomes } from '../storage/block-locations.js';
import { LossBackoff } from './loss-backoff.js';

/** Errors that the same input will always reproduce: retrying them only delays the report. */
const DETERMINISTIC: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_CSV_MALFORMED',
  'E_CSV_EMPTY',
  'E_CSV_HEADER',
  'E_INPUT_FORMAT',
  'E_LABEL',
  'E_INVALID_VALUE',
  'E_SCHEMA',
  'E_JOB_SPEC',
]);

/**
 * Failures that are not the task's fault — its executor (or the route to it, or its copy of
 * the plan) went away. Like Spark's executor-lost failures they do not count toward
 * maxTaskFailures, but they have their own bound so a crash-looping cluster still ends.
 */
const LOSSES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E_EXECUTOR_LOST', 'E_NO_RESPONDERS', 'E_PLAN_MISSING']);

/** Executor losses one task may live through; the next one fails the stage. */
export const MAX_EXECUTOR_LOSSES_PER_TASK = 8;

/** Backoff before relaunching after the n-th loss (n ≥ 1): gives a restarting executor time. */
function lossBackoffMs(code: ErrorCode, n: number): number {
  // The executor answered, it only lacks the plan; the next launch registers it first.
  if (code === 'E_PLAN_MISSING') return 0;
  return Math.min(2000, 100 * 2 ** (n - 1));
}

/** What one stage attempt is, for its manager. */
export interface TaskSet {
  readonly stageId: number;
  readonly name: string;
  /** One task per partition, 0 … partitions−1. */
  readonly partitions: number;
}

/** Retry and wait policy (Spark's spark.task.maxFailures). */
export interface TaskSetPolicy {
  /** Counted attempts per task before the stage fails. */
  readonly maxTaskFailures: number;
  /** How long the stage waits for an executor when none is left; default 0. */
  readonly executorWaitMs?: number;
}

/** A timer of the manager, handed to its owner to deliver back through `timerFired`. */
export type TaskSetTimer = { readonly type: 'backoff-elapsed' } | { readonly type: 'executor-wait-elapsed' };

/** What the manager needs from its owner. */
export interface TaskSetContext {
  readonly clock: Clock;
  /** Read at offer time: where each partition's blocks are. */
  readonly homes: PartitionHomes;
  /** A fresh id for an attempt (unique per launch). */
  readonly newTaskId: (partition: number, attempt: number) => TaskId;
  /** Called from a clock timer; the owner calls `timerFired(timer)` from its own loop. */
  readonly onTimer: (timer: TaskSetTimer) => void;
}

/** One live executor as offered to the manager. */
export interface ExecutorOffer {
  readonly id: ExecutorId;
  readonly slots: number;
  /** Tasks in flight on it, all stages together. */
  readonly running: number;
  /** Non-home tasks launch on it only while `running` is below this (slots × tasks per slot). */
  readonly capacity: number;
}

/** A decision to launch one attempt. */
export interface TaskLaunch {
  readonly taskId: TaskId;
  readonly partition: number;
  /** Counted failures before this attempt (losses do not advance it). */
  readonly attempt: number;
  readonly executorId: ExecutorId;
  /** True when the executor holds the partition's blocks. */
  readonly local: boolean;
}

/** Timings of one attempt, for events and a future web UI. */
export interface TaskTimes {
  /** From the partition becoming pending to its launch (driver-side scheduling delay). */
  readonly queuedMs: number;
  /** From launch to the outcome reaching the driver (includes executor-side queueing). */
  readonly runMs: number;
}

/** An attempt that succeeded and was the partition's current one. */
export interface TaskSuccess extends TaskTimes {
  readonly taskId: TaskId;
  readonly partition: number;
  readonly attempt: number;
  readonly executorId: ExecutorId;
}

/** An attempt that failed, and what happens next. */
export interface TaskFailure extends TaskTimes {
  readonly taskId: TaskId;
  readonly partition: number;
  readonly attempt: number;
  readonly executorId: ExecutorId;
  readonly error: WireError;
  /** False means the stage has failed (see `state`). */
  readonly willRetry: boolean;
  /** When retried: ms until the partition is pending again (0 = at once). */
  readonly retryDelayMs: number;
}

/** Where the stage attempt stands. */
export type TaskSetState<R> =
  | { readonly status: 'running' }
  | { readonly status: 'succeeded'; readonly results: R[]; readonly durationMs: number }
  | { readonly status: 'failed'; readonly error: KindlingError };

interface RunningTask {
  readonly taskId: TaskId;
  readonly partition: number;
  readonly attempt: number;
  readonly executorId: ExecutorId;
  readonly queuedMs: number;
  readonly launchedAt: number;
}

interface LoadedOffer {
  readonly offer: ExecutorOffer;
  running: number;
}

/** One stage attempt: pending and running partitions, retries, locality, results. */
export class TaskSetManager<R = unknown> {
  private readonly results: R[];
  private readonly failures: number[];
  private readonly losses: number[];
  /** Partitions ready to launch, ascending, and since when (for queue times). */
  private pending: number[];
  private readonly pendingSince = new Map<number, number>();
  private readonly running = new Map<TaskId, RunningTask>();
  private readonly backoff: LossBackoff;
  private waitTimer: TimerHandle | undefined;
  private completed = 0;
  private readonly startedAt: number;
  private outcome: TaskSetState<R> = { status: 'running' };

  constructor(
    readonly taskSet: TaskSet,
    private readonly policy: TaskSetPolicy,
    private readonly context: TaskSetContext,
  ) {
    const n = taskSet.partitions;
    this.results = new Array<R>(n);
    this.failures = new Array<number>(n).fill(0);
    this.losses = new Array<number>(n).fill(0);
    this.backoff = new LossBackoff(context.clock, () => context.onTimer({ type: 'backoff-elapsed' }));
    this.pending = Array.from({ length: n }, (_, i) => i);
    this.startedAt = context.clock.now();
    for (const p of this.pending) this.pendingSince.set(p, this.startedAt);
    if (n === 0) this.outcome = { status: 'succeeded', results: this.results, durationMs: 0 };
  }

  /** Where the stage attempt stands; once not 'running' it never changes again. */
  state(): TaskSetState<R> {
    return this.outcome;
  }

  /** Counts for progress displays. */
  counts(): { readonly completed: number; readonly running: number; readonly total: number } {
    return { completed: this.completed, running: this.running.size, total: this.taskSet.partitions };
  }

  /**
   * Places pending partitions on the offered (live) executors. A partition whose home is
   * offered goes there whatever its load: it would wait for that executor anyway, and
   * sending them all at once is what makes an iteration one message per executor. Others go
   * to the least loaded executor (running/slots) still below its capacity. An empty offer
   * with nothing running starts the no-executor wait; a non-empty one cancels it.
   */
  offer(executors: readonly ExecutorOffer[]): TaskLaunch[] {
    if (this.outcome.status !== 'running') return [];
    if (executors.length === 0) {
      if (this.running.size === 0) this.startExecutorWait();
      return [];
    }
    this.cancelExecutorWait();
    const load = new Map<ExecutorId, LoadedOffer>(executors.map((o) => [o.id, { offer: o, running: o.running }]));
    const launches: TaskLaunch[] = [];
    const away: number[] = [];
    for (const p of this.pending) {
      const home = this.context.homes.homeOf(p);
      const target = home === undefined ? undefined : load.get(home);
      if (target) launches.push(this.launch(p, target, true));
      else away.push(p);
    }
    const left: number[] = [];
    for (const p of away) {
      const target = leastLoaded(load.values());
      if (target) launches.push(this.launch(p, target, false));
      else left.push(p);
    }
    this.pending = left;
    return launches;
  }

  /** A task succeeded; undefined when it is not a current attempt (stale, or stage over). */
  taskSucceeded(taskId: TaskId, value: R): TaskSuccess | undefined {
    const task = this.finish(taskId);
    if (!task) return undefined;
    this.results[task.partition] = value;
    this.completed++;
    const now = this.context.clock.now();
    if (this.completed === this.taskSet.partitions) {
      this.end({ status: 'succeeded', results: this.results, durationMs: now - this.startedAt });
    }
    return { ...describe(task), queuedMs: task.queuedMs, runMs: now - task.launchedAt };
  }

  /**
   * A task failed: decides whether it is retried (and when) or fails the stage. Undefined
   * when it is not a current attempt.
   */
  taskFailed(taskId: TaskId, error: WireError): TaskFailure | undefined {
    const task = this.finish(taskId);
    if (!task) return undefined;
    const p = task.partition;
    const base = { ...describe(task), error, queuedMs: task.queuedMs, runMs: this.context.clock.now() - task.launchedAt };
    if (DETERMINISTIC.has(error.code)) {
      this.end({ status: 'failed', error: fromWireError(error) });
      return { ...base, willRetry: false, retryDelayMs: 0 };
    }
    if (LOSSES.has(error.code)) {
      const n = ++this.losses[p]!;
      if (n > MAX_EXECUTOR_LOSSES_PER_TASK) {
        this.end({ status: 'failed', error: this.taskFailedError(task, error, `lost its executor ${n} time(s)`) });
        return { ...base, willRetry: false, retryDelayMs: 0 };
      }
      const delay = lossBackoffMs(error.code, n);
      if (delay === 0) this.makePending(p);
      else this.backoff.add(p, delay);
      return { ...base, willRetry: true, retryDelayMs: delay };
    }
    const counted = ++this.failures[p]!;
    if (counted >= this.policy.maxTaskFailures) {
      this.end({ status: 'failed', error: this.taskFailedError(task, error, `failed ${counted} time(s)`) });
      return { ...base, willRetry: false, retryDelayMs: 0 };
    }
    this.makePending(p);
    return { ...base, willRetry: true, retryDelayMs: 0 };
  }

  /**
   * An executor left. A lost one's running tasks are gone: they fail here as losses (their
   * late reports, if any, are then stale). A drained one's tasks keep running to the end.
   */
  executorRemoved(executorId: ExecutorId, lost: boolean, reason: string): TaskFailure[] {
    if (!lost || this.outcome.status !== 'running') return [];
    const error: WireError = {
      code: 'E_EXECUTOR_LOST',
      name: 'KindlingError',
      message: `executor ${executorId} lost: ${reason}`,
      details: { executorId },
    };
    const out: TaskFailure[] = [];
    for (const task of [...this.running.values()]) {
      if (task.executorId !== executorId) continue;
      const f = this.taskFailed(task.taskId, error);
      if (f) out.push(f);
      if (this.outcome.status !== 'running') break;
    }
    return out;
  }

  /** Delivers a timer the manager set (see TaskSetContext.onTimer). */
  timerFired(timer: TaskSetTimer): void {
    if (this.outcome.status !== 'running') return;
    if (timer.type === 'backoff-elapsed') {
      for (const p of this.backoff.takeDue()) this.makePending(p);
      return;
    }
    if (this.waitTimer === undefined) return;
    this.waitTimer = undefined;
    const waitMs = this.policy.executorWaitMs ?? 0;
    const remaining = this.taskSet.partitions - this.completed;
    this.end({
      status: 'failed',
      error: new KindlingError(
        'E_NO_EXECUTORS',
        `stage ${this.taskSet.name}: no executor registered within ${waitMs} ms to run the remaining ${remaining} task(s)`,
      ),
    });
  }

  /** Ends the attempt from outside (the scheduler closing): clears timers, ignores later reports. */
  abort(error: KindlingError): void {
    if (this.outcome.status === 'running') this.end({ status: 'failed', error });
  }

  private launch(partition: number, target: LoadedOffer, local: boolean): TaskLaunch {
    const attempt = this.failures[partition]!;
    const taskId = this.context.newTaskId(partition, attempt);
    const now = this.context.clock.now();
    const queuedMs = now - (this.pendingSince.get(partition) ?? now);
    this.pendingSince.delete(partition);
    target.running++;
    const task: RunningTask = { taskId, partition, attempt, executorId: target.offer.id, queuedMs, launchedAt: now };
    this.running.set(taskId, task);
    return { taskId, partition, attempt, executorId: target.offer.id, local };
  }

  /** Takes a current attempt off the running set; undefined when there is none by that id. */
  private finish(taskId: TaskId): RunningTask | undefined {
    if (this.outcome.status !== 'running') return undefined;
    const task = this.running.get(taskId);
    if (!task) return undefined;
    this.running.delete(taskId);
    return task;
  }

  private makePending(partition: number): void {
    this.pendingSince.set(partition, this.context.clock.now());
    this.pending.push(partition);
    this.pending.sort((a, b) => a - b);
  }

  private startExecutorWait(): void {
    if (this.waitTimer !== undefined) return;
    const waitMs = this.policy.executorWaitMs ?? 0;
    this.waitTimer = this.context.clock.setTimeout(() => this.context.onTimer({ type: 'executor-wait-elapsed' }), waitMs);
  }

  private cancelExecutorWait(): void {
    if (this.waitTimer === undefined) return;
    this.context.clock.clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }

  private end(outcome: TaskSetState<R>): void {
    this.outcome = outcome;
    this.cancelExecutorWait();
    this.backoff.clear();
  }

  private taskFailedError(task: RunningTask, error: WireError, what: string): TaskFailedError {
    const { stageId, name } = this.taskSet;
    return new TaskFailedError(
      `task for partition ${task.partition} of stage ${stageId} (${name}) ${what}; last: ${error.message}`,
      task.taskId,
      task.attempt,
      task.executorId,
      error,
    );
  }
}

function describe(task: RunningTask): { taskId: TaskId; partition: number; attempt: number; executorId: ExecutorId } {
  return { taskId: task.taskId, partition: task.partition, attempt: task.attempt, executorId: task.executorId };
}

/** Least loaded by running/slots among those below capacity; the first wins ties (stable placement). */
function leastLoaded(offers: Iterable<LoadedOffer>): LoadedOffer | undefined {
  let best: LoadedOffer | undefined;
  for (const o of offers) {
    if (o.running >= o.offer.capacity) continue;
    if (!best || o.running / o.offer.slots < best.running / best.offer.slots) best = o;
  }
  return best;
}
