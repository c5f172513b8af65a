/**
 * sortScoresAscending: the evaluate kernel's sort of a partition's scores (kernels/evaluate.ts),
 * also used on the driver to sort the merge's splitter sample (ml/score-merge.ts). An
 * interpolation sort where the scores spread over their range, as a partition's margins and
 * probabilities do; else an LSD radix sort on the IEEE-754 bits. Why: V8's native
 * Float64Array sort measured ~150–350 ns per score here and was most of an evaluate task;
 * eight byte passes (constant bytes skipped) cost a fraction of that, and the interpolation
 * sort's three passes less again (scripts/bench/evaluate.mjs). Same result as the native sort
 * for every input without NaN: doubles in numeric order, −0 before +0, as TypedArray sort
 * does. THREADING: pure, any thread; its scratch buffers are per thread (module state).
 */

/** Below this length the native sort is as fast and needs no scratch buffer. */
const NATIVE_BELOW = 256;

/**
 * The passes' second buffer, kept per thread and grown to the longest input: a fresh one costs
 * a page fault per 4 KiB at first write, on the order of a pass (see kernels/evaluate.ts).
 */
let scratch = new Uint32Array(0);

/**
 * Sorts `a` ascending in place and returns it. `a` must hold no NaN (the evaluate kernel
 * rejects NaN scores before sorting) and start at a multiple of 8 bytes in its buffer.
 */
export function sortScoresAscending(a: Float64Array): Float64Array {
  if (a.length < NATIVE_BELOW) return a.sort();
  return interpolationSort(a) ? a : radixSort(a);
}

/** Sub-buckets this full fall back to the radix sort (a skewed range; insertion would be quadratic). */
const CROWDED = 32;
/** Sub-bucket counts and the scatter's buffer, kept per thread as the radix scratch. */
let counts = new Int32Array(0);
let spare = new Float64Array(0);

/**
 * Interpolation sort: a score's sub-bucket is ⌊(s − min)·n/(max − min)⌋, monotone in s in
 * floating point too, so one counting pass and one scatter put the sub-buckets in order and an
 * insertion pass finishes each (a partition's margins are near normal over their range: a few
 * scores per sub-bucket). Returns false, leaving `a` as it was, when the range cannot be split
 * so: all scores equal, an infinite or denormal width, or a sub-bucket more than CROWDED full
 * (an outlier squeezed the rest together, or many ties).
 */
function interpolationSort(a: Float64Array): boolean {
  const n = a.length;
  let lo = a[0]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    if (x > hi) hi = x;
    else if (x < lo) lo = x;
  }
  if (!(hi > lo)) return false;
  const scale = n / (hi - lo);
  if (!(scale > 0 && scale < Infinity)) return false;
  if (counts.length < n + 1) counts = new Int32Array(n + 1);
  else counts.fill(0, 0, n + 1);
  const c = counts;
  for (let i = 0; i < n; i++) {
    if (++c[Math.min(n - 1, ((a[i]! - lo) * scale) | 0)]! > CROWDED) return false;
  }
  let sum = 0;
  for (let d = 0; d < n; d++) {
    const k = c[d]!;
    c[d] = sum;
    sum += k;
  }
  if (spare.length < n) spare = new Float64Array(n);
  const b = spare;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    b[c[Math.min(n - 1, ((x - lo) * scale) | 0)]!++] = x;
  }
  // Insertion, ascending: a score moves only within its sub-bucket.
  a[0] = b[0]!;
  for (let i = 1; i < n; i++) {
    const x = b[i]!;
    let j = i - 1;
    // −0 before +0, as the native sort (the kernel adds + 0, but the contract is the native order).
    while (j >= 0 && (a[j]! > x || (a[j] === x && x === 0 && 1 / x < 0 && 1 / a[j]! > 0))) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
  return true;
}

/** The LSD radix sort on the IEEE-754 bits (see the module comment). */
function radixSort(a: Float64Array): Float64Array {
  const n = a.length;
  let src: Uint32Array = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  // Key transform, little-endian words (lo at 2i, hi at 2i + 1): flip the sign bit of a
  // positive double, every bit of a negative one; unsigned (hi, lo) order is then numeric.
  const hist = new Uint32Array(8 * 256);
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = src[i]!;
    let hi = src[i + 1]!;
    if (hi & 0x80000000) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    src[i] = lo;
    src[i + 1] = hi;
    hist[lo & 255]!++;
    hist[256 + ((lo >>> 8) & 255)]!++;
    hist[512 + ((lo >>> 16) & 255)]!++;
    hist[768 + (lo >>> 24)]!++;
    hist[1024 + (hi & 255)]!++;
    hist[1280 + ((hi >>> 8) & 255)]!++;
    hist[1536 + ((hi >>> 16) & 255)]!++;
    hist[1792 + (hi >>> 24)]!++;
  }
  if (scratch.length < 2 * n) scratch = new Uint32Array(2 * n);
  let dst: Uint32Array = scratch.subarray(0, 2 * n);
  const offsets = new Uint32Array(256);
  for (let pass = 0; pass < 8; pass++) {
    const word = pass < 4 ? 0 : 1;
    const shift = (pass & 3) * 8;
    const h = pass * 256;
    // A byte every key shares leaves the order as it is: skip the pass.
    if (hist[h + ((src[word]! >>> shift) & 255)] === n) continue;
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      offsets[d] = sum;
      sum += hist[h + d]!;
    }
    for (let i = 0; i < 2 * n; i += 2) {
      const at = offsets[(src[i + word]! >>> shift) & 255]!++ * 2;
      dst[at] = src[i]!;
      dst[at + 1] = src[i + 1]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  const out = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 0; i < 2 * n; i += 2) {
    const lo = src[i]!;
    const hi = src[i + 1]!;
    if (hi & 0x80000000) {
      out[i] = lo;
      out[i + 1] = (hi & 0x7fffffff) >>> 0;
    } else {
      out[i] = ~lo >>> 0;
      out[i + 1] = ~hi >>> 0;
    }
  }
  return a;
}
