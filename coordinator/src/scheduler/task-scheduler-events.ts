/**
 * The events the TaskScheduler's loop handles, one union: everything that can change its
 * state arrives as one of these — a stage submitted by the job runner, a membership change,
 * a task's outcome from an executor's sink, a TaskSetManager's timer, the scheduler closing.
 * Names are facts, in the past tense.
 */
import type { ExecutorClient, ExecutorId, TaskRef, TaskUpdate, TaskUpdateSink } from '@kindling/shared/compute';
import type { TaskSetTimer } from './task-set-manager.js';

/** Sends one batch of a stage's tasks to one executor (the stage's op, params and plan are bound). */
export type StageLauncher = (client: ExecutorClient, tasks: readonly TaskRef[], sink: TaskUpdateSink) => void;

/** Every event of the task scheduler's loop. */
export type TaskSchedulerEvent =
  | {
      readonly type: 'stage-submitted';
      readonly name: string;
      readonly partitions: number;
      readonly launch: StageLauncher;
      readonly resolve: (results: unknown[]) => void;
      readonly reject: (error: Error) => void;
    }
  | { readonly type: 'executor-added'; readonly executor: ExecutorClient }
  | { readonly type: 'executor-removed'; readonly executorId: ExecutorId; readonly reason: string; readonly lost: boolean }
  | { readonly type: 'task-updated'; readonly stageId: number; readonly executorId: ExecutorId; readonly update: TaskUpdate }
  | { readonly type: 'timer-fired'; readonly stageId: number; readonly timer: TaskSetTimer }
  | { readonly type: 'scheduler-closed' };
