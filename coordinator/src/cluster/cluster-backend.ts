/**
 * ClusterBackend: the driver's side of the wire (Spark's CoarseGrainedSchedulerBackend) as a
 * facade. It owns the wiring of its roles and the driver heartbeat, which tells executors this
 * driver and its jobs are alive so they can free the blocks of drivers that died. Membership is
 * delegated to ExecutorRegistry, task traffic to TaskLauncher, input ranges to InputServer.
 * The CLI, the test harness and the chaos/bench scripts create it; the task scheduler sees it
 * as an ExecutorMembership.
 *
 * THREADING: one event loop; each role keeps its own state, and this class only the timer.
 */
import { randomBytes } from 'node:crypto';
import {
  PROTOCOL_VERSION,
  subjects,
  type ExecutorClient,
  type ExecutorHeartbeat,
  type ExecutorId,
  type JobId,
  type Subjects,
  type Transport,
} from '@kindling/shared';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ExecutorMembership, MembershipChange } from './executor-membership.js';
import { ExecutorRegistry } from './executor-registry.js';
import { InputServer } from './input-server.js';
import { TaskLauncher } from './task-launcher.js';

/** Tunables of the driver's cluster backend. */
export interface ClusterBackendOptions {
  /** Subject prefix shared with the executors; default 'kindling'. */
  readonly prefix?: string;
  /** This driver's id (subject token); default `driver-<random>`. */
  readonly driverId?: string;
  /** Driver heartbeat period and executor sweep period; default 1000 ms. */
  readonly heartbeatMs?: number;
  /** An executor silent this long is lost; default 5000 ms. */
  readonly executorTimeoutMs?: number;
  /** A task with no outcome after this long fails with E_TASK_TIMEOUT; default 30 min. */
  readonly taskTimeoutMs?: number;
  /** How long register-plan / launch-tasks / drop-job wait for the executor's reply; default 5000 ms. */
  readonly launchTimeoutMs?: number;
  /** Time source for every timer of the backend; default the system clock. */
  readonly clock?: Clock;
}

/** The driver's connection to the executor pool. */
export class ClusterBackend implements ExecutorMembership {
  /** This driver's id, as executors see it in register-plan, launch-tasks and heartbeats. */
  readonly driverId: string;
  private readonly subjects: Subjects;
  private readonly clock: Clock;
  // Not named `registry`: scripts/chaos/chaos.mjs still probes `backend.registry?.entries()`
  // (the v1 Map) for its timeout diagnosis, and a non-Map there would make it throw.
  private readonly membership: ExecutorRegistry;
  private readonly launcher: TaskLauncher;
  private readonly inputs: InputServer;
  private readonly heartbeatTimer: TimerHandle;
  private readonly offStatus: () => void;
  private closed = false;

  /** Bytes of input ranges served to executors so far (the driver's metrics read it). */
  get inputBytesServed(): number {
    return this.inputs.bytesServed;
  }

  private constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
    options: ClusterBackendOptions,
  ) {
    this.driverId = options.driverId ?? `driver-${randomBytes(6).toString('hex')}`;
    this.subjects = subjects(options.prefix ?? 'kindling');
    this.clock = options.clock ?? systemClock;
    const heartbeatMs = options.heartbeatMs ?? 1000;
    // Dependencies point one way: registry → launcher (as its ExecutorConnector) → input server.
    this.inputs = new InputServer(transport, this.subjects, this.driverId, log);
    this.launcher = new TaskLauncher(transport, this.subjects, this.driverId, this.inputs, log, {
      clock: this.clock,
      ...(options.taskTimeoutMs !== undefined && { taskTimeoutMs: options.taskTimeoutMs }),
      ...(options.launchTimeoutMs !== undefined && { launchTimeoutMs: options.launchTimeoutMs }),
    });
    this.membership = new ExecutorRegistry(transport, this.subjects, this.launcher, log, {
      clock: this.clock,
      sweepMs: heartbeatMs,
      ...(options.executorTimeoutMs !== undefined && { executorTimeoutMs: options.executorTimeoutMs }),
    });
    this.heartbeatTimer = this.clock.setInterval(() => this.announce(), heartbeatMs);
    // Executors that restarted with the server may have freed our jobs: tell them at once.
    this.offStatus = transport.onStatus((status) => {
      if (status === 'reconnected') this.announce();
    });
  }

  /** Connects the backend, learns the executors that are already up and announces the driver. */
  static async start(transport: Transport, log: Logger, options: ClusterBackendOptions = {}): Promise<ClusterBackend> {
    const backend = new ClusterBackend(transport, log, options);
    await transport.flush();
    await backend.discover();
    backend.announce();
    return backend;
  }

  /** Executors that take tasks now. */
  executors(): readonly ExecutorClient[] {
    return this.membership.executors();
  }

  /** Listens to executors being added, draining and lost. */
  onChange(listener: (change: MembershipChange) => void): () => void {
    return this.membership.onChange(listener);
  }

  /** Latest heartbeat of every known executor (draining ones included). */
  heartbeats(): ExecutorHeartbeat[] {
    return this.membership.heartbeats();
  }

  /** Asks every executor for a heartbeat now and registers the answers. */
  discover(timeoutMs = 300): Promise<ExecutorHeartbeat[]> {
    return this.membership.discover(timeoutMs);
  }

  /** Resolves once at least `count` executors take tasks; rejects with E_NO_EXECUTORS after `timeoutMs`. */
  waitForExecutors(count: number, timeoutMs: number): Promise<void> {
    return this.membership.waitForExecutors(count, timeoutMs);
  }

  /** Forgets an executor now (e.g. Kubernetes reported its pod deleted); its tasks in flight fail with E_EXECUTOR_LOST. */
  markLost(id: ExecutorId, reason: string): void {
    this.membership.markLost(id, reason);
  }

  /** The job ended: its input files are no longer served and the driver heartbeat stops listing it. */
  /**
   * What the driver is waiting for right now: the task attempts in flight and every known
   * executor's last heartbeat with how long it has been silent. For operators and the chaos
   * script's timeout report; not a stable API.
   */
  diagnostics(): { inFlight: ReturnType<TaskLauncher['inFlightTasks']>; executors: Array<ExecutorHeartbeat & { silentMs: number }> } {
    const silence = new Map(this.membership.silence().map((s) => [s.id as string, s.silentMs]));
    return {
      inFlight: this.launcher.inFlightTasks(),
      executors: this.membership.heartbeats().map((h) => ({ ...h, silentMs: silence.get(h.executorId) ?? NaN })),
    };
  }

  forgetJob(jobId: JobId): void {
    this.inputs.forgetJob(jobId);
    this.launcher.forgetJob(jobId);
  }

  /** Stops every role; tasks still in flight fail with E_EXECUTOR_LOST. The transport stays open (the caller owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearInterval(this.heartbeatTimer);
    this.offStatus();
    this.membership.close();
    this.inputs.close();
    this.launcher.close();
  }

  private announce(): void {
    if (this.closed) return;
    this.transport
      .publish(this.subjects.driverHeartbeats, {
        type: 'driver-heartbeat',
        version: PROTOCOL_VERSION,
        driverId: this.driverId,
        jobs: this.launcher.jobs(),
        sentAt: this.clock.now(),
      })
      .catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'driver heartbeat not sent'));
  }
}
