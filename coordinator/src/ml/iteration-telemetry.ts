/**
 * What the driver reports after each optimizer iteration, for the live UI, the event log,
 * Prometheus and the run record: the objective, the gradient's norm, the accepted step, the
 * loss/gradient evaluations it took, and how the iteration's wall time split between waiting
 * for executors (coordination: broadcast, queueing, gather) and the executors' kernels
 * (compute). Every trainer (binomial, multinomial) reports this one shape.
 */

/** One optimizer iteration, as the driver saw it. */
export interface IterationTelemetry {
  /** 1-based iteration number (0 is the start point). */
  readonly iteration: number;
  /** Objective value (loss + regularisation) at the accepted point. */
  readonly loss: number;
  /** Norm of the (adjusted) gradient at the accepted point. */
  readonly gradNorm?: number;
  /** Accepted line-search step size. */
  readonly stepSize?: number;
  /** Loss/gradient evaluations (gradient stages) the iteration took. */
  readonly evaluations?: number;
  /** Wall time of the iteration's gradient stages, ms. */
  readonly wallMs?: number;
  /**
   * Part of wallMs spent on the executors, ms: per gradient stage, its longest task as the
   * executor timed it (from taking the task to its result: input, worker thread, kernel),
   * summed over the iteration's stages.
   */
  readonly computeMs?: number;
  /** wallMs − computeMs: broadcast, queueing and gathering, ms. */
  readonly coordinationMs?: number;
}

/** What the optimiser itself knows of an iteration; the driver adds the timings. */
export type OptimizerIterationTelemetry = Required<
  Pick<IterationTelemetry, 'iteration' | 'loss' | 'gradNorm' | 'stepSize' | 'evaluations'>
>;
