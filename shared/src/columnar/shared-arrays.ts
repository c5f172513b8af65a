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
export function sharedInt16(length: number): Int16Array {
  return new Int16Array(new SharedArrayBuffer(Math.max(0, length) * Int16Array.BYTES_PER_ELEMENT));
}
export function sharedInt8(length: number): Int8Array {
  return new Int8Array(new SharedArrayBuffer(Math.max(0, length)));
}
export function sharedUint32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(Math.max(0, length) * Uint32Array.BYTES_PER_ELEMENT));
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

/** True when `v` is stored exactly by an Int32Array: an integer in int32 range, not −0 (and not NaN). */
export function fitsInt32(v: number): boolean {
  return (v | 0) === v && (v !== 0 || 1 / v > 0);
}

/**
 * The first `length` values of `src` in an exactly sized shared array: an Int32Array when
 * every value fitsInt32 (half the bytes, the same numbers when read), else a Float64Array.
 */
export function toSharedNumbers(src: Float64Array, length = src.length): Float64Array | Int32Array {
  for (let i = 0; i < length; i++) if (!fitsInt32(src[i]!)) return toSharedFloat64(src, length);
  const out = sharedInt32(length);
  for (let i = 0; i < length; i++) out[i] = src[i]!;
  return out;
}

/** Dictionary codes (−1 = null) in the narrowest signed array their dictionary's size allows. */
export type CodeArray = Int32Array | Int16Array | Int8Array;

/** A shared array for `length` codes into a dictionary of `dictSize` values: 1, 2 or 4 bytes a code. */
export function sharedCodes(length: number, dictSize: number): CodeArray {
  const n = Math.max(0, length);
  if (dictSize <= 0x7f) return new Int8Array(new SharedArrayBuffer(n));
  if (dictSize <= 0x7fff) return new Int16Array(new SharedArrayBuffer(n * Int16Array.BYTES_PER_ELEMENT));
  return sharedInt32(n);
}

/** The first `length` codes of `src` in sharedCodes' storage for a dictionary of `dictSize` values. */
export function toSharedCodes(src: Int32Array, dictSize: number, length = src.length): CodeArray {
  const out = sharedCodes(length, dictSize);
  out.set(src.subarray(0, length));
  return out;
}

/** Per-score label counts: summed weights (Float64Array) or integer counts in the narrowest unsigned array. */
export type CountArray = Float64Array | Uint32Array | Uint16Array | Uint8Array;

/** The unsigned integer array type that holds every count up to `max` (≤ 2^32 − 1): 1, 2 or 4 bytes a count. */
export function countArrayType(max: number): typeof Uint8Array | typeof Uint16Array | typeof Uint32Array {
  return max <= 0xff ? Uint8Array : max <= 0xffff ? Uint16Array : Uint32Array;
}
