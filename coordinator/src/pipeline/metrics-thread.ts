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
    { parts: readonly EvaluatePartial[]; numBins: number; resolve: (m: BinaryMetrics) => void; reject: (e: unknown) => void }
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
   * The metrics of one split, computed on the thread. Partials that arrived over NATS (their
   * arrays in plain ArrayBuffers) are copied once into SharedArrayBuffers first, which the thread
   * then reads in place: the driver holds one copy of them, not the caller's and a structured
   * clone's. The caller should not keep `parts` (the copies are what stays alive).
   */
  metrics(parts: readonly EvaluatePartial[], numBins: number): Promise<BinaryMetrics> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve().then(() => binaryClassificationMetrics(parts, { numBins }));
    parts = parts.map(sharedPartial);
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { parts, numBins, resolve, reject });
      // Referenced only while it has work: an idle thread must not keep the process alive.
      worker.ref();
      worker.postMessage({ id, parts, numBins });
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
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      try {
        p.resolve(binaryClassificationMetrics(p.parts, { numBins: p.numBins }));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

/** A typed array in a SharedArrayBuffer: itself when it already is (local mode), else a copy. */
function shared<A extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer, offset: number, length: number) => A;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  out.set(a as never);
  return out;
}

/** The partial with its score columns in SharedArrayBuffers (predictions, when present, as well). */
function sharedPartial(p: EvaluatePartial): EvaluatePartial {
  const out = { ...p, scores: shared(p.scores), positives: shared(p.positives), negatives: shared(p.negatives) };
  if (p.predictions === undefined) return out;
  const q = p.predictions;
  return {
    ...out,
    predictions: { rowIds: shared(q.rowIds), label: shared(q.label), probability: shared(q.probability), prediction: shared(q.prediction) },
  };
}
