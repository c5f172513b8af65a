/**
 * @kindling/cli — the `kindling` command (spark-submit for Kindling jobs) and the pieces of it
 * that are useful elsewhere: master URL parsing, Spark's console progress bar format, the
 * metrics table, and a managed nats-server process (tests, fault tests, benchmarks).
 *
 * ```ts
 * import { parseMaster, renderStageBar, renderMetricsTable } from '@kindling/cli';
 * parseMaster('local[4]');   // { kind: 'local', threads: 4 }
 * renderStageBar([{ stageId: 3, completed: 12, active: 4, total: 32 }], 80);
 * ```
 * @module
 */
export { parseMaster, type Master } from './master-url.js';
export { renderStageBar, ConsoleProgressBar, type StageProgress, type ConsoleProgressBarOptions } from './progress-bar.js';
export { renderMetricsTable, type MetricsTableOptions } from './metrics-table.js';
export { runCli } from './run-cli.js';
export { NatsServerProcess, findFreePort, findNatsServer, type NatsServerOptions } from './cluster/nats-server-process.js';
export { makeClusterPki, type ClusterPki } from './cluster/cluster-pki.js';
