/**
 * Bytes of the typed arrays in a task's output or outcome, found a few levels deep: what the
 * memory reclaimer and the outcome batching count (task-worker.ts, executor-backend.ts).
 */

/** Bytes of every typed array in `value`; with `sharedOnly`, of those in SharedArrayBuffers only. */
export function arrayBytes(value: unknown, sharedOnly = false, depth = 0): number {
  if (value === null || typeof value !== 'object' || depth > 4) return 0;
  if (ArrayBuffer.isView(value)) return !sharedOnly || value.buffer instanceof SharedArrayBuffer ? value.byteLength : 0;
  let n = 0;
  for (const x of Array.isArray(value) ? value : Object.values(value)) n += arrayBytes(x, sharedOnly, depth + 1);
  return n;
}
