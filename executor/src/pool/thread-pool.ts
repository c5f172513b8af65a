/**
 * Main-thread side of the executor's worker threads: a piscina pool sized to the executor's
 * slots. Why threads: parsing and gradient passes are CPU-bound and would otherwise block
 * the event loop that serves heartbeats and new tasks.
 *
 * Blocks go to workers by reference (SharedArrayBuffer); results come back the same way.
 */
import { Piscina } from 'piscina';
import { fromWireError } from '@kindling/shared/compute';
import type { WorkerRequest, WorkerResponse, WorkerResultByType } from './thread-messages.js';

/** A fixed-size pool of worker threads running task-worker.js. */
export class ThreadPool {
  private readonly pool: Piscina;

  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: new URL('./task-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      // Tasks queue in the executor's own scheduler, not here: one slot = one thread.
      idleTimeout: 60_000,
    });
  }

  /** Runs one request on a free thread; rejects with the worker's KindlingError. */
  async run<T extends WorkerRequest['type']>(req: Extract<WorkerRequest, { type: T }>): Promise<WorkerResultByType[T]> {
    const res = (await this.pool.run(req)) as WorkerResponse<WorkerResultByType[T]>;
    if (!res.ok) throw fromWireError(res.error);
    return res.value;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
