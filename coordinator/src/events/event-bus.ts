/**
 * EventBus: the driver's account of a running job as typed events. The job runner emits the
 * job's start, end and training iterations; the task scheduler emits stages and their
 * progress, task completions and failures, executors joining and leaving, and partitions
 * moved or rebuilt on another executor. Listeners (the CLI's progress bar and warnings, the
 * run record behind run.json, tests) learn about the job only from here, never from scheduler
 * state, and never steer it.
 *
 * Listeners run synchronously inside emit, in the emitter's turn and in subscription order:
 * they must be quick and must not throw: an exception would surface in the emitter (the
 * scheduler or the job runner) in the middle of its work.
 */

import type { IterationTelemetry } from '../ml/iteration-telemetry.js';

/** Every event the driver emits, by type. */
export interface DriverEvents {
  'job-started': { jobId: string; name: string; partitions: number; executors: number };
  'stage-submitted': { stageId: number; name: string; tasks: number };
  'stage-progress': { stageId: number; name: string; completed: number; running: number; total: number };
  'stage-completed': { stageId: number; name: string; durationMs: number; tasks: number };
  /** queuedMs: from pending to launched; runMs: from launched to its outcome (driver's clock); kernelMs: the executor's own time in the task. */
  'task-completed': {
    stageId: number;
    partition: number;
    attempt: number;
    executorId: string;
    queuedMs?: number;
    runMs?: number;
    kernelMs?: number;
    /** The partition's blocks cached on that executor after the task (absent from executors that do not report them). */
    blocks?: Array<{ name: string; bytes: number }>;
  };
  'executor-added': { executorId: string; slots: number };
  'executor-removed': { executorId: string; lost: boolean; reason: string; partitions: number[] };
  'partitions-moved': { moves: Array<{ partition: number; from: string; to: string }> };
  'partition-recovered': { partition: number; from: string; to: string; recoveryMs: number };
  'task-failed': {
    stageId: number;
    partition: number;
    attempt: number;
    executorId: string;
    code: string;
    message: string;
    willRetry: boolean;
    queuedMs?: number;
    runMs?: number;
  };
  iteration: IterationTelemetry;
  'job-completed': { jobId: string; durationMs: number };
  'job-failed': { jobId: string; code: string; message: string };
}

export type DriverEventType = keyof DriverEvents;
type Listener<K extends DriverEventType> = (event: DriverEvents[K]) => void;

/** Typed synchronous listener bus. */
export class EventBus {
  private readonly listeners = new Map<DriverEventType, Set<Listener<DriverEventType>>>();

  on<K extends DriverEventType>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<DriverEventType>);
    return () => set.delete(listener as Listener<DriverEventType>);
  }

  emit<K extends DriverEventType>(type: K, event: DriverEvents[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const l of set) l(event);
  }
}
