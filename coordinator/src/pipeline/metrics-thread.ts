/**
 * MetricsThread: one worker thread on the driver that computes a split's binary metrics
 * (binaryClassificationMetrics: the exact merge of the partitions' score lists, then the
 * curves) while the main thread goes on with the job. evaluate-model.ts runs the training
 * split's metrics here during the test split's stage and the test split's own merge, so the
 * two merges (7M and 3M distinct scores at 10M rows) take two cores instead of one after the
 * other. The result is the same function on the same input: the same bits.
 *
 * If the thread cannot start or dies, the metrics are computed on the calling thread instead.
 */
import { Worker } from 'node:worker_threads';
import {
  binaryClassificationMetrics,
  fromWireError,
  KindlingError,
  type BinaryMetrics,
  type EvaluatePartial,
  type WireError,
} from '@kindling/shared/compute';

type Reply = { id: number; ok: true; metrics: BinaryMetrics } | { id: number; ok: false; error: WireError };

export class MetricsThread {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<
    number,
    {
      parts: readonly EvaluatePartial[];
      numBins: number;
      /** Some arrays were moved to the thread: they cannot be read here any more. */
      moved: boolean;
      resolve: (m: BinaryMetrics) => void;
      reject: (e: unknown) => void;
    }
  >();

  /** Starts the thread now, so it has loaded its modules by the time the first split is in. */
  constructor() {
    try {
      const worker = new Worker(new URL('./metrics-worker.js', import.meta.url));
      worker.unref();
      worker.on('message', (reply: Reply) => {
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) worker.unref();
        if (reply.ok) p.resolve(reply.metrics);
        else p.reject(fromWireError(reply.error));
      });
      // A thread that fails (it could not load, ran out of memory) hands its work back.
      worker.on('error', () => this.fallBack(worker));
      worker.on('exit', () => this.fallBack(worker));
      this.worker = worker;
    } catch {
      this.worker = undefined;
    }
  }

  /**
   * The metrics of one split, computed on the thread, which takes `parts` over: the driver then
   * holds one copy of them, not the caller's and a structured clone's. Arrays in
   * SharedArrayBuffers (local mode) are read in place. An array that owns its whole ArrayBuffer
   * (as the codec decodes every array that came over NATS) is moved to the thread and is empty
   * here afterwards; any other array is copied into a SharedArrayBuffer first. So the caller must
   * not read `parts` again.
   */
  metrics(parts: readonly EvaluatePartial[], numBins: number): Promise<BinaryMetrics> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve().then(() => binaryClassificationMetrics(parts, { numBins }));
    const transfer = new Set<ArrayBuffer>();
    parts = parts.map((p) => handedOver(p, transfer));
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { parts, numBins, moved: transfer.size > 0, resolve, reject });
      // Referenced only while it has work: an idle thread must not keep the process alive.
      worker.ref();
      worker.postMessage({ id, parts, numBins }, [...transfer]);
    });
  }

  /** Stops the thread. Requests still pending (the job failed meanwhile) are dropped, never settled. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.pending.clear();
    if (worker !== undefined) await worker.terminate();
  }

  private fallBack(worker: Worker): void {
    if (this.worker !== worker) return; // closed
    this.worker = undefined;
    // After an error it may still be running: it must not keep the process alive.
    worker.unref();
    void worker.terminate();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.moved) {
        // Its arrays went to the thread: computing on what is left here would give wrong figures.
        p.reject(new KindlingError('E_INTERNAL', 'the metrics thread stopped before it returned the metrics of a split'));
        continue;
      }
      try {
        p.resolve(binaryClassificationMetrics(p.parts, { numBins: p.numBins }));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

type PartialArray = Float64Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * How a typed array goes to the thread: by reference in a SharedArrayBuffer (as it is), moved
 * when it owns its whole ArrayBuffer (added to `transfer`), else copied into a SharedArrayBuffer.
 */
function handOver<A extends PartialArray>(a: A, transfer: Set<ArrayBuffer>): A {
  const buffer = a.buffer;
  if (buffer instanceof SharedArrayBuffer) return a;
  if (a.byteOffset === 0 && a.byteLength === buffer.byteLength) {
    transfer.add(buffer);
    return a;
  }
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer, offset: number, length: number) => A;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  out.set(a as never);
  return out;
}

/** The partial with each array handed over (handOver), predictions when present as well. */
function handedOver(p: EvaluatePartial, transfer: Set<ArrayBuffer>): EvaluatePartial {
  const h = <A extends PartialArray>(a: A): A => handOver(a, transfer);
  const out = { ...p, scores: h(p.scores), positives: h(p.positives), negatives: h(p.negatives) };
  if (p.predictions === undefined) return out;
  const q = p.predictions;
  return { ...out, predictions: { rowIds: h(q.rowIds), label: h(q.label), probability: h(q.probability), prediction: h(q.prediction) } };
}
