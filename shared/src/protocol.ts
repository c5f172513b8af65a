/**
 * The wire protocol between drivers and executors over NATS, declared once: message types,
 * their version, and the subjects they travel on. Everything on the wire is one of these
 * messages, encoded by codec.ts (msgpack envelopes, chunked above the server's max_payload)
 * and validated there on receipt: nothing received is trusted or cast.
 *
 * Executors form a pool that several drivers share; each driver owns its jobs' blocks.
 * Within one PROTOCOL_VERSION only additive changes are allowed; anything else bumps it,
 * and an executor of another version is refused when it announces itself.
 */
import type { WireError } from './errors.js';
import type { TaskSpec } from './tasks.js';

export const PROTOCOL_VERSION = 1;

// ── executor → driver ────────────────────────────────────────────────────────────────

/** Periodic fact: an executor is alive, what it can run and what it holds. */
export interface ExecutorHeartbeat {
  readonly type: 'executor-heartbeat';
  readonly version: number;
  readonly executorId: string;
  /** Task slots (worker threads). */
  readonly slots: number;
  readonly runningTasks: number;
  readonly cachedBlocks: number;
  readonly cachedBytes: number;
  readonly rssBytes: number;
  /** Jobs the executor holds blocks for. */
  readonly jobs: readonly string[];
  /** True once SIGTERM arrived: it takes no new tasks and will exit. */
  readonly draining: boolean;
  /** ms since epoch. */
  readonly startedAt: number;
  readonly sentAt: number;
}

/** Fact: a task attempt ended, with its partial result or its error. */
export type TaskFinished =
  | {
      readonly type: 'task-finished';
      readonly version: number;
      readonly executorId: string;
      readonly jobId: string;
      readonly taskId: string;
      readonly ok: true;
      readonly result: unknown;
    }
  | {
      readonly type: 'task-finished';
      readonly version: number;
      readonly executorId: string;
      readonly jobId: string;
      readonly taskId: string;
      readonly ok: false;
      readonly error: WireError;
    };

/** Reply to LaunchTask: taken, or refused (draining, wrong version). */
export interface TaskAccepted {
  readonly type: 'task-accepted';
  readonly version: number;
  readonly taskId: string;
  readonly accepted: boolean;
  readonly reason?: string;
}

/** Request a byte range of a job's input from its driver (executors without the file). */
export interface FetchRange {
  readonly type: 'fetch-range';
  readonly version: number;
  readonly jobId: string;
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

// ── driver → executor ────────────────────────────────────────────────────────────────

/** Command: run one task attempt; the result goes to the driver's results subject. */
export interface LaunchTask {
  readonly type: 'launch-task';
  readonly version: number;
  readonly driverId: string;
  readonly jobId: string;
  readonly taskId: string;
  readonly spec: TaskSpec;
}

/** Command: free every block of a job. */
export interface DropJob {
  readonly type: 'drop-job';
  readonly version: number;
  readonly jobId: string;
}

/** Periodic fact: a driver is alive with these jobs (executors free blocks of dead drivers). */
export interface DriverHeartbeat {
  readonly type: 'driver-heartbeat';
  readonly version: number;
  readonly driverId: string;
  readonly jobs: readonly string[];
  readonly sentAt: number;
}

/** Reply to FetchRange: the bytes (chunked by the codec when large). */
export interface RangeData {
  readonly type: 'range-data';
  readonly version: number;
  readonly bytes: Uint8Array;
}

/** Generic reply to a command. */
export interface Ack {
  readonly type: 'ack';
  readonly version: number;
  readonly ok: boolean;
  readonly error?: WireError;
}

// ── any client → executors ──────────────────────────────────────────────────────────

/** Ask every executor for a heartbeat now (driver start-up, `kindling executors`). */
export interface DiscoverExecutors {
  readonly type: 'discover-executors';
  readonly version: number;
}

export type Message =
  | ExecutorHeartbeat
  | TaskFinished
  | TaskAccepted
  | FetchRange
  | LaunchTask
  | DropJob
  | DriverHeartbeat
  | RangeData
  | Ack
  | DiscoverExecutors;

export type MessageType = Message['type'];

/** NATS subjects, all under one prefix so several clusters can share a server. */
export function subjects(prefix = 'kindling') {
  const token = (id: string) => {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new TypeError(`not a valid subject token: ${JSON.stringify(id)}`);
    return id;
  };
  return {
    /** ExecutorHeartbeat, published by every executor. */
    executorHeartbeats: `${prefix}.executors.heartbeat`,
    /** DiscoverExecutors, request-many; every executor replies with an ExecutorHeartbeat. */
    discover: `${prefix}.executors.discover`,
    /** LaunchTask → TaskAccepted. */
    launchTask: (executorId: string) => `${prefix}.executor.${token(executorId)}.launch`,
    /** DropJob → Ack. */
    dropJob: (executorId: string) => `${prefix}.executor.${token(executorId)}.drop`,
    /** TaskFinished, published by executors to the driver that launched the task. */
    taskResults: (driverId: string) => `${prefix}.driver.${token(driverId)}.results`,
    /** FetchRange → RangeData. */
    fetchRange: (driverId: string) => `${prefix}.driver.${token(driverId)}.fetch`,
    /** DriverHeartbeat, published by every driver. */
    driverHeartbeats: `${prefix}.drivers.heartbeat`,
  } as const;
}

export type Subjects = ReturnType<typeof subjects>;
