/**
 * MemoryReclaimer: gives the memory of dropped blocks back to the operating system while the
 * job runs, not at some later garbage collection. A cached block is a handful of
 * SharedArrayBuffers; once the block store drops it (encode frees the rows, eviction, a
 * finished job), its memory returns only when every isolate that saw it — the executor's main
 * thread and each worker thread that ran a task on it — has collected its handles. A worker
 * allocates little JavaScript heap, so it may not collect for the whole job: measured on the
 * 10M-row bank job, the freed rows (1 GB) stayed resident beside the design blocks, and the
 * process peaked at 2.5 GB instead of 1.8 GB. Dropping ≥ `thresholdBytes` asks V8 for one full
 * collection on the next turn of the event loop (a few per GB dropped, not one per block).
 * Less than that, once drops stop for `quietMs` (the stage that dropped them has ended on this
 * thread), asks for one too when at least `quietBytes` are pending. Without it a cluster of
 * several executors, each dropping less than the threshold, kept every dropped row: at 10M rows
 * on 2 executors, ~200 MB each stayed resident beside the design blocks.
 *
 * V8's collector is reached as jest's leak detector reaches it (`--expose-gc` set at run time,
 * the `gc` function taken from a new context); without it the reclaimer does nothing.
 * THREADING: one per isolate (the main thread's block store, each worker of the pool).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes dropped between two collections, by default. */
export const DEFAULT_RECLAIM_BYTES = 256 * 1024 * 1024;
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

/** Counts dropped bytes and schedules a collection each time they pass the threshold, or go quiet. */
export class MemoryReclaimer {
  private pending = 0;
  private scheduled = false;
  private quiet: NodeJS.Timeout | undefined;
  /** Collections asked for, since start (tests, diagnostics). */
  collections = 0;

  constructor(
    private readonly thresholdBytes = DEFAULT_RECLAIM_BYTES,
    private readonly collect: (() => void) | null = fullCollection(),
    private readonly quietMs = DEFAULT_QUIET_MS,
    private readonly quietBytes = DEFAULT_QUIET_BYTES,
  ) {}

  /** `bytes` of blocks were dropped in this isolate. */
  noteDropped(bytes: number): void {
    if (this.collect === null || bytes <= 0) return;
    this.pending += bytes;
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
