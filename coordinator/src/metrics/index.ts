/**
 * The driver's observability surface for embedders (the CLI, the web UI): the Prometheus
 * registry over the event bus, its HTTP endpoint, and the per-iteration clock. A subpath
 * (`@kindling/coordinator/metrics`) so prom-client loads only when metrics are asked for.
 */
export { driverMetricsRegistry, stageKind, type DriverMetrics, type DriverMetricSources } from './driver-metrics.js';
export { serveMetrics, type MetricsServer } from './metrics-server.js';
export { IterationClock, stageComputeMs } from './iteration-clock.js';
