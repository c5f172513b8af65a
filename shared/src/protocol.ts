/**
 * The wire protocol between drivers and executors over NATS, declared once: every message as
 * a zod schema, grouped by direction (as Spark's CoarseGrainedClusterMessage), the TypeScript
 * types inferred from them, the protocol version, and the subjects messages travel on. The
 * codec (codec.ts) runs parseMessage on everything it encodes and decodes: nothing received
 * is trusted or cast.
 *
 * Executors form a pool that several drivers share; each driver owns its jobs' plans and
 * blocks. A driver registers a job's plan with an executor once per plan version; a launch
 * then names an op, its params and partition indexes only. Within one PROTOCOL_VERSION only
 * additive changes are allowed; anything else bumps it, and a peer of another version is
 * refused by the codec (E_PROTOCOL_VERSION) before any handler sees its message.
 */
import { z } from 'zod';
import { KindlingError } from './errors.js';
import { TASK_OP_NAMES, TASK_OPS, type TaskOp, type TaskParamsByOp, type TaskResultByOp } from './ops/registry.js';
import { makeSchemaKit } from './wire/schema-kit.js';
import { describeValueType, parseWithSchema as parseWith } from './zod-issues.js';
import { isSubjectToken } from './wire/subject-token.js';

/**
 * Version 2: job plans registered once, launches of task batches. Version 3: plans name several
 * input files (CSV, gzip CSV, Parquet). Version 4: the one-pass CSV read (csv-scan, csv-conform,
 * plans' skipColumns), and a RangeData answering a FetchRange travels
 * as range frames (transport/range-frame.ts), raw bytes after a fixed header, not msgpack.
 * Version 5: a TasksAccepted may carry the launch's outcomes; a plan may name the op that
 * rebuilds its design blocks (designProducer: a features input).
 */
export const PROTOCOL_VERSION = 5;

const kit = makeSchemaKit(z);
const { count, finite, nonEmpty, subjectToken, strings, uint8Array, wireError, jobPlan } = kit;
const opSchemas = Object.fromEntries(TASK_OP_NAMES.map((name) => [name, TASK_OPS[name].schemas(z, kit)])) as {
  readonly [K in TaskOp]: { params: z.ZodType<TaskParamsByOp[K]>; result: z.ZodType<TaskResultByOp[K]> };
};

const envelope = { version: z.number() };

/** An op with its params, as a launch carries it. */
export type OpWithParams = { [K in TaskOp]: { readonly op: K; readonly params: TaskParamsByOp[K] } }[TaskOp];
const opWithParams = z.union(
  TASK_OP_NAMES.map((name) => z.object({ op: z.literal(name), params: opSchemas[name].params })),
) as unknown as z.ZodType<OpWithParams>;

// ── executor → driver ────────────────────────────────────────────────────────────────

/** Periodic fact: an executor is alive, what it can run and what it holds. */
const executorHeartbeat = z.object({
  type: z.literal('executor-heartbeat'),
  ...envelope,
  executorId: subjectToken,
  /** Task slots (worker threads). */
  slots: count,
  runningTasks: count,
  cachedBlocks: count,
  cachedBytes: count,
  rssBytes: count,
  /** Jobs the executor holds plans or blocks for. */
  jobs: strings,
  /** True once SIGTERM arrived: it takes no new tasks and will exit. */
  draining: z.boolean(),
  /** ms since epoch; a new value under the same id means the process restarted. */
  startedAt: finite,
  sentAt: finite,
  /** The block store's memory budget (`--memory`); absent = unbounded or an older executor. */
  memoryBudgetBytes: count.optional(),
  /** Cached blocks evicted to stay within the budget, since start. */
  evictions: count.optional(),
  /** Blocks rebuilt from lineage because a task needed a missing one, since start. */
  rebuilds: count.optional(),
  /** Most bytes the block store held at once, since start. */
  peakCachedBytes: count.optional(),
  /** CPU time (user + system) the process has used since it started, ms: drivers chart its rate. */
  cpuMillis: count.optional(),
});

/** One task's outcome inside TasksFinished; `result` is validated by the driver, which knows the op. */
const taskOutcome = z.discriminatedUnion('ok', [
  // kernelMs: the executor's own time from taking the task to its result (optional: older executors omit it).
  // blocks: the partition's blocks cached on the executor after the task, for the driver's Storage page (optional).
  z.object({
    taskId: nonEmpty,
    partition: count,
    ok: z.literal(true),
    result: z.unknown(),
    kernelMs: finite.nonnegative().optional(),
    blocks: z
      .array(z.object({ name: z.enum(['rows', 'train', 'test']), bytes: count }))
      .max(3)
      .optional(),
  }),
  z.object({ taskId: nonEmpty, partition: count, ok: z.literal(false), error: wireError }),
]);

/** Fact: task attempts of a launch ended (several are coalesced into one message when they end together). */
const tasksFinished = z.object({
  type: z.literal('tasks-finished'),
  ...envelope,
  executorId: subjectToken,
  jobId: nonEmpty,
  outcomes: z.array(taskOutcome).min(1),
});

/**
 * Reply to LaunchTasks: taken, or refused with a code (draining: E_EXECUTOR_LOST; no plan:
 * E_PLAN_MISSING). A launch whose tasks all ended before the reply went (an L-BFGS evaluation
 * over cached blocks) carries their outcomes here, and no TasksFinished follows for them.
 */
const tasksAccepted = z.object({
  type: z.literal('tasks-accepted'),
  ...envelope,
  accepted: z.boolean(),
  error: wireError.optional(),
  outcomes: z.array(taskOutcome).min(1).optional(),
});

/** Request: a byte range of a job's input from its driver (executors without the file). */
const fetchRange = z
  .object({ type: z.literal('fetch-range'), ...envelope, jobId: nonEmpty, file: nonEmpty, start: count, end: count })
  .refine((f) => f.start <= f.end, { error: 'expected start <= end', path: ['end'] });

// ── driver → executor ────────────────────────────────────────────────────────────────

/** Command: keep this plan of a job (replaces an older version); answered with an Ack. */
const registerPlan = z.object({
  type: z.literal('register-plan'),
  ...envelope,
  driverId: subjectToken,
  jobId: nonEmpty,
  plan: jobPlan.superRefine((p, ctx) => {
    // Checked here, where the op registry is known (the plan schema lives below it).
    const producer = p.designProducer;
    if (producer === undefined) return;
    const r = opSchemas[producer.op].params.safeParse(producer.params);
    if (!r.success) ctx.addIssue({ code: 'custom', message: `not the params of ${producer.op}`, path: ['designProducer', 'params'] });
  }),
});

/** Command: run these partitions' tasks of one op; outcomes go to the driver's results subject. */
const launchTasks = z.object({
  type: z.literal('launch-tasks'),
  ...envelope,
  driverId: subjectToken,
  jobId: nonEmpty,
  /** The plan version the tasks run against; an executor holding another refuses (E_PLAN_MISSING). */
  planVersion: count,
  batch: opWithParams,
  tasks: z.array(z.object({ taskId: nonEmpty, partition: count })).min(1),
});

/** Command: free every block and the plan of a job. */
const dropJob = z.object({ type: z.literal('drop-job'), ...envelope, jobId: nonEmpty });

/** Periodic fact: a driver is alive with these jobs (executors free the blocks of dead drivers). */
const driverHeartbeat = z.object({
  type: z.literal('driver-heartbeat'),
  ...envelope,
  driverId: subjectToken,
  jobs: strings,
  sentAt: finite,
});

/**
 * Reply to FetchRange: the bytes. As a reply to a FetchRange the transports send it as range
 * frames, whose header names the request's job and range and the reply's length, checked by
 * the requester; elsewhere (never in the protocol's own flows) it goes through the codec.
 */
const rangeData = z.object({ type: z.literal('range-data'), ...envelope, bytes: uint8Array });

/** Generic reply to a command. */
const ack = z.object({ type: z.literal('ack'), ...envelope, ok: z.boolean(), error: wireError.optional() });

// ── any client → executors ──────────────────────────────────────────────────────────

/** Ask every executor for a heartbeat now (driver start-up, `kindling executors`). */
const discoverExecutors = z.object({ type: z.literal('discover-executors'), ...envelope });

/** One schema per message type. */
const messageSchemas = {
  'executor-heartbeat': executorHeartbeat,
  'tasks-finished': tasksFinished,
  'tasks-accepted': tasksAccepted,
  'fetch-range': fetchRange,
  'register-plan': registerPlan,
  'launch-tasks': launchTasks,
  'drop-job': dropJob,
  'driver-heartbeat': driverHeartbeat,
  'range-data': rangeData,
  ack,
  'discover-executors': discoverExecutors,
} as const;

type Infer<K extends keyof typeof messageSchemas> = z.infer<(typeof messageSchemas)[K]>;
export type ExecutorHeartbeat = Infer<'executor-heartbeat'>;
export type TaskOutcome = z.infer<typeof taskOutcome>;
export type TasksFinished = Infer<'tasks-finished'>;
export type TasksAccepted = Infer<'tasks-accepted'>;
export type FetchRange = Infer<'fetch-range'>;
export type RegisterPlan = Infer<'register-plan'>;
export type LaunchTasks = Infer<'launch-tasks'>;
export type DropJob = Infer<'drop-job'>;
export type DriverHeartbeat = Infer<'driver-heartbeat'>;
export type RangeData = Infer<'range-data'>;
export type Ack = Infer<'ack'>;
export type DiscoverExecutors = Infer<'discover-executors'>;

/** Every message of the protocol. */
export type Message = { [K in keyof typeof messageSchemas]: Infer<K> }[keyof typeof messageSchemas];
export type MessageType = Message['type'];

/** NATS subjects, all under one prefix so several clusters can share a server. */
export function subjects(prefix = 'kindling') {
  const token = (id: string) => {
    if (!isSubjectToken(id)) throw new KindlingError('E_INVALID_VALUE', `not a valid subject token: ${JSON.stringify(id)}`, { id });
    return id;
  };
  return {
    /** ExecutorHeartbeat, published by every executor. */
    executorHeartbeats: `${prefix}.executors.heartbeat`,
    /** DiscoverExecutors, request-many; every executor replies with an ExecutorHeartbeat. */
    discover: `${prefix}.executors.discover`,
    /** RegisterPlan → Ack. */
    registerPlan: (executorId: string) => `${prefix}.executor.${token(executorId)}.plan`,
    /** LaunchTasks → TasksAccepted. */
    launchTasks: (executorId: string) => `${prefix}.executor.${token(executorId)}.launch`,
    /** DropJob → Ack. */
    dropJob: (executorId: string) => `${prefix}.executor.${token(executorId)}.drop`,
    /** TasksFinished, published by executors to the driver that launched the tasks. */
    taskResults: (driverId: string) => `${prefix}.driver.${token(driverId)}.results`,
    /** FetchRange → RangeData. */
    fetchRange: (driverId: string) => `${prefix}.driver.${token(driverId)}.fetch`,
    /** DriverHeartbeat, published by every driver. */
    driverHeartbeats: `${prefix}.drivers.heartbeat`,
  } as const;
}

export type Subjects = ReturnType<typeof subjects>;

// ── validation ──────────────────────────────────────────────────────────────────────

const MESSAGE_TYPES: ReadonlySet<string> = new Set(Object.keys(messageSchemas));

function isMessageType(s: string): s is MessageType {
  return MESSAGE_TYPES.has(s);
}

function badMessage(message: string, path: string): KindlingError {
  return new KindlingError('E_BAD_MESSAGE', message, { path });
}

const describe = describeValueType;

/**
 * Validates a decoded value as a protocol message and returns a fresh, typed copy (unknown
 * fields dropped). Throws KindlingError 'E_PROTOCOL_VERSION' for another protocol version and
 * 'E_BAD_MESSAGE' for anything else wrong, naming the message type and field, e.g.
 * `register-plan: plan.partitions[0].end: expected number, received string`.
 */
export function parseMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badMessage(`message: expected an object, received ${describe(value)}`, '');
  }
  const version = 'version' in value ? value.version : undefined;
  const type = 'type' in value ? value.type : undefined;
  const typeName = typeof type === 'string' ? type : 'message';
  if (typeof version === 'number' && version !== PROTOCOL_VERSION) {
    throw new KindlingError(
      'E_PROTOCOL_VERSION',
      `${typeName}: protocol version ${version}, this side speaks version ${PROTOCOL_VERSION}`,
      {
        type: typeName,
        received: version,
        expected: PROTOCOL_VERSION,
      },
    );
  }
  if (typeof type !== 'string') throw badMessage(`message: type: expected string, received ${describe(type)}`, 'type');
  if (!isMessageType(type)) throw badMessage(`message: type: unknown message type ${JSON.stringify(type.slice(0, 64))}`, 'type');
  return parseWith<Message>(messageSchemas[type] as z.ZodType<Message>, value, type);
}

/**
 * Validates the `result` of a successful task outcome against the partial its op returns.
 * Throws KindlingError 'E_BAD_MESSAGE' naming the field, e.g.
 * `tasks-finished result (gradient): gradSum: expected Float64Array, received array`.
 */
export function validateTaskResult<O extends TaskOp>(op: O, value: unknown): TaskResultByOp[O] {
  return parseWith(opSchemas[op].result, value, `tasks-finished result (${op})`);
}

/** Validates a job plan (as a driver builds it) before it is registered anywhere. */
export function validateJobPlan(value: unknown): z.infer<typeof jobPlan> {
  return parseWith(jobPlan, value, 'job plan');
}
