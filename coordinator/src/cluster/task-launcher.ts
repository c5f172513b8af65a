/**
 * TaskLauncher: the only coordinator module that sends register-plan, launch-tasks and
 * drop-job or receives task outcomes (the launchTasks / StatusUpdate half of Spark's
 * CoarseGrainedSchedulerBackend). It owns the tasks in flight (each one's sink until its one
 * outcome), the plan version each executor holds per job, and task timeouts. Membership is
 * the registry's (told of unreachable executors, it reports losses back); input files are the
 * input server's. The scheduler reaches it through the RemoteExecutorClients it creates.
 *
 * THREADING: one event loop. A task ends only in settle(), which removes it from the in-flight
 * map before calling its sink, so results, losses, timeouts and reconnects can race and each
 * sink still hears exactly one outcome; state is re-read after every await.
 */
import { ERROR_CODES, PROTOCOL_VERSION, fromWireError, toWireError, validateTaskResult } from '@kindling/shared';
import type {
  ErrorCode,
  ExecutorId,
  ExecutorStatus,
  JobId,
  JobPlan,
  Message,
  OpWithParams,
  Subjects,
  Subscription,
} from '@kindling/shared';
import type {
  TaskBatch,
  TaskId,
  TaskOp,
  TaskRef,
  TaskOutcome,
  TaskResultByOp,
  TaskUpdate,
  TaskUpdateSink,
  Transport,
  WireError,
} from '@kindling/shared';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ExecutorConnector } from './executor-registry.js';
import type { JobInputs } from './input-server.js';
import { RemoteExecutorClient, type TaskTraffic } from './remote-executor-client.js';

/** Tunables of the launcher. */
export interface TaskLauncherOptions {
  /** A task with no outcome this long after its launch fails with E_TASK_TIMEOUT; default 30 min. */
  readonly taskTimeoutMs?: number;
  /** How long register-plan, launch-tasks and drop-job wait for their reply; default 5000 ms. */
  readonly launchTimeoutMs?: number;
  /** Time source; default the system clock. */
  readonly clock?: Clock;
}

/** One launchTasks call: a batch for one executor, and its tasks still in flight. */
interface Launch {
  readonly executorId: ExecutorId;
  readonly jobId: JobId;
  readonly plan: JobPlan;
  readonly op: TaskOp;
  readonly params: unknown;
  readonly tasks: readonly TaskRef[];
  open: number;
  timer: TimerHandle | undefined;
}

interface InFlight {
  readonly launch: Launch;
  readonly partition: number;
  readonly sink: TaskUpdateSink<unknown>;
}

/** A plan version sent (or being sent) to one executor for one job; launches share `done`. */
interface Registration {
  readonly version: number;
  readonly done: Promise<void>;
}

/** Sends task batches to executors and routes each task's outcome to its sink. */
export class TaskLauncher implements ExecutorConnector, TaskTraffic {
  private readonly inFlight = new Map<string, InFlight>();
  /** Per executor, per job: the plan version it holds (or is being sent). */
  private readonly registrations = new Map<ExecutorId, Map<JobId, Registration>>();
  /** Jobs launched and not forgotten: the driver heartbeat lists them. */
  private readonly liveJobs = new Set<JobId>();
  private readonly unreachableListeners = new Set<(id: ExecutorId, reason: string) => void>();
  private readonly clock: Clock;
  private readonly taskTimeoutMs: number;
  private readonly launchTimeoutMs: number;
  private readonly subscription: Subscription;
  private readonly offStatus: () => void;
  private closed = false;

  /** Subscribes to this driver's results subject at once; call close() to stop. */
  constructor(
    private readonly transport: Transport,
    private readonly subjects: Subjects,
    private readonly driverId: string,
    private readonly inputs: JobInputs,
    private readonly log: Logger,
    options: TaskLauncherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30 * 60_000;
    this.launchTimeoutMs = options.launchTimeoutMs ?? 5000;
    this.subscription = transport.subscribe(subjects.taskResults(driverId), (m) => this.onTasksFinished(m));
    this.offStatus = transport.onStatus((status) => {
      if (status === 'reconnected') this.reconnected();
    });
  }

  /** The client of one executor, as the registry hands it to the scheduler. */
  clientFor(id: ExecutorId, slots: number, status: () => ExecutorStatus): RemoteExecutorClient {
    return new RemoteExecutorClient(id, slots, this, status);
  }

  /** Subscribes to executors found unreachable (a request got E_NO_RESPONDERS). */
  onUnreachable(listener: (id: ExecutorId, reason: string) => void): () => void {
    this.unreachableListeners.add(listener);
    return () => {
      this.unreachableListeners.delete(listener);
    };
  }

  /** The executor is gone: its tasks in flight fail with E_EXECUTOR_LOST and its plans are forgotten. */
  executorLost(id: ExecutorId, reason: string): void {
    this.registrations.delete(id);
    for (const [taskId, f] of [...this.inFlight]) {
      if (f.launch.executorId === id) this.fail(taskId, lostError(`executor ${id} lost (${reason}) while running task ${taskId}`, id));
    }
  }

  /**
   * Runs `batch` of `jobId` on `executorId` (see ExecutorClient.launchTasks): registers
   * `plan` there first unless it holds that version, sends one launch-tasks for the batch, and
   * gives each task's outcome to `sink` exactly once. Never throws.
   */
  launch<O extends TaskOp>(
    executorId: ExecutorId,
    jobId: JobId,
    plan: JobPlan,
    batch: TaskBatch<O>,
    sink: TaskUpdateSink<TaskResultByOp[O]>,
  ): void {
    const tasks: TaskRef[] = [];
    const launch: Launch = { executorId, jobId, plan, op: batch.op, params: batch.params, tasks, open: 0, timer: undefined };
    const anySink = sink as TaskUpdateSink<unknown>;
    for (const t of batch.tasks) {
      if (this.inFlight.has(t.taskId)) {
        // Two tasks under one id could not be told apart: the later one fails alone. Deferred,
        // like every outcome, so a caller never hears one before launchTasks returns.
        const update: TaskUpdate<unknown> = {
          taskId: t.taskId,
          partition: t.partition,
          ok: false,
          error: wire('E_INTERNAL', `task ${t.taskId} is already in flight`, { taskId: t.taskId }),
        };
        queueMicrotask(() => deliver(anySink, update, this.log));
        continue;
      }
      this.inFlight.set(t.taskId, { launch, partition: t.partition, sink: anySink });
      tasks.push(t);
      launch.open++;
    }
    if (launch.open === 0) return;
    if (this.closed) {
      queueMicrotask(() => this.failLaunch(launch, lostError('the driver is shutting down', executorId)));
      return;
    }
    this.liveJobs.add(jobId);
    launch.timer = this.clock.setTimeout(() => {
      this.failLaunch(
        launch,
        wire('E_TASK_TIMEOUT', `no outcome from executor ${executorId} within ${this.taskTimeoutMs} ms`, {
          executorId,
          timeoutMs: this.taskTimeoutMs,
        }),
      );
    }, this.taskTimeoutMs);
    this.send(launch, false).catch((err: unknown) => {
      this.log.error({ executor: executorId, job: jobId, err: text(err) }, 'launch failed unexpectedly');
      this.failLaunch(launch, toWireError(err));
    });
  }

  /** Asks an executor to free a job's plan and blocks; rejects if it answers with an error. */
  async dropJob(executorId: ExecutorId, jobId: JobId): Promise<void> {
    // Whatever the answer, what the executor holds for the job is unknown from now on.
    this.registrations.get(executorId)?.delete(jobId);
    let ack;
    try {
      ack = await this.transport.request(
        this.subjects.dropJob(executorId),
        { type: 'drop-job', version: PROTOCOL_VERSION, jobId },
        { expect: 'ack', timeoutMs: this.launchTimeoutMs },
      );
    } catch (err) {
      if (codeOf(err) !== 'E_NO_RESPONDERS') throw err;
      // Nothing runs there any more, so nothing is left to free.
      this.unreachable(executorId, 'no process answers on its drop-job subject');
      return;
    }
    if (!ack.ok)
      throw fromWireError(ack.error ?? wire('E_INTERNAL', `executor ${executorId} refused to drop job ${jobId} without a reason`));
  }

  /** The task attempts in flight, for diagnostics (e.g. the chaos script's timeout report). */
  inFlightTasks(): Array<{ taskId: string; executorId: ExecutorId; jobId: JobId; op: TaskOp; partition: number }> {
    return [...this.inFlight].map(([taskId, f]) => ({
      taskId,
      executorId: f.launch.executorId,
      jobId: f.launch.jobId,
      op: f.launch.op,
      partition: f.partition,
    }));
  }

  /** Jobs with live plans (launched and not forgotten), for the driver heartbeat. */
  jobs(): JobId[] {
    return [...this.liveJobs];
  }

  /** The job ended: it is no longer live and its plan registrations are forgotten. */
  forgetJob(jobId: JobId): void {
    this.liveJobs.delete(jobId);
    for (const jobs of this.registrations.values()) jobs.delete(jobId);
  }

  /** Stops receiving results; every task in flight fails with E_EXECUTOR_LOST. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.offStatus();
    this.registrations.clear();
    for (const taskId of [...this.inFlight.keys()]) this.fail(taskId, lostError('the driver is shutting down'));
  }

  // ── sending ─────────────────────────────────────────────────────────────────────

  private async send(launch: Launch, relaunch: boolean): Promise<void> {
    const { executorId, jobId, plan } = launch;
    const registration = this.registration(executorId, jobId, plan);
    try {
      await registration.done;
    } catch (err) {
      this.requestFailed(launch, 'register-plan', err);
      return;
    }
    // Losses, timeouts or a reconnect may have ended some tasks while the plan travelled.
    const tasks = launch.tasks.filter((t) => this.inFlight.get(t.taskId)?.launch === launch);
    if (tasks.length === 0) return;
    let reply;
    try {
      reply = await this.transport.request(
        this.subjects.launchTasks(executorId),
        {
          type: 'launch-tasks',
          version: PROTOCOL_VERSION,
          driverId: this.driverId,
          jobId,
          planVersion: plan.version,
          batch: { op: launch.op, params: launch.params } as OpWithParams,
          tasks: tasks.map((t) => ({ taskId: t.taskId, partition: t.partition })),
        },
        { expect: 'tasks-accepted', timeoutMs: this.launchTimeoutMs },
      );
    } catch (err) {
      // An executor answering with an error ack instead of tasks-accepted still means a refusal.
      if (codeOf(err) === 'E_PLAN_MISSING') await this.planMissing(launch, registration, relaunch, toWireError(err));
      else this.requestFailed(launch, 'launch-tasks', err);
      return;
    }
    if (reply.accepted) {
      if (reply.outcomes !== undefined) this.onOutcomes(executorId, jobId, reply.outcomes);
      return;
    }
    const refusal = reply.error ?? lostError(`executor ${executorId} refused the tasks without a reason`, executorId);
    if (refusal.code === 'E_PLAN_MISSING') await this.planMissing(launch, registration, relaunch, refusal);
    else this.failLaunch(launch, refusal);
  }

  /**
   * The executor forgot the plan (it freed the job of a driver it thought dead, or restarted
   * between heartbeats): register it again and relaunch, once; a second refusal is final.
   */
  private async planMissing(launch: Launch, used: Registration, relaunched: boolean, refusal: WireError): Promise<void> {
    if (relaunched) {
      this.failLaunch(launch, refusal);
      return;
    }
    this.log.info(
      { executor: launch.executorId, job: launch.jobId, planVersion: launch.plan.version },
      'executor does not hold the plan; registering it again',
    );
    // Only drop the registration this launch relied on: a concurrent launch may have renewed it already.
    const jobs = this.registrations.get(launch.executorId);
    if (jobs?.get(launch.jobId) === used) jobs.delete(launch.jobId);
    await this.send(launch, true);
  }

  /** The registration of `plan` on the executor, started now unless one of that version exists. */
  private registration(executorId: ExecutorId, jobId: JobId, plan: JobPlan): Registration {
    const jobs = this.registrations.get(executorId) ?? new Map<JobId, Registration>();
    this.registrations.set(executorId, jobs);
    const known = jobs.get(jobId);
    if (known !== undefined && known.version === plan.version) return known;
    this.inputs.serveJob(
      jobId,
      plan.files.map((f) => ({ path: f.path, size: f.size })),
    );
    const registration: Registration = { version: plan.version, done: this.registerPlan(executorId, jobId, plan) };
    jobs.set(jobId, registration);
    registration.done.catch(() => {
      // A failed registration is not cached: the next launch tries again. Re-read the map:
      // a loss or reconnect may have replaced it meanwhile.
      const now = this.registrations.get(executorId);
      if (now?.get(jobId) === registration) now.delete(jobId);
    });
    return registration;
  }

  private async registerPlan(executorId: ExecutorId, jobId: JobId, plan: JobPlan): Promise<void> {
    const ack = await this.transport.request(
      this.subjects.registerPlan(executorId),
      { type: 'register-plan', version: PROTOCOL_VERSION, driverId: this.driverId, jobId, plan },
      { expect: 'ack', timeoutMs: this.launchTimeoutMs },
    );
    if (!ack.ok)
      throw fromWireError(
        ack.error ?? wire('E_INTERNAL', `executor ${executorId} refused plan v${plan.version} of job ${jobId} without a reason`),
      );
  }

  /**
   * A request failed. Transport failures (no responders, timeouts, a closed connection) mean
   * the tasks may succeed elsewhere: E_EXECUTOR_LOST. Anything else is an answer (an error
   * ack) or our own message failing validation, which a retry would repeat: kept as is.
   */
  private requestFailed(launch: Launch, what: string, err: unknown): void {
    const { executorId } = launch;
    const code = codeOf(err);
    if (code === 'E_NO_RESPONDERS') {
      // Nobody listens on the executor's subject: the process is gone, whatever its last heartbeat said.
      const reason = `no process answers on its ${what} subject`;
      this.unreachable(executorId, reason);
      this.failLaunch(launch, lostError(`executor ${executorId} lost (${reason})`, executorId));
      return;
    }
    if (code === undefined || code === 'E_IO') {
      this.failLaunch(launch, lostError(`executor ${executorId} did not answer ${what}: ${text(err)}`, executorId, code));
      return;
    }
    this.failLaunch(launch, toWireError(err));
  }

  private unreachable(id: ExecutorId, reason: string): void {
    for (const l of [...this.unreachableListeners]) l(id, reason);
  }

  // ── receiving ───────────────────────────────────────────────────────────────────

  private onTasksFinished(m: Message): void {
    if (m.type !== 'tasks-finished') {
      this.log.warn({ type: m.type }, 'unexpected message type on the results subject ignored');
      return;
    }
    this.onOutcomes(m.executorId, m.jobId, m.outcomes);
  }

  /** Outcomes an executor reported, in a TasksFinished or in the answer to a launch. */
  private onOutcomes(executorId: string, jobId: string, outcomes: readonly TaskOutcome[]): void {
    for (const o of outcomes) {
      const f = this.inFlight.get(o.taskId);
      if (f === undefined) {
        // Late or duplicate: the task ended already (retried, lost, timed out, reconnect).
        this.log.debug({ task: o.taskId, executor: executorId }, 'outcome of a task not in flight ignored');
        continue;
      }
      if (f.launch.executorId !== executorId || f.launch.jobId !== jobId || f.partition !== o.partition) {
        this.log.warn(
          {
            task: o.taskId,
            expected: { executor: f.launch.executorId, job: f.launch.jobId, partition: f.partition },
            got: { executor: executorId, job: jobId, partition: o.partition },
          },
          'outcome from the wrong executor, job or partition ignored',
        );
        continue;
      }
      if (!o.ok) {
        this.fail(o.taskId, o.error);
        continue;
      }
      let value: unknown;
      try {
        value = validateTaskResult(f.launch.op, o.result);
      } catch (err) {
        // A malformed partial fails its own task only; the rest of the message is fine.
        this.log.warn({ task: o.taskId, executor: executorId, err: text(err) }, 'invalid task result');
        this.fail(o.taskId, toWireError(err));
        continue;
      }
      this.settle(o.taskId, {
        taskId: o.taskId as TaskId,
        partition: f.partition,
        ok: true,
        value,
        ...(o.kernelMs !== undefined ? { kernelMs: o.kernelMs } : {}),
        ...(o.blocks !== undefined ? { blocks: o.blocks } : {}),
      });
    }
  }

  private reconnected(): void {
    // The server may have restarted, dropping results published meanwhile and whatever
    // executors restarted with it: retry everything in flight (tasks are idempotent, a late
    // duplicate is ignored by task id) and re-register plans before the next launches.
    this.log.warn({ inFlight: this.inFlight.size }, 'reconnected to NATS; failing the tasks in flight so they run again');
    this.registrations.clear();
    for (const taskId of [...this.inFlight.keys()])
      this.fail(taskId, lostError(`task ${taskId}: the connection to NATS was lost while it ran`));
  }

  // ── ending tasks ────────────────────────────────────────────────────────────────

  private failLaunch(launch: Launch, error: WireError): void {
    for (const t of launch.tasks) {
      if (this.inFlight.get(t.taskId)?.launch === launch) this.fail(t.taskId, error);
    }
  }

  private fail(taskId: string, error: WireError): void {
    const f = this.inFlight.get(taskId);
    if (f === undefined) return;
    this.settle(taskId, { taskId: taskId as TaskId, partition: f.partition, ok: false, error });
  }

  /** The one place a task ends. */
  private settle(taskId: string, update: TaskUpdate<unknown>): void {
    const f = this.inFlight.get(taskId);
    if (f === undefined) return;
    this.inFlight.delete(taskId);
    f.launch.open--;
    if (f.launch.open === 0 && f.launch.timer !== undefined) this.clock.clearTimeout(f.launch.timer);
    deliver(f.sink, update, this.log);
  }
}

function deliver(sink: TaskUpdateSink<unknown>, update: TaskUpdate<unknown>, log: Logger): void {
  try {
    sink(update);
  } catch (err) {
    // A throwing sink must not keep the outcomes after it in the same message from their sinks.
    log.error({ task: update.taskId, err: text(err) }, 'task outcome sink failed');
  }
}

function wire(code: ErrorCode, message: string, details?: Record<string, unknown>): WireError {
  return { code, name: 'KindlingError', message, ...(details !== undefined && { details }) };
}

function lostError(message: string, executorId?: ExecutorId, causeCode?: ErrorCode): WireError {
  return wire('E_EXECUTOR_LOST', message, {
    ...(executorId !== undefined && { executorId }),
    ...(causeCode !== undefined && { causeCode }),
  });
}

/** The Kindling code of a thrown value, read structurally (instanceof fails across realms). */
function codeOf(err: unknown): ErrorCode | undefined {
  const code: unknown = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
  return typeof code === 'string' && KNOWN_CODES.has(code) ? (code as ErrorCode) : undefined;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
