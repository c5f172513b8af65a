/**
 * The REST API's JSON, shaped like Spark's /api/v1 (field names from Spark's
 * docs/monitoring.md and its api.scala): applications, jobs, stages, taskSummary, taskList,
 * executors, environment — plus Kindling's iterations and metrics. Kindling figures map onto
 * Spark's where they mean the same (runMs → executorRunTime, queuedMs → schedulerDelay); the
 * ones Spark lacks keep Kindling names. Used by ui-router.ts. THREADING: pure functions.
 */
import { CACHED_DATASETS, type StatusStore, type StageRow, type TaskRow } from './status-store.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString().replace('Z', 'GMT'));

/** The application id the API uses for a store (the job id, or the run id before the job starts). */
export function appId(store: StatusStore, fallback: string): string {
  return store.jobId ?? fallback;
}

/** What an /applications entry is made of: a run's store, or the history index's summary of one. */
export type ApplicationFields = Partial<Pick<StatusStore, 'startedAt' | 'endedAt' | 'jobName' | 'header'>> & Pick<StatusStore, 'status'>;

/** One entry of /applications. */
export function applicationJson(store: ApplicationFields, id: string): object {
  const end = store.endedAt;
  const start = store.startedAt ?? Date.now();
  return {
    id,
    name: store.jobName ?? id,
    attempts: [
      {
        startTime: iso(start),
        endTime: iso(end) ?? '1969-12-31T23:59:59.999GMT',
        lastUpdated: iso(end ?? Date.now()),
        duration: (end ?? Date.now()) - start,
        sparkUser: process.env['USER'] ?? 'kindling',
        completed: store.status !== 'RUNNING',
        appSparkVersion: versionOf(store),
        startTimeEpoch: start,
        endTimeEpoch: end ?? -1,
        lastUpdatedEpoch: end ?? Date.now(),
      },
    ],
    kindlingStatus: store.status,
  };
}

/** /applications/{id}/jobs: Kindling runs one job per application. */
export function jobsJson(store: StatusStore): object[] {
  if (store.jobId === undefined && store.stages.size === 0) return [];
  const stages = [...store.stages.values()];
  const tasks = stages.flatMap((s) => s.tasks);
  const status =
    store.status === 'SUCCEEDED' ? 'SUCCEEDED' : store.status === 'RUNNING' ? 'RUNNING' : store.status === 'FAILED' ? 'FAILED' : 'UNKNOWN';
  return [
    {
      jobId: 0,
      name: store.jobName ?? '',
      description: store.jobId ?? '',
      submissionTime: iso(store.startedAt),
      completionTime: iso(store.endedAt),
      stageIds: stages.map((s) => s.stageId),
      status,
      numTasks: stages.reduce((a, s) => a + s.numTasks, 0),
      numActiveTasks: stages.reduce((a, s) => a + (s.status === 'ACTIVE' ? s.running : 0), 0),
      numCompletedTasks: tasks.filter((t) => t.status === 'SUCCESS').length,
      numSkippedTasks: 0,
      numFailedTasks: tasks.filter((t) => t.status === 'FAILED').length,
      numKilledTasks: 0,
      numCompletedIndices: stages.reduce((a, s) => a + s.completed, 0),
      numActiveStages: stages.filter((s) => s.status === 'ACTIVE').length,
      numCompletedStages: stages.filter((s) => s.status === 'COMPLETE').length,
      numSkippedStages: 0,
      numFailedStages: stages.filter((s) => s.status === 'FAILED').length,
      killedTasksSummary: {},
      kindlingJobId: store.jobId,
    },
  ];
}

/** One entry of /stages. */
export function stageJson(s: StageRow): object {
  const runTime = s.tasks.reduce((a, t) => a + (t.runMs ?? 0), 0);
  return {
    status: s.status,
    stageId: s.stageId,
    attemptId: 0,
    numTasks: s.numTasks,
    numActiveTasks: s.running,
    numCompleteTasks: s.tasks.filter((t) => t.status === 'SUCCESS').length,
    numFailedTasks: s.tasks.filter((t) => t.status === 'FAILED').length,
    numKilledTasks: 0,
    numCompletedIndices: s.completed,
    submissionTime: iso(s.submittedAt),
    completionTime: iso(s.completedAt),
    executorRunTime: runTime,
    executorCpuTime: 0,
    resultSize: s.tasks.reduce((a, t) => a + (t.resultBytes ?? 0), 0),
    name: s.name,
    details: '',
    schedulingPool: 'default',
    rddIds: [],
    accumulatorUpdates: [],
    killedTasksSummary: {},
    durationMs: s.durationMs,
  };
}

/** /stages/{id}/{attempt}/taskSummary: Spark's TaskMetricDistributions for the fields Kindling has. */
export function taskSummaryJson(store: StatusStore, stageId: number, quantiles: readonly number[]): object | undefined {
  const q = store.taskQuantiles(stageId, quantiles);
  if (!q) return undefined;
  const zeros = quantiles.map(() => 0);
  return {
    quantiles: q.quantiles,
    executorRunTime: q.runMs,
    schedulerDelay: q.queuedMs,
    resultSize: q.resultBytes,
    executorDeserializeTime: zeros,
    executorDeserializeCpuTime: zeros,
    executorCpuTime: zeros,
    jvmGcTime: zeros,
    resultSerializationTime: zeros,
    gettingResultTime: zeros,
    peakExecutionMemory: zeros,
    memoryBytesSpilled: zeros,
    diskBytesSpilled: zeros,
    // Kindling names for the same figures, and how many tasks they cover.
    runMs: q.runMs,
    queuedMs: q.queuedMs,
    resultBytes: q.resultBytes,
    taskCount: q.count,
  };
}

/** One entry of /stages/{id}/{attempt}/taskList. */
export function taskJson(t: TaskRow): object {
  const launch = t.finishedAt - (t.runMs ?? 0);
  return {
    taskId: t.taskId,
    index: t.partition,
    attempt: t.attempt,
    partitionId: t.partition,
    launchTime: iso(launch),
    duration: t.runMs,
    executorId: t.executorId,
    host: t.executorId,
    status: t.status,
    taskLocality: 'PROCESS_LOCAL',
    speculative: false,
    accumulatorUpdates: [],
    errorMessage: t.errorMessage,
    schedulerDelay: t.queuedMs ?? 0,
    gettingResultTime: 0,
    taskMetrics: { executorRunTime: t.runMs ?? 0, resultSize: t.resultBytes ?? 0 },
    queuedMs: t.queuedMs,
    runMs: t.runMs,
  };
}

/** /executors (Spark's ExecutorSummary; isActive false for a lost or drained executor). */
export function executorsJson(store: StatusStore): object[] {
  return [...store.executors.values()].map((e) => ({
    id: e.id,
    hostPort: e.id,
    isActive: e.removedAt === undefined,
    rddBlocks: e.heartbeat?.cachedBlocks ?? 0,
    memoryUsed: e.heartbeat?.cachedBytes ?? 0,
    diskUsed: 0,
    totalCores: e.slots,
    maxTasks: e.slots,
    activeTasks: e.heartbeat?.runningTasks ?? 0,
    failedTasks: e.failedTasks,
    completedTasks: e.completedTasks,
    totalTasks: e.completedTasks + e.failedTasks,
    totalDuration: e.totalRunMs,
    totalGCTime: 0,
    totalInputBytes: 0,
    totalShuffleRead: 0,
    totalShuffleWrite: 0,
    isBlacklisted: false,
    maxMemory: 0,
    addTime: iso(e.addedAt),
    removeTime: iso(e.removedAt),
    removeReason: e.removeReason,
    executorLogs: {},
    excludedInStages: [],
    peakMemoryMetrics: e.rss.length ? { ProcessTreeJVMRSSMemory: Math.max(...e.rss.map((r) => r[1])) } : undefined,
    lost: e.lost,
    rssBytes: e.heartbeat?.rssBytes,
    lastHeartbeat: iso(e.heartbeat?.sentAt),
    draining: e.heartbeat?.draining ?? false,
  }));
}

/** Spark's storage level string for Kindling's blocks: deserialized columns in executor memory, one copy. */
const STORAGE_LEVEL = 'Memory Deserialized 1x Replicated';

/**
 * /storage/rdd (Spark's RDDStorageInfo list): one entry per cached dataset — `rows` (the parsed
 * input), `train` and `test` (design blocks) — with ids 0, 1, 2 by CACHED_DATASETS order. With
 * `detail`, also dataDistribution (per executor) and partitions (`rdd_<id>_<partition>` blocks).
 */
export function storageJson(store: StatusStore, detail: boolean): Array<Record<string, unknown>> {
  const partitions = detail ? store.cachedPage(0, Number.MAX_SAFE_INTEGER).rows : [];
  return store.storage().map((d) => {
    const id = CACHED_DATASETS.indexOf(d.name);
    return {
      id,
      name: d.name,
      numPartitions: d.numPartitions,
      numCachedPartitions: d.cachedPartitions,
      storageLevel: STORAGE_LEVEL,
      memoryUsed: d.bytes,
      diskUsed: 0,
      ...(detail && {
        dataDistribution: d.byExecutor.map((e) => ({ address: e.executorId, memoryUsed: e.bytes, diskUsed: 0, partitions: e.partitions })),
        partitions: partitions
          .filter((c) => c.blocks.has(d.name))
          .map((c) => ({
            blockName: `rdd_${id}_${c.partition}`,
            storageLevel: STORAGE_LEVEL,
            memoryUsed: c.blocks.get(d.name),
            diskUsed: 0,
            executors: [c.executorId],
          })),
      }),
    };
  });
}

/** /environment: the job spec as run and the conf, as Spark's property lists. */
export function environmentJson(store: StatusStore): object {
  const h = store.header ?? { event: 'log-header' };
  const versions = (h['versions'] ?? {}) as Record<string, string>;
  const conf = (h['conf'] ?? {}) as Record<string, string>;
  return {
    runtime: { javaVersion: versions['node'] ?? process.version, javaHome: '', scalaVersion: '', kindlingVersion: versions['kindling'] },
    sparkProperties: [['master', String(h['master'] ?? '')], ...Object.entries(conf)].map(([k, v]) => [k, v]),
    hadoopProperties: [],
    systemProperties: [['platform', versions['platform'] ?? '']],
    metricsProperties: [],
    classpathEntries: [],
    resourceProfiles: [],
    jobSpec: h['spec'] ?? null,
  };
}

/** Kindling's /iterations: the optimizer's telemetry as recorded. */
export function iterationsJson(store: StatusStore): object[] {
  return store.iterations;
}

/** Kindling's /metrics: the evaluation and the coefficients, once the job has them. */
export function metricsJson(store: StatusStore): object | undefined {
  const r = store.result;
  if (!r) return undefined;
  return {
    metrics: r['metrics'],
    coefficients: r['coefficients'],
    intercept: r['intercept'],
    trainRows: r['trainRows'],
    testRows: r['testRows'],
    objectiveHistory: r['objectiveHistory'],
  };
}

function versionOf(store: ApplicationFields): string {
  const v = store.header?.['versions'] as Record<string, string> | undefined;
  return `kindling-${v?.['kindling'] ?? 'unknown'}`;
}
