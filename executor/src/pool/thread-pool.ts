/**
 * Main-thread side of the executor's worker threads: a piscina pool sized to the executor's
 * slots. Why threads: parsing and gradient passes are CPU-bound and would otherwise block
 * the event loop that serves heartbeats and new launches. Requests beyond the slots queue
 * in piscina, so a batch of tasks can be handed over at once.
 *
 * Blocks go to workers by reference (SharedArrayBuffer); results come back the same way.
 */
import { Piscina } from 'piscina';
import { fromWireError, KindlingError, type OpOutput, type TaskOp } from '@kindling/shared/compute';
import type {
  WorkerGroupItem,
  WorkerGroupRequest,
  WorkerGroupResponse,
  WorkerProbeRequest,
  WorkerProbeResponse,
  WorkerRequest,
  WorkerResponse,
} from './thread-messages.js';
import { queueFirst, TwoLaneQueue } from './task-queue.js';
import { readThreadHeaps, threadHeapShared, type ThreadHeap, type ThreadHeapShared } from './thread-heaps.js';

/** A fixed-size pool of worker threads running task-worker.js. */
export class ThreadPool {
  private readonly pool: Piscina;
  /** Threads whose task-worker module has finished loading (each adds 1; see task-worker.ts). */
  private readonly loaded = new Int32Array(new SharedArrayBuffer(4));
  private created = 0;
  private readonly heaps: ThreadHeapShared;

  constructor(readonly threads: number) {
    this.heaps = threadHeapShared(threads);
    this.pool = new Piscina({
      filename: new URL('./task-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // piscina loads the task module with require() first; on Node 20 that is the
      // experimental require(esm), whose synchronous instantiation aborts the whole process
      // (`v8::Module::IsGraphAsync … instantiated module`) when it goes wrong. Without it the
      // require fails at once and piscina imports the module the ordinary, asynchronous way.
      execArgv: [...workerExecArgv(process.execArgv), '--no-experimental-require-module'],
      workerData: { loaded: this.loaded, heaps: this.heaps } satisfies TaskWorkerData,
      taskQueue: new TwoLaneQueue(),
    });
    // Every thread started, the first ones included, is announced by a later workerCreate.
    this.pool.on('workerCreate', () => this.created++);
  }

  /**
   * Runs one op on a free thread; rejects with the worker's KindlingError. `first`: ahead of
   * the tasks queued without it (a task holding fetched input bytes, see task-queue.ts).
   */
  async run(req: WorkerRequest, first = false): Promise<OpOutput<unknown>> {
    const res = (await this.pool.run(first ? queueFirst({ ...req }) : req)) as WorkerResponse;
    if (!res.ok) throw fromWireError(res.error);
    return res.value;
  }

  /**
   * Runs `op` over several items at once (see WorkerGroupRequest): one copy of the request per
   * thread, up to one per item, and each item's own outcome. A copy that fails outright (its
   * thread died, the pool closed) fails the items no other copy answered.
   */
  runGroup(op: TaskOp, params: unknown, items: readonly WorkerGroupItem[]): Array<Promise<OpOutput<unknown>>> {
    const settlers = items.map(() => {
      let resolve!: (v: OpOutput<unknown>) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<OpOutput<unknown>>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject, settled: false };
    });
    const request: WorkerGroupRequest = { group: true, op, params, items, next: new Int32Array(new SharedArrayBuffer(4)) };
    const copies = Math.min(this.threads, items.length);
    let open = copies;
    let failure: unknown;
    const copyEnded = (): void => {
      if (--open > 0) return;
      for (const s of settlers)
        if (!s.settled) s.reject(failure ?? new KindlingError('E_INTERNAL', `no thread answered item of a ${op} group`));
    };
    for (let c = 0; c < copies; c++) {
      (this.pool.run(request) as Promise<WorkerGroupResponse>).then(
        ({ results }) => {
          for (const { index, response } of results) {
            const s = settlers[index];
            if (s === undefined || s.settled) continue;
            s.settled = true;
            if (response.ok) s.resolve(response.value);
            else s.reject(fromWireError(response.error));
          }
          copyEnded();
        },
        (err: unknown) => {
          failure ??= err;
          copyEnded();
        },
      );
    }
    return settlers.map((s) => s.promise);
  }

  /**
   * Each live thread's heap as it last recorded it: after loading, after each request and after
   * a probe. Reads shared memory only, so it answers at once while the threads are busy.
   */
  threadHeaps(): ThreadHeap[] {
    return readThreadHeaps(
      this.heaps,
      this.pool.threads.map((w) => w.threadId),
    );
  }

  /**
   * Has every thread record its heap now, after a full collection of its isolate when `collect`
   * is set (what a soak compares: live bytes, not the garbage a thread's last collection left).
   * A thread busy with a task answers when the task ends; copies that reached idle threads wait
   * for it at most `waitMs`, then answer alone, so a probe never holds idle threads for longer.
   * Resolves with what each copy's thread recorded, in the order they answered.
   */
  async probeThreads(opts: { readonly collect: boolean; readonly waitMs?: number }): Promise<ThreadHeap[]> {
    const copies = this.pool.threads.length;
    const request: WorkerProbeRequest = {
      probe: true,
      collect: opts.collect,
      arrived: new Int32Array(new SharedArrayBuffer(4)),
      copies,
      waitMs: opts.waitMs ?? PROBE_WAIT_MS,
    };
    const answers = await Promise.all(Array.from({ length: copies }, () => this.pool.run(request) as Promise<WorkerProbeResponse>));
    return readThreadHeaps(
      this.heaps,
      answers.map((a) => a.threadId),
    );
  }

  /** Threads that have finished loading their modules. */
  get loadedThreads(): number {
    return Atomics.load(this.loaded, 0);
  }

  /**
   * Stops the threads, once each has finished loading: Node 20 aborts the whole process
   * (`v8::Module::IsGraphAsync … must be used on an instantiated module`) when a worker is
   * terminated while its ES modules are being instantiated, which a job that fails before its
   * first task (an empty file, a missing column) used to do. A thread that never loads (a
   * broken install) is given up on after LOAD_WAIT_MS.
   */
  async close(): Promise<void> {
    const until = Date.now() + LOAD_WAIT_MS;
    const started = (): number => Math.max(this.created, this.pool.threads.length);
    while (this.loadedThreads < started() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await this.pool.destroy();
  }
}

/**
 * The process's node flags that a worker thread accepts: Node refuses a Worker whose execArgv
 * holds a per-process V8 flag (ERR_WORKER_INVALID_EXEC_ARGV), and an executor started with
 * `node --expose-gc` (as the soak runs it) would otherwise fail to start its pool.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !/^--expose[-_]gc$/.test(a));
}

/** How long close() waits for threads still loading. */
const LOAD_WAIT_MS = 10_000;
/** How long a probe's copies wait for each other on idle threads. */
const PROBE_WAIT_MS = 1_000;

/** What the pool hands each worker thread (node's workerData). */
export interface TaskWorkerData {
  readonly loaded: Int32Array;
  readonly heaps: ThreadHeapShared;
}
