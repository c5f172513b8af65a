/**
 * The driver's Prometheus metrics, on a registry of its own (no prom-client globals, so two
 * drivers in one process do not collide): jobs, stages and tasks by state, a task-duration
 * histogram, iteration time split compute/coordination, executors by state, input bytes
 * served to executors, and Node's process metrics. Built from the EventBus alone (plus an
 * optional byte-count source), so `kindling submit --metrics-port` and the web UI's /metrics
 * both call driverMetricsRegistry(events) and serve its registry.
 * THREADING: driver event loop; bus listeners are synchronous and only bump numbers.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../events/event-bus.js';

/** Figures the bus does not carry, read at scrape time. */
export interface DriverMetricSources {
  /** Bytes of input ranges the driver has served to executors (cluster mode). */
  inputBytesServed?(): number;
  /**
   * The executors the driver holds now (the bus reports only joins and losses during a job,
   * not the executors present when it starts); without it, active counts the bus's joins.
   */
  executors?(): readonly { readonly id: string }[];
}

/** A driver registry attached to a bus; close() detaches it. */
export interface DriverMetrics {
  /** The registry to serve (`await registry.metrics()`, `registry.contentType`). */
  readonly registry: Registry;
  /** Stops listening to the bus; the registry keeps its last values. */
  close(): void;
}

/** Task-duration buckets, seconds: 1 ms to 2 min (gradient tasks are ms, loads are seconds). */
const TASK_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** "gradient 12" and "gradient 13" are one kind of stage: a bounded label. */
export function stageKind(name: string): string {
  return name.replace(/ \d+$/, '');
}

/** Builds the driver's registry over `events`. */
export function driverMetricsRegistry(events: EventBus, sources: DriverMetricSources = {}): DriverMetrics {
  const registry = new Registry();
  const registers = [registry];
  const jobs = { active: 0 };
  const stagesActive = new Map<number, number>(); // stageId → running tasks
  const executors = { active: new Set<string>(), lost: 0, drained: 0 };

  const jobsFinished = new Counter({
    name: 'kindling_driver_jobs_finished_total',
    help: 'Jobs that ended, by result',
    labelNames: ['result'],
    registers,
  });
  new Gauge({
    name: 'kindling_driver_jobs_active',
    help: 'Jobs running now',
    registers,
    collect() {
      this.set(jobs.active);
    },
  });
  const stagesCompleted = new Counter({
    name: 'kindling_driver_stages_completed_total',
    help: 'Stages that completed, by kind',
    labelNames: ['stage'],
    registers,
  });
  new Gauge({
    name: 'kindling_driver_stages_active',
    help: 'Stages submitted and not yet completed',
    registers,
    collect() {
      this.set(stagesActive.size);
    },
  });
  new Gauge({
    name: 'kindling_driver_tasks_running',
    help: 'Task attempts running now',
    registers,
    collect() {
      let n = 0;
      for (const running of stagesActive.values()) n += running;
      this.set(n);
    },
  });
  const tasksEnded = new Counter({
    name: 'kindling_driver_tasks_total',
    help: 'Task attempts that ended, by state: succeeded, failed (retried) or aborted (failed for good)',
    labelNames: ['state'],
    registers,
  });
  const taskSeconds = new Histogram({
    name: 'kindling_driver_task_duration_seconds',
    help: 'Task attempt run time as the driver saw it (launch to outcome), by stage kind',
    labelNames: ['stage'],
    buckets: TASK_SECONDS_BUCKETS,
    registers,
  });
  const iterations = new Counter({ name: 'kindling_driver_iterations_total', help: 'Optimizer iterations completed', registers });
  const iterationSeconds = new Counter({
    name: 'kindling_driver_iteration_seconds_total',
    help: 'Optimizer iteration time, split into executor compute and coordination (broadcast, queueing, gather)',
    labelNames: ['part'],
    registers,
  });
  const lastLoss = new Gauge({ name: 'kindling_driver_iteration_loss', help: 'Objective value after the last iteration', registers });
  const lastGradNorm = new Gauge({
    name: 'kindling_driver_iteration_gradient_norm',
    help: 'Gradient norm after the last iteration',
    registers,
  });
  new Gauge({
    name: 'kindling_driver_executors',
    help: 'Executors by state: active (running tasks for this driver), lost (timed out or died), drained (left on request)',
    labelNames: ['state'],
    registers,
    collect() {
      this.set({ state: 'active' }, sources.executors ? sources.executors().length : executors.active.size);
      this.set({ state: 'lost' }, executors.lost);
      this.set({ state: 'drained' }, executors.drained);
    },
  });
  if (sources.inputBytesServed) {
    const read = sources.inputBytesServed;
    new Counter({
      name: 'kindling_driver_input_bytes_served_total',
      help: 'Bytes of input file ranges the driver served to executors that cannot read the file themselves',
      registers,
      collect() {
        // The source is itself monotonic: mirror it.
        this.reset();
        this.inc(read());
      },
    });
  }
  collectDefaultMetrics({ register: registry });

  const off = [
    events.on('job-started', () => void jobs.active++),
    events.on('job-completed', () => {
      jobs.active = Math.max(0, jobs.active - 1);
      jobsFinished.inc({ result: 'succeeded' });
    }),
    events.on('job-failed', () => {
      jobs.active = Math.max(0, jobs.active - 1);
      jobsFinished.inc({ result: 'failed' });
    }),
    events.on('stage-submitted', (e) => void stagesActive.set(e.stageId, 0)),
    events.on('stage-progress', (e) => {
      if (stagesActive.has(e.stageId)) stagesActive.set(e.stageId, e.running);
    }),
    events.on('stage-completed', (e) => {
      stagesActive.delete(e.stageId);
      stagesCompleted.inc({ stage: stageKind(e.name) });
    }),
    events.on('task-completed', (e) => {
      tasksEnded.inc({ state: 'succeeded' });
      if (e.runMs !== undefined) taskSeconds.observe({ stage: stageKindOf(e.stageId) }, e.runMs / 1000);
    }),
    events.on('task-failed', (e) => {
      tasksEnded.inc({ state: e.willRetry ? 'failed' : 'aborted' });
      if (e.runMs !== undefined) taskSeconds.observe({ stage: stageKindOf(e.stageId) }, e.runMs / 1000);
    }),
    events.on('iteration', (e) => {
      iterations.inc();
      lastLoss.set(e.loss);
      if (e.gradNorm !== undefined) lastGradNorm.set(e.gradNorm);
      if (e.computeMs !== undefined) iterationSeconds.inc({ part: 'compute' }, e.computeMs / 1000);
      if (e.coordinationMs !== undefined) iterationSeconds.inc({ part: 'coordination' }, e.coordinationMs / 1000);
    }),
    events.on('executor-added', (e) => void executors.active.add(e.executorId)),
    events.on('executor-removed', (e) => {
      // Each job's scheduler re-announces the executors it starts with; count a loss once.
      if (!executors.active.delete(e.executorId)) return;
      if (e.lost) executors.lost++;
      else executors.drained++;
    }),
  ];

  // Stage names by id, for the histogram's label (task events carry only the id).
  const names = new Map<number, string>();
  off.push(
    events.on('stage-submitted', (e) => void names.set(e.stageId, stageKind(e.name))),
    events.on('stage-completed', (e) => void names.delete(e.stageId)),
  );
  function stageKindOf(stageId: number): string {
    return names.get(stageId) ?? 'unknown';
  }

  return {
    registry,
    close(): void {
      for (const u of off.splice(0)) u();
    },
  };
}
