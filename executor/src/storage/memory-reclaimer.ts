/**
 * MemoryReclaimer: gives the memory of dropped blocks back to the operating system while the
 * job runs, not at some later garbage collection. A cached block is a handful of
 * SharedArrayBuffers; once the block store drops it (encode frees the rows, eviction, a
 * finished job), its memory returns only when every isolate that saw it — the executor's main
 * thread and each worker thread that ran a task on it — has collected its handles. A worker
 * allocates little JavaScript heap, so it may not collect for the whole job: measured on the
 * 10M-row bank job, the freed rows (1 GB) stayed resident beside the design blocks, and the
 * process peaked at 2.5 GB instead of 1.8 GB. Dropping ≥ `thresholdBytes` asks V8 for one full
 * collection on the next turn of the event loop (one per 32 MiB dropped, not one per block).
 * Less than that, once drops stop for `quietMs` (the stage that dropped them has ended on this
 * thread), asks for one too when at least `quietBytes` are pending. Without it the last bytes a
 * stage drops would wait for the next stage's drops. A pool worker's event
 * loop does not run between tasks (piscina hands tasks over with Atomics.wait), so its timers do
 * not fire while it waits: a worker calls beforeTask(op) instead, which collects at the first
 * task of another op than the one that dropped (the dropping stage has ended on this thread).
 *
 * V8's collector is reached as jest's leak detector reaches it (`--expose-gc` set at run time,
 * the `gc` function taken from a new context); without it the reclaimer does nothing.
 * THREADING: one per isolate (the main thread's block store, each worker of the pool).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes dropped between two collections, by default. 32 MiB, measured on the 10M-row job on 2
 * executors: collecting this often during encode lets its new design blocks reuse the rows'
 * memory (executor peak 0.56 GB against 0.69 GB with 256 MiB), at no cost to the stage's time
 * (1.2–1.4 s either way); a collection after every drop made encode 2.7× slower.
 */
export const DEFAULT_RECLAIM_BYTES = 32 * 1024 * 1024;
/** Below the threshold: collect once drops have stopped this long, if at least DEFAULT_QUIET_BYTES are pending. */
export const DEFAULT_QUIET_MS = 200;
export const DEFAULT_QUIET_BYTES = 16 * 1024 * 1024;

let collector: (() => void) | null | undefined;

/** V8's full collection for this isolate, or null where it cannot be reached. */
function fullCollection(): (() => void) | null {
  if (collector !== undefined) return collector;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collector = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collector = null;
  }
  return collector;
}

/** Runs one full collection of this isolate now; false where V8's collector cannot be reached. */
export function collectFully(): boolean {
  const gc = fullCollection();
  gc?.();
  return gc !== null;
}

/** Counts dropped bytes and schedules a collection each time they pass the threshold, or go quiet. */
export class MemoryReclaimer {
  private pending = 0;
  private scheduled = false;
  private quiet: NodeJS.Timeout | undefined;
  /** The op of the task whose drops are pending (beforeTask). */
  private droppedBy: string | undefined;
  /** Collections asked for, since start (tests, diagnostics). */
  collections = 0;

  constructor(
    private readonly thresholdBytes = DEFAULT_RECLAIM_BYTES,
    private readonly collect: (() => void) | null = fullCollection(),
    private readonly quietMs = DEFAULT_QUIET_MS,
    private readonly quietBytes = DEFAULT_QUIET_BYTES,
  ) {}

  /** `bytes` of blocks were dropped in this isolate (by a task of `op`, in a pool worker). */
  noteDropped(bytes: number, op?: string): void {
    if (this.collect === null || bytes <= 0) return;
    this.pending += bytes;
    this.droppedBy = op;
    if (this.pending < this.thresholdBytes) {
      this.armQuiet();
      return;
    }
    if (this.scheduled) return;
    this.pending = 0;
    this.scheduled = true;
    clearTimeout(this.quiet);
    // After the current task's bookkeeping: the dropped handles are garbage by then.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /**
   * A task of `op` is about to run on this thread: when the pending drops came from tasks of
   * another op and pass quietBytes, collect first (one full collection per stage that dropped).
   */
  beforeTask(op: string): void {
    if (this.collect === null || this.droppedBy === undefined || this.droppedBy === op || this.pending < this.quietBytes) return;
    this.pending = 0;
    this.droppedBy = undefined;
    clearTimeout(this.quiet);
    this.run();
  }

  /** (Re)starts the quiet-period timer; it never keeps the thread alive. */
  private armQuiet(): void {
    if (this.pending < this.quietBytes) return;
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => {
      this.quiet = undefined;
      if (this.pending < this.quietBytes) return;
      this.pending = 0;
      this.run();
    }, this.quietMs);
    this.quiet.unref();
  }

  private run(): void {
    this.collections++;
    this.collect!();
  }
}
