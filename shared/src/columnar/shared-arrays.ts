/**
 * Typed arrays over SharedArrayBuffer. Partition buffers are allocated here so that worker
 * threads read them without a copy (a SAB crosses postMessage by reference).
 */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(0, length) * Float64Array.BYTES_PER_ELEMENT));
}
export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(0, length) * Int32Array.BYTES_PER_ELEMENT));
}
export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(0, length)));
}
/** Copies a (possibly non-shared, possibly oversized) array into an exactly sized shared one. */
export function toSharedFloat64(src: Float64Array, length = src.length): Float64Array {
  const out = sharedFloat64(length);
  out.set(src.subarray(0, length));
  return out;
}
export function toSharedInt32(src: Int32Array, length = src.length): Int32Array {
  const out = sharedInt32(length);
  out.set(src.subarray(0, length));
  return out;
}
export function toSharedUint8(src: Uint8Array, length = src.length): Uint8Array {
  const out = sharedUint8(length);
  out.set(src.subarray(0, length));
  return out;
}
