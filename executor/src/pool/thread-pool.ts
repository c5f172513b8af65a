/**
 * Main-thread side of the executor's worker threads: a piscina pool sized to the executor's
 * slots. Why threads: parsing and gradient passes are CPU-bound and would otherwise block
 * the event loop that serves heartbeats and new launches. Requests beyond the slots queue
 * in piscina, so a batch of tasks can be handed over at once.
 *
 * Blocks go to workers by reference (SharedArrayBuffer); results come back the same way.
 */
import { Piscina } from 'piscina';
import { fromWireError, type OpOutput } from '@kindling/shared/compute';
import type { WorkerRequest, WorkerResponse } from './thread-messages.js';

/** A fixed-size pool of worker threads running task-worker.js. */
export class ThreadPool {
  private readonly pool: Piscina;

  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: new URL('./task-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  /** Runs one op on a free thread; rejects with the worker's KindlingError. */
  async run(req: WorkerRequest): Promise<OpOutput<unknown>> {
    const res = (await this.pool.run(req)) as WorkerResponse;
    if (!res.ok) throw fromWireError(res.error);
    return res.value;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
