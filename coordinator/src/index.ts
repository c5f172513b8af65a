/**
 * @kindling/coordinator — the driver: job specs, stage scheduling over executors, the
 * feature pipeline and L-BFGS training, evaluation, and artifacts.
 *
 * ```ts
 * const spec = await parseJobSpecFile('examples/bank-lr.yaml');
 * const executor = new LocalExecutor({ threads: 2 });          // @kindling/executor
 * const driver = DriverContext.withExecutors([executor], { release: () => executor.close() });
 * const result = await driver.runJob(spec);
 * console.log(result.metrics.test.areaUnderROC);
 * await driver.close();
 * ```
 *
 * The Kubernetes helpers are a separate entry, `@kindling/coordinator/k8s`: loading
 * @kubernetes/client-node costs ~1 s of CPU, which local and NATS runs should not pay.
 * @module
 */
export { DriverContext, type DriverContextOptions, type SchedulingPolicy } from './driver-context.js';
export {
  fitFeatures,
  runJob,
  type FitResult,
  type JobResult,
  type RunContext,
  type StageRequest,
  type StageRunner,
} from './pipeline/job-runner.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { fitTransforms, type FittedPipeline } from './pipeline/fit-transforms.js';
export { EventBus, type DriverEvents, type DriverEventType } from './events/event-bus.js';
export { silentLogger, type Logger } from './logger.js';
export { StaticMembership, type ExecutorMembership, type MembershipChange } from './cluster/executor-membership.js';
export { TaskScheduler } from './scheduler/task-scheduler.js';
export type * from './job/job-spec.js';
export { parseJobSpec, parseJobSpecFile, type JobSpecOverrides } from './job/job-spec-parser.js';
export { planInputFiles, type PlannedInput } from './input/input-planner.js';
export { minimizeLbfgs } from './optimizer/index.js';
export { trainLogisticRegression, type LogisticRegressionFit, type LogisticRegressionParams } from './ml/logistic-regression-trainer.js';
export type { IterationTelemetry } from './ml/iteration-telemetry.js';
export { readLogisticRegressionModel, readMultinomialModel, readParquetFile } from './artifacts/index.js';
export {
  readPipelineModel,
  writePipelineModel,
  pipelineModelFromJob,
  writeParquetTable,
  PIPELINE_MODEL_FOLDER,
  PredictionsWriter,
  writeFeaturesPart,
  writeLogisticRegressionModel,
  writeMultinomialModel,
  type PipelineModelData,
  type FittedClassifier,
  type PipelineModelWriteOptions,
  type TableColumn,
  type TableColumnType,
  type TableOptions,
} from './artifacts/index.js';
export { EventLogWriter, EVENT_LOG_FILE, EVENT_LOG_FORMAT, type EventLogHeader } from './events/event-log-writer.js';
export {
  EventLogParser,
  readEventLog,
  readFrom,
  type EventLog,
  type EventLogRecord,
  type EventLogDamage,
} from './events/event-log-reader.js';
export { StatusStore, quantile, type TaskRow, type StageRow, type ExecutorRow, type RunStatus } from './ui/status-store.js';
export { WebUi, UI_DEFAULT_PORT, UI_LAST_PORT, type WebUiOptions } from './ui/web-ui.js';
export { DriverObserver, defaultHistoryDir, type DriverObserverOptions } from './ui/driver-observer.js';
export { HistoryServer, HISTORY_DEFAULT_PORT } from './history/history-server.js';
export { RunIndex, type IndexedRun } from './history/run-index.js';
export {
  predict,
  evaluate,
  type ScoringInput,
  type PredictOptions,
  type PredictResult,
  type EvaluateOptions,
  type EvaluateResult,
} from './pipeline/predict-job.js';
export { convert, type ConvertOptions, type ConvertResult } from './pipeline/convert-job.js';
export type { ScoredOutputFormat } from './pipeline/scored-rows-writer.js';
