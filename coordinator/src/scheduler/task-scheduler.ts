/**
 * TaskScheduler: decides what runs next on the job's executors, and only that. It owns the
 * live executors (following membership changes), per-executor slot accounting, block homes
 * (storage/block-locations.ts), rebalancing homes onto executors that joined, at stage
 * boundaries, and launching: each dispatch round offers the live executors to every running
 * stage's TaskSetManager, in submission order, and sends each executor one launchTasks batch
 * per stage. Per-stage bookkeeping — retries, locality, results in partition order (the
 * determinism contract) — is the TaskSetManager's; what the stages are is the job runner's.
 * It hands on DriverEvents to the event bus and batches to ExecutorClients.
 *
 * THREADING: one writer. Every state change happens in `handle(event)`, reached through
 * `post`, which queues events that arrive while one is being handled (a client may report
 * inside launchTasks, a membership listener may fire mid-round). No await anywhere: sends,
 * sinks, membership changes and timers all end by posting an event.
 */
import {
  asTaskId,
  KindlingError,
  toWireError,
  type CachedBlock,
  type ExecutorClient,
  type ExecutorId,
  type JobId,
  type JobPlan,
  type TaskId,
  type TaskOp,
  type TaskParamsByOp,
  type TaskRef,
  type TaskResultByOp,
  type TaskUpdate,
} from '@kindling/shared/compute';
import { systemClock, type Clock } from '../clock.js';
import type { ExecutorMembership } from '../cluster/executor-membership.js';
import type { DriverEvents, EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { BlockLocations } from '../storage/block-locations.js';
import { planRebalance } from './plan-rebalance.js';
import type { StageLauncher, TaskSchedulerEvent } from './task-scheduler-events.js';
import { TaskSetManager, type ExecutorOffer, type TaskFailure, type TaskLaunch, type TaskTimes } from './task-set-manager.js';

/** A stage: one task of `op` with `params` per partition 0 … partitions−1. */
export interface Stage<O extends TaskOp> {
  readonly name: string;
  readonly op: O;
  readonly params: TaskParamsByOp[O];
  readonly partitions: number;
}

/** Options of the task scheduler (Spark's spark.task.maxFailures). */
export interface TaskSchedulerOptions {
  /** Attempts per task before the job fails; local mode uses 1, like Spark. */
  readonly maxTaskFailures: number;
  /** How long a stage waits for an executor when none is left before failing; default 0. */
  readonly executorWaitMs?: number;
  /**
   * Non-home task attempts in flight per slot; default 1. Over a network, 2 lets an executor
   * queue its next task while it runs one, hiding a round trip per wave of tasks.
   */
  readonly tasksPerSlot?: number;
}

/** task-completed / task-failed as emitted: the bus's payload plus per-task timings. */
type TaskCompletedEvent = DriverEvents['task-completed'] & TaskTimes;
type TaskFailedEvent = DriverEvents['task-failed'] & TaskTimes;

interface ExecutorSlots {
  readonly client: ExecutorClient;
  /** Tasks launched on it and not yet reported, all stages together. */
  readonly inFlight: Set<TaskId>;
}

interface StageRun {
  readonly stageId: number;
  readonly manager: TaskSetManager;
  readonly launch: StageLauncher;
  readonly resolve: (results: unknown[]) => void;
  readonly reject: (error: Error) => void;
}

/** Places the tasks of each stage on executor slots, one batch per executor per round. */
export class TaskScheduler {
  private readonly executors = new Map<ExecutorId, ExecutorSlots>();
  private readonly blocks = new BlockLocations();
  /** Running stages; insertion order is submission order (FIFO, like Spark's default pool). */
  private readonly stages = new Map<number, StageRun>();
  private readonly queue: TaskSchedulerEvent[] = [];
  private readonly unsubscribe: () => void;
  private handling = false;
  private closed = false;
  private nextStageId = 0;
  private taskCounter = 0;

  constructor(
    membership: ExecutorMembership,
    private readonly jobId: JobId,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly options: TaskSchedulerOptions,
    private readonly clock: Clock = systemClock,
  ) {
    for (const client of membership.executors()) this.executors.set(client.id, { client, inFlight: new Set() });
    this.unsubscribe = membership.onChange((c) =>
      this.post(
        c.type === 'added'
          ? { type: 'executor-added', executor: c.executor }
          : { type: 'executor-removed', executorId: c.executorId, reason: c.reason, lost: c.lost },
      ),
    );
  }

  /** Stops following membership changes; stages still running fail with E_INTERNAL. */
  close(): void {
    this.unsubscribe();
    this.post({ type: 'scheduler-closed' });
  }

  /** Which executor holds partition p's blocks, if known. */
  homeOf(partition: number): ExecutorId | undefined {
    return this.blocks.homeOf(partition);
  }

  /** Executors currently eligible for new tasks. */
  executorIds(): ExecutorId[] {
    return [...this.executors.keys()];
  }

  /** Runs a stage to completion against `plan`; results[i] is partition i's partial. */
  runStage<O extends TaskOp>(stage: Stage<O>, plan: JobPlan): Promise<TaskResultByOp[O][]> {
    const launch: StageLauncher = (client, tasks, sink) =>
      client.launchTasks<O>(this.jobId, plan, { op: stage.op, params: stage.params, tasks }, sink);
    return new Promise<TaskResultByOp[O][]>((resolve, reject) => {
      this.post({
        type: 'stage-submitted',
        name: stage.name,
        partitions: stage.partitions,
        launch,
        resolve: (r) => resolve(r as TaskResultByOp[O][]),
        reject,
      });
    });
  }

  /** Queues an event; handles it (and any it causes) now unless an event is being handled. */
  post(event: TaskSchedulerEvent): void {
    this.queue.push(event);
    if (this.handling) return;
    this.handling = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.handle(next);
    } finally {
      this.handling = false;
    }
  }

  /** Applies one event to the scheduler's state (synchronous; call through `post`). */
  handle(event: TaskSchedulerEvent): void {
    if (this.closed) {
      if (event.type === 'stage-submitted') event.reject(new KindlingError('E_INTERNAL', `task scheduler of job ${this.jobId} is closed`));
      return;
    }
    switch (event.type) {
      case 'stage-submitted':
        return this.onStageSubmitted(event);
      case 'executor-added':
        return this.onExecutorAdded(event.executor);
      case 'executor-removed':
        return this.onExecutorRemoved(event.executorId, event.reason, event.lost);
      case 'task-updated':
        return this.onTaskUpdated(event.stageId, event.executorId, event.update);
      case 'timer-fired': {
        const run = this.stages.get(event.stageId);
        if (!run) return;
        run.manager.timerFired(event.timer);
        this.settle(run);
        return this.reviveOffers();
      }
      case 'scheduler-closed':
        return this.onClosed();
    }
  }

  private onStageSubmitted(event: Extract<TaskSchedulerEvent, { type: 'stage-submitted' }>): void {
    const stageId = this.nextStageId++;
    this.rebalance(event.partitions);
    this.events.emit('stage-submitted', { stageId, name: event.name, tasks: event.partitions });
    const manager = new TaskSetManager(
      { stageId, name: event.name, partitions: event.partitions },
      { maxTaskFailures: this.options.maxTaskFailures, executorWaitMs: this.options.executorWaitMs ?? 0 },
      {
        clock: this.clock,
        homes: this.blocks,
        newTaskId: (p, attempt) => asTaskId(`${this.jobId}.${stageId}.${p}.${attempt}.${this.taskCounter++}`),
        onTimer: (timer) => this.post({ type: 'timer-fired', stageId, timer }),
      },
    );
    const run: StageRun = { stageId, manager, launch: event.launch, resolve: event.resolve, reject: event.reject };
    this.stages.set(stageId, run);
    if (this.executors.size === 0 && event.partitions > 0) this.warnNoExecutor(event.name);
    this.settle(run);
    this.reviveOffers();
  }

  private onExecutorAdded(client: ExecutorClient): void {
    if (this.executors.has(client.id)) return;
    this.executors.set(client.id, { client, inFlight: new Set() });
    this.log.info({ executor: client.id, slots: client.slots }, 'executor joined');
    this.events.emit('executor-added', { executorId: client.id, slots: client.slots });
    this.reviveOffers();
  }

  private onExecutorRemoved(executorId: ExecutorId, reason: string, lost: boolean): void {
    if (this.executors.delete(executorId)) {
      // Its cached blocks are gone (lost) or leaving (drain): tasks go elsewhere and rebuild from lineage.
      const orphaned = this.blocks.executorRemoved(executorId, this.clock.now());
      this.log.warn({ executor: executorId, lost, partitions: orphaned }, `executor removed: ${reason}`);
      this.events.emit('executor-removed', { executorId, lost, reason, partitions: orphaned });
    }
    // Even when already gone (drained, then lost), its running tasks may still be waited on.
    for (const run of [...this.stages.values()]) {
      for (const failure of run.manager.executorRemoved(executorId, lost, reason)) this.reportFailure(run, failure);
      this.settle(run);
    }
    if (this.executors.size === 0) for (const run of this.stages.values()) this.warnNoExecutor(run.manager.taskSet.name);
    this.reviveOffers();
  }

  private onTaskUpdated(stageId: number, executorId: ExecutorId, update: TaskUpdate): void {
    this.executors.get(executorId)?.inFlight.delete(update.taskId);
    const run = this.stages.get(stageId);
    if (run) {
      if (update.ok) this.reportSuccess(run, update.taskId, update.value, update.kernelMs, update.blocks);
      else {
        const failure = run.manager.taskFailed(update.taskId, update.error);
        if (failure) this.reportFailure(run, failure);
      }
      this.settle(run);
    }
    // A slot came free either way.
    this.reviveOffers();
  }

  private reportSuccess(run: StageRun, taskId: TaskId, value: unknown, kernelMs?: number, blocks?: readonly CachedBlock[]): void {
    const success = run.manager.taskSucceeded(taskId, value);
    if (!success) return;
    const { stageId } = run;
    const { partition, attempt, executorId } = success;
    // A drained executor's blocks are leaving with it: only a live one becomes the home.
    const recovery = this.executors.has(executorId) ? this.blocks.record(partition, executorId, this.clock.now()) : undefined;
    const completed: TaskCompletedEvent = {
      stageId,
      partition,
      attempt,
      executorId,
      queuedMs: success.queuedMs,
      runMs: success.runMs,
      ...(kernelMs !== undefined ? { kernelMs } : {}),
      ...(blocks !== undefined ? { blocks: blocks.map((b) => ({ name: b.name, bytes: b.bytes })) } : {}),
    };
    this.events.emit('task-completed', completed);
    if (recovery)
      this.events.emit('partition-recovered', { partition, from: recovery.from, to: recovery.to, recoveryMs: recovery.recoveryMs });
    this.emitProgress(run);
  }

  private reportFailure(run: StageRun, f: TaskFailure): void {
    const failed: TaskFailedEvent = {
      stageId: run.stageId,
      partition: f.partition,
      attempt: f.attempt,
      executorId: f.executorId,
      code: f.error.code,
      message: f.error.message,
      willRetry: f.willRetry,
      queuedMs: f.queuedMs,
      runMs: f.runMs,
    };
    this.events.emit('task-failed', failed);
    if (!f.willRetry) return;
    const name = run.manager.taskSet.name;
    this.log.warn(
      { stage: name, partition: f.partition, attempt: f.attempt, executor: f.executorId, code: f.error.code },
      `task failed, retrying: ${f.error.message}`,
    );
    // Its blocks may be what failed: let the retry go wherever there is room.
    this.blocks.forget(f.partition);
  }

  /** Resolves or rejects a stage whose manager says it is over. */
  private settle(run: StageRun): void {
    const state = run.manager.state();
    if (state.status === 'running') return;
    this.stages.delete(run.stageId);
    if (state.status === 'failed') {
      run.reject(state.error);
      return;
    }
    const { name, partitions } = run.manager.taskSet;
    this.events.emit('stage-completed', { stageId: run.stageId, name, durationMs: state.durationMs, tasks: partitions });
    run.resolve(state.results);
  }

  /**
   * One dispatch round: offers the live executors to each running stage in turn, then sends
   * each (executor, stage) its launches as one batch. All state is written before any send,
   * so a client reporting synchronously only queues events.
   */
  private reviveOffers(): void {
    const depth = this.options.tasksPerSlot ?? 1;
    const sends: Array<() => void> = [];
    for (const run of [...this.stages.values()]) {
      const offers: ExecutorOffer[] = [...this.executors.values()].map((e) => ({
        id: e.client.id,
        slots: e.client.slots,
        running: e.inFlight.size,
        capacity: e.client.slots * depth,
      }));
      const launches = run.manager.offer(offers);
      this.settle(run);
      if (launches.length === 0) continue;
      for (const [executorId, tasks] of byExecutor(launches)) {
        const slots = this.executors.get(executorId);
        if (!slots) continue;
        for (const t of tasks) slots.inFlight.add(t.taskId);
        sends.push(() => this.send(run, slots.client, tasks));
      }
      this.emitProgress(run);
    }
    for (const send of sends) send();
  }

  private send(run: StageRun, client: ExecutorClient, tasks: readonly TaskRef[]): void {
    const { stageId } = run;
    const executorId = client.id;
    try {
      run.launch(client, tasks, (update) => this.post({ type: 'task-updated', stageId, executorId, update }));
    } catch (err) {
      // The contract says launchTasks never throws; if one does, fail its tasks rather than hang
      // (reports it did make are then stale and ignored).
      const error = toWireError(err);
      for (const t of tasks)
        this.post({ type: 'task-updated', stageId, executorId, update: { taskId: t.taskId, partition: t.partition, ok: false, error } });
    }
  }

  private emitProgress(run: StageRun): void {
    const { completed, running, total } = run.manager.counts();
    this.events.emit('stage-progress', { stageId: run.stageId, name: run.manager.taskSet.name, completed, running, total });
  }

  private rebalance(partitions: number): void {
    const live = [...this.executors.values()].map((e) => ({ id: e.client.id, slots: e.client.slots }));
    const moves = planRebalance(partitions, live, this.blocks.entries());
    if (moves.length === 0) return;
    for (const m of moves) this.blocks.move(m.partition, m.to);
    this.log.info({ moves }, `rebalanced ${moves.length} partition(s) across ${live.length} executors`);
    this.events.emit('partitions-moved', { moves });
  }

  private warnNoExecutor(stage: string): void {
    this.log.warn({ stage, waitMs: this.options.executorWaitMs ?? 0 }, 'no executor left; waiting for one to register');
  }

  private onClosed(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const run of [...this.stages.values()]) {
      run.manager.abort(
        new KindlingError('E_INTERNAL', `task scheduler of job ${this.jobId} closed while stage ${run.manager.taskSet.name} was running`),
      );
      this.settle(run);
    }
  }
}

/** Launches grouped by executor, in first-launch order; each group keeps partition order. */
function byExecutor(launches: readonly TaskLaunch[]): Map<ExecutorId, TaskRef[]> {
  const groups = new Map<ExecutorId, TaskRef[]>();
  for (const l of launches) {
    let group = groups.get(l.executorId);
    if (!group) groups.set(l.executorId, (group = []));
    group.push({ taskId: l.taskId, partition: l.partition });
  }
  return groups;
}
