/**
 * The executor's Prometheus metrics, on a registry of its own (no prom-client globals, so two
 * executors in one test process do not collide): task counters by op, running tasks, cached
 * blocks and bytes, the jobs it holds, plus Node's default process metrics (RSS, heap, open
 * fds, active handles and resources by type: what a soak needs to see a leak). The backend
 * counts tasks; gauges are read from live state at scrape time. Served by health-server.ts on
 * /metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Live figures read at each scrape. */
export interface ExecutorGaugeSource {
  runningTasks(): number;
  cache(): { readonly blocks: number; readonly bytes: number };
  /** Jobs whose plan this executor still holds (a job a driver forgot to drop stays here). */
  jobs?(): number;
}

/** Prometheus metrics of one executor. */
export class ExecutorMetrics {
  /** The registry /metrics serves. */
  readonly registry = new Registry();
  private readonly started: Counter<'op'>;
  private readonly succeeded: Counter<'op'>;
  private readonly failed: Counter<'op' | 'code'>;

  constructor(source: ExecutorGaugeSource, labels: { readonly executor: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ executor: labels.executor });
    this.started = new Counter({
      name: 'kindling_executor_tasks_started_total',
      help: 'Task attempts started, by op',
      labelNames: ['op'],
      registers,
    });
    this.succeeded = new Counter({
      name: 'kindling_executor_tasks_succeeded_total',
      help: 'Task attempts that returned a result, by op',
      labelNames: ['op'],
      registers,
    });
    this.failed = new Counter({
      name: 'kindling_executor_tasks_failed_total',
      help: 'Task attempts that failed, by op and error code',
      labelNames: ['op', 'code'],
      registers,
    });
    new Gauge({
      name: 'kindling_executor_running_tasks',
      help: 'Task attempts running now',
      registers,
      collect() {
        this.set(source.runningTasks());
      },
    });
    new Gauge({
      name: 'kindling_executor_cached_bytes',
      help: 'Bytes held by cached partition blocks',
      registers,
      collect() {
        this.set(source.cache().bytes);
      },
    });
    new Gauge({
      name: 'kindling_executor_cached_blocks',
      help: 'Cached partition blocks',
      registers,
      collect() {
        this.set(source.cache().blocks);
      },
    });
    if (source.jobs) {
      const jobs = source.jobs.bind(source);
      new Gauge({
        name: 'kindling_executor_jobs',
        help: 'Jobs whose plan this executor holds',
        registers,
        collect() {
          this.set(jobs());
        },
      });
    }
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a task attempt that began. */
  taskStarted(op: string): void {
    this.started.inc({ op });
  }

  /** Counts a task attempt that returned its result. */
  taskSucceeded(op: string): void {
    this.succeeded.inc({ op });
  }

  /** Counts a failed task attempt, by its error code. */
  taskFailed(op: string, code: string): void {
    this.failed.inc({ op, code });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
