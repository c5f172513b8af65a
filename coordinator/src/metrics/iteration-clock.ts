/**
 * IterationClock: times the optimiser's gradient stages and turns the optimiser's own report
 * into IterationTelemetry — wall time of the iteration's stages and how it split between the
 * executors' kernels (compute) and everything else (coordination: broadcast, queueing, gather).
 * The job runner wraps each gradient stage in measure() and hands each iteration report to
 * telemetry(). It only listens to the event bus and reads clocks; it never steers the job.
 * THREADING: driver event loop; bus listeners are synchronous.
 */
import type { EventBus } from '../events/event-bus.js';
import type { IterationTelemetry, OptimizerIterationTelemetry } from '../ml/iteration-telemetry.js';

/** One timed stage (one objective evaluation). */
interface StageSample {
  readonly wallMs: number;
  /** undefined when some task came back without a kernel time (an older executor). */
  readonly computeMs: number | undefined;
}

/**
 * The executor side of a stage: its longest task as the executors timed it (a batch's tasks
 * all start when it arrives, so the longest one spans its executor's share, thread waits
 * included). undefined when some task has no kernel time. Exported for tests.
 */
export function stageComputeMs(kernels: readonly (number | undefined)[]): number | undefined {
  let longest = 0;
  for (const k of kernels) {
    if (k === undefined) return undefined;
    longest = Math.max(longest, k);
  }
  return longest;
}

/** Times gradient stages and builds each iteration's telemetry. */
export class IterationClock {
  private samples: StageSample[] = [];

  /**
   * @param events the driver's bus (stage-submitted and task-completed are read)
   * @param now a monotonic clock in ms
   */
  constructor(
    private readonly events: EventBus,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs one stage named `name` and records its wall and compute time. */
  async measure<T>(name: string, run: (name: string) => Promise<T>): Promise<T> {
    let stageId: number | undefined;
    const kernels: Array<number | undefined> = [];
    const offSubmitted = this.events.on('stage-submitted', (e) => {
      if (stageId === undefined && e.name === name) stageId = e.stageId;
    });
    // Only the successful attempt of each partition counts: a failed attempt's time is
    // coordination (it bought nothing).
    const offCompleted = this.events.on('task-completed', (e) => {
      if (e.stageId === stageId) kernels.push(e.kernelMs);
    });
    const started = this.now();
    try {
      const result = await run(name);
      const wallMs = this.now() - started;
      const compute = stageComputeMs(kernels);
      this.samples.push({ wallMs, computeMs: compute === undefined ? undefined : Math.min(compute, wallMs) });
      return result;
    } finally {
      offSubmitted();
      offCompleted();
    }
  }

  /**
   * The optimiser's report plus the timings of its evaluations: the last `evaluations` stages
   * measured (the start point's evaluation, before iteration 1, is nobody's iteration).
   */
  telemetry(report: OptimizerIterationTelemetry): IterationTelemetry {
    const own = this.samples.slice(Math.max(0, this.samples.length - report.evaluations));
    this.samples = [];
    if (own.length === 0) return { ...report };
    let wallMs = 0;
    let computeMs: number | undefined = 0;
    for (const s of own) {
      wallMs += s.wallMs;
      computeMs = computeMs === undefined || s.computeMs === undefined ? undefined : computeMs + s.computeMs;
    }
    if (computeMs === undefined) return { ...report, wallMs };
    return { ...report, wallMs, computeMs, coordinationMs: wallMs - computeMs };
  }
}
