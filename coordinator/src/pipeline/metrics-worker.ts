/**
 * Worker-thread side of MetricsThread (metrics-thread.ts): computes one split's binary
 * metrics from its evaluate partials, off the driver's main thread. The partials arrive by
 * reference when they live in SharedArrayBuffers (local mode), copied otherwise.
 *
 * THREADING: runs in its own worker thread, one request at a time.
 */
import { parentPort } from 'node:worker_threads';
import { binaryClassificationMetrics, KindlingError, toWireError, type EvaluatePartial } from '@kindling/shared/compute';

if (parentPort === null) throw new KindlingError('E_INTERNAL', 'metrics-worker.js must run in a worker thread');
const port = parentPort;

port.on('message', (req: { id: number; parts: EvaluatePartial[]; numBins: number }) => {
  try {
    port.postMessage({ id: req.id, ok: true, metrics: binaryClassificationMetrics(req.parts, { numBins: req.numBins }) });
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: toWireError(err) });
  }
});
