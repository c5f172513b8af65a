/**
 * The executor's Prometheus metrics, on a registry of its own (no prom-client globals, so two
 * executors in one test process do not collide): task counters by op, running tasks, cached
 * blocks and bytes, the jobs it holds, each pool thread's heap, plus Node's default process
 * metrics (RSS, the main thread's heap, open fds, active handles and resources by type: what a
 * soak needs to see a leak). The backend
 * counts tasks; gauges are read from live state at scrape time. Served by health-server.ts on
 * /metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ThreadHeap } from './pool/thread-heaps.js';

/** Live figures read at each scrape. */
export interface ExecutorGaugeSource {
  runningTasks(): number;
  cache(): { readonly blocks: number; readonly bytes: number };
  /** Jobs whose plan this executor still holds (a job a driver forgot to drop stays here). */
  jobs?(): number;
  /** The pool's worker threads' heaps (Node's default metrics cover the main thread only). */
  threadHeaps?(): readonly ThreadHeap[];
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
    if (source.threadHeaps) {
      const heaps = source.threadHeaps.bind(source);
      const perThread = (name: string, help: string, figure: (h: ThreadHeap) => number): void => {
        new Gauge({
          name,
          help,
          labelNames: ['thread'],
          registers,
          collect() {
            // A thread that died since the last scrape must not keep its old series.
            this.reset();
            for (const h of heaps()) this.set({ thread: String(h.threadId) }, figure(h));
          },
        });
      };
      perThread(
        'kindling_executor_thread_heap_used_bytes',
        'Heap used by each pool worker thread, as it last recorded it',
        (h) => h.heapUsedBytes,
      );
      perThread('kindling_executor_thread_heap_total_bytes', 'Heap size of each pool worker thread', (h) => h.heapTotalBytes);
      perThread(
        'kindling_executor_thread_external_bytes',
        "Memory outside the heap held by each pool worker thread's objects",
        (h) => h.externalBytes,
      );
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
