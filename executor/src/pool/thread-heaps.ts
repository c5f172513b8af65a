/**
 * The heap figures of the pool's worker threads, on shared memory. Each worker thread writes
 * its own slot after loading and after every request, so the executor's /metrics reads them
 * without a round trip to a thread that may be busy with a parse for seconds (Node 20's Worker
 * has no getHeapStatistics(); it arrived in Node 22.16). A soak needs them: a leak in a worker
 * isolate (a cache of generated kernels, a module's buffers) never shows in the main thread's
 * heap, only in RSS, where it is lost among the cached blocks.
 *
 * A thread piscina starts to replace one that died takes the next slot; the reader reports only
 * slots whose thread is alive. There are SLOTS_PER_THREAD slots per thread, so only after that
 * many replacements can a new thread share a slot with a live one (then one of the two is not
 * reported until it writes again).
 *
 * THREADING: each slot has one writer (its thread); the main thread reads. A read that overlaps
 * a write may mix two samples of the same thread, which a gauge tolerates.
 */
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';

/** One worker thread's heap, as V8 reports it to that thread. */
export interface ThreadHeap {
  readonly threadId: number;
  /** Live and not yet collected JavaScript objects. */
  readonly heapUsedBytes: number;
  /** The heap's reserved size. */
  readonly heapTotalBytes: number;
  /** Memory outside the heap that the isolate's objects hold (ArrayBuffers among it). */
  readonly externalBytes: number;
}

const FIELDS = 4; // threadId (0 = unused), heap used, heap total, external
const SLOTS_PER_THREAD = 4;

/** What the pool hands its workers: the slots and the counter they claim slots with. */
export interface ThreadHeapShared {
  readonly figures: Float64Array;
  readonly claimed: Int32Array;
}

/** The shared slots for a pool of `threads`. */
export function threadHeapShared(threads: number): ThreadHeapShared {
  const slots = Math.max(1, threads) * SLOTS_PER_THREAD;
  return {
    figures: new Float64Array(new SharedArrayBuffer(slots * FIELDS * Float64Array.BYTES_PER_ELEMENT)),
    claimed: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)),
  };
}

/** The figures of the threads in `live`, one per thread, in `live`'s order. */
export function readThreadHeaps(shared: ThreadHeapShared, live: readonly number[]): ThreadHeap[] {
  const { figures } = shared;
  const bySlot = new Map<number, ThreadHeap>();
  for (let at = 0; at < figures.length; at += FIELDS) {
    const id = figures[at]!;
    if (id === 0) continue;
    bySlot.set(id, { threadId: id, heapUsedBytes: figures[at + 1]!, heapTotalBytes: figures[at + 2]!, externalBytes: figures[at + 3]! });
  }
  return live.flatMap((id) => bySlot.get(id) ?? []);
}

/** A worker thread's writer of its own slot. */
export class ThreadHeapRecorder {
  private readonly at: number;

  constructor(private readonly shared: ThreadHeapShared) {
    const slots = shared.figures.length / FIELDS;
    this.at = (Atomics.add(shared.claimed, 0, 1) % slots) * FIELDS;
  }

  /** Writes this thread's current figures (a few microseconds). */
  record(): void {
    const h = getHeapStatistics();
    const f = this.shared.figures;
    f[this.at] = threadId;
    f[this.at + 1] = h.used_heap_size;
    f[this.at + 2] = h.total_heap_size;
    f[this.at + 3] = h.external_memory;
  }
}
