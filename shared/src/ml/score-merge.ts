/**
 * The driver's exact merge of per-partition distinct-score lists (the evaluate partials'
 * scores with their positive and negative counts), the input of the exact ROC and PR curves.
 * Kept apart from binary-metrics.ts, which only reads the merged list.
 *
 * Two merges give the same bits:
 * - bucketMerge, linear in practice: splitters picked from a sample of the parts cut the score
 *   range into buckets of ~2048 scores; a bucket is gathered from every part (each part is
 *   sorted, so a part's share of a bucket is one run after the previous bucket's) and sorted in
 *   cache by interpolation into as many sub-buckets as it has scores, then insertion within a
 *   sub-bucket. At 10M rows in 196 partitions the k-way heap below took ~2.2 s on the driver
 *   thread while every worker thread waited; see scripts/bench/auc-merge.mjs for both side by side.
 * - heapMerge, the k-way heap merge the metrics used before, O(n log k). It stays for the
 *   inputs where the bucket merge could give other bits: equal scores are summed in the heap's
 *   pop order, which is not partition order, so a score shared by three or more parts with
 *   fractional weights (pipeline.weight) could round differently. The bucket merge sums a tie
 *   in partition order and hands over to the heap whenever such a sum is not exact in any
 *   order (integer counts, the unweighted case, always are) or when +0 and −0 tie.
 *
 * streamScoreCounts runs the bucket merge without building the merged list: each point goes
 * to the caller's curve sums as it is folded, and the few points a plot needs are re-derived
 * afterwards from the parts (binary-metrics.ts). At 10M rows that keeps 165 MiB (train split)
 * and 70 MiB (test split) of merged list off the driver, at the same speed (auc-merge.mjs).
 *
 * THREADING: pure; runs on the driver's thread.
 */
import type { CountArray } from '../columnar/shared-arrays.js';
import { KindlingError } from '../errors.js';
import { sortScoresAscending } from '../kernels/score-sort.js';

/** Distinct scores, strictly descending, with the positive and negative counts at each. */
export interface ScoreCounts {
  readonly scores: Float64Array;
  readonly positives: CountArray;
  readonly negatives: CountArray;
}

function checkDescending(p: ScoreCounts, which: number): void {
  const n = p.scores.length;
  if (p.positives.length !== n || p.negatives.length !== n) {
    throw new KindlingError('E_INTERNAL', `evaluate partial ${which}: scores, positives and negatives differ in length`);
  }
  const s = p.scores;
  for (let i = 1; i < n; i++) {
    if (!(s[i - 1]! > s[i]!)) {
      throw new KindlingError('E_INTERNAL', `evaluate partial ${which}: scores are not strictly descending at ${i}`);
    }
  }
}

/**
 * Exact merge of per-partition distinct-score lists (each strictly descending): equal scores
 * are combined by summing their counts. The result depends only on the parts (in partition
 * order), never on which executor produced them or when.
 */
export function mergeScoreCounts(parts: readonly ScoreCounts[]): ScoreCounts {
  let total = 0;
  parts.forEach((p, i) => {
    checkDescending(p, i);
    total += p.scores.length;
  });
  const live = parts.filter((p) => p.scores.length > 0);
  if (live.length === 1) {
    const only = live[0]!;
    return { scores: only.scores.slice(), positives: only.positives.slice(), negatives: only.negatives.slice() };
  }
  if (live.length === 0) return { scores: new Float64Array(0), positives: new Float64Array(0), negatives: new Float64Array(0) };
  return bucketMerge(live, total) ?? heapMerge(live, total);
}

/**
 * The k-way merge over a binary max-heap of the parts' heads: one pass, O(n log k), no buffer
 * beyond the output. Ties pop one after the other and are summed in pop order.
 */
export function heapMerge(live: readonly ScoreCounts[], total: number): ScoreCounts {
  const k = live.length;
  const scores = new Float64Array(total);
  const positives = new Float64Array(total);
  const negatives = new Float64Array(total);
  // heap[] holds part indices, largest head score first; head[t] and at[t] are part t's
  // current score and position.
  const heap = new Int32Array(k);
  const head = new Float64Array(k);
  const at = new Int32Array(k);
  const sc = live.map((p) => p.scores);
  const po = live.map((p) => p.positives);
  const ne = live.map((p) => p.negatives);
  for (let t = 0; t < k; t++) {
    heap[t] = t;
    head[t] = sc[t]![0]!;
  }
  let size = k;
  const siftDown = (from: number): void => {
    let i = from;
    const top = heap[i]!;
    const key = head[top]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && head[heap[c + 1]!]! > head[heap[c]!]!) c++;
      if (!(head[heap[c]!]! > key)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = top;
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  let n = 0;
  while (size > 0) {
    const t = heap[0]!;
    const s = head[t]!;
    const j = at[t]!;
    if (n > 0 && scores[n - 1] === s) {
      positives[n - 1] = positives[n - 1]! + po[t]![j]!;
      negatives[n - 1] = negatives[n - 1]! + ne[t]![j]!;
    } else {
      scores[n] = s;
      positives[n] = po[t]![j]!;
      negatives[n] = ne[t]![j]!;
      n++;
    }
    const ts = sc[t]!;
    if (j + 1 < ts.length) {
      at[t] = j + 1;
      head[t] = ts[j + 1]!;
    } else {
      heap[0] = heap[--size]!;
    }
    if (size > 0) siftDown(0);
  }
  // Views, not copies: the merged list is read once by the metrics and then dropped.
  return { scores: scores.subarray(0, n), positives: positives.subarray(0, n), negatives: negatives.subarray(0, n) };
}

/** Scores per bucket the splitters aim at: the bucket and its sort buffers stay in L2. */
const BUCKET_TARGET = 2048;
/** Every SAMPLE_STEP-th score of each part is a splitter candidate (16 per bucket). */
const SAMPLE_STEP = 128;
/** Ranges at most this long are insertion-sorted. */
const SMALL = 24;
/** Interpolation levels before a range falls back to a merge sort (skewed or infinite ranges). */
const MAX_DEPTH = 3;
/** Largest integer every partial sum of which is exact in doubles. */
const EXACT_SUM = 2 ** 53;

/** Strictly descending splitters: bucket b holds the scores s with split[b−1] > s ≥ split[b]. */
function splittersOf(live: readonly ScoreCounts[], total: number): Float64Array {
  const buckets = Math.ceil(total / BUCKET_TARGET);
  if (buckets <= 1) return new Float64Array(0);
  let m = 0;
  for (const p of live) m += Math.ceil(p.scores.length / SAMPLE_STEP);
  const sample = new Float64Array(m);
  let at = 0;
  for (const p of live) {
    const s = p.scores;
    for (let i = Math.min(SAMPLE_STEP >> 1, s.length - 1); i < s.length; i += SAMPLE_STEP) sample[at++] = s[i]!;
  }
  sortScoresAscending(sample.subarray(0, at));
  const split = new Float64Array(buckets - 1);
  let n = 0;
  for (let b = 1; b < buckets; b++) {
    const v = sample[at - 1 - Math.floor((b * at) / buckets)]!;
    if (n === 0 || v < split[n - 1]!) split[n++] = v;
  }
  return split.subarray(0, n);
}

/** Growable scratch columns for one bucket: the gathered scores and counts, and the sort's copy. */
class Scratch {
  s: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  p: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  q: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  ts: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  tp: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  tq: Float64Array = new Float64Array(BUCKET_TARGET * 2);
  /** Sub-bucket counts per interpolation level. */
  readonly counts: Int32Array[] = [];

  reserve(n: number): void {
    if (n <= this.s.length) return;
    const cap = Math.max(n, 2 * this.s.length);
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.s = grow(this.s);
    this.p = grow(this.p);
    this.q = grow(this.q);
    this.ts = new Float64Array(cap);
    this.tp = new Float64Array(cap);
    this.tq = new Float64Array(cap);
  }

  countsAt(depth: number, n: number): Int32Array {
    let c = this.counts[depth];
    if (c === undefined || c.length < n + 1) {
      c = new Int32Array(Math.max(n + 1, 2 * BUCKET_TARGET));
      this.counts[depth] = c;
    } else c.fill(0, 0, n + 1);
    return c;
  }
}

/** Receives a merged list's points in order (score descending, counts summed). */
export type ScoreEmit = (score: number, positives: number, negatives: number) => void;

/**
 * The parts' next run of scores ≥ lo, gathered into the scratch in partition order; `at`
 * holds each part's position and is advanced past the run. Returns the run's length.
 */
function gatherBucket(w: Scratch, live: readonly ScoreCounts[], at: Int32Array, lo: number): number {
  let m = 0;
  for (let t = 0; t < live.length; t++) {
    const part = live[t]!;
    const s = part.scores;
    const len = s.length;
    let i = at[t]!;
    if (i >= len || s[i]! < lo) continue;
    const p = part.positives;
    const q = part.negatives;
    let bs = w.s;
    let bp = w.p;
    let bq = w.q;
    do {
      if (m === bs.length) {
        w.reserve(m + 1);
        bs = w.s;
        bp = w.p;
        bq = w.q;
      }
      bs[m] = s[i]!;
      bp[m] = p[i]!;
      bq[m] = q[i]!;
      m++;
      i++;
    } while (i < len && s[i]! >= lo);
    at[t] = i;
  }
  return m;
}

/**
 * Sorts a gathered bucket of m scores and emits its distinct scores, summing equal ones in the
 * (stable) sorted order, which is partition order. False, having emitted part of the bucket,
 * where a tie's sum could differ from heapMerge's (exactTie).
 */
function foldBucket(w: Scratch, m: number, emit: ScoreEmit): boolean {
  sortRange(w, 0, m, 0);
  const bs = w.s;
  const bp = w.p;
  const bq = w.q;
  for (let i = 0; i < m;) {
    const x = bs[i]!;
    let sp = bp[i]!;
    let sq = bq[i]!;
    let j = i + 1;
    while (j < m && bs[j] === x) {
      sp += bp[j]!;
      sq += bq[j]!;
      j++;
    }
    if (j - i > 1 && !exactTie(w, i, j)) return false;
    emit(x, sp, sq);
    i = j;
  }
  return true;
}

/**
 * The bucket merge, or undefined where its sums could differ from heapMerge's (see the module
 * comment): a tie of three or more parts whose counts are not exact integers, or +0 tied with −0.
 */
export function bucketMerge(live: readonly ScoreCounts[], total: number): ScoreCounts | undefined {
  const split = splittersOf(live, total);
  const at = new Int32Array(live.length);
  const scores = new Float64Array(total);
  const positives = new Float64Array(total);
  const negatives = new Float64Array(total);
  const w = new Scratch();
  let n = 0;
  const emit: ScoreEmit = (x, sp, sq) => {
    scores[n] = x;
    positives[n] = sp;
    negatives[n] = sq;
    n++;
  };
  for (let b = 0; b <= split.length; b++) {
    const m = gatherBucket(w, live, at, b < split.length ? split[b]! : -Infinity);
    if (m > 0 && !foldBucket(w, m, emit)) return undefined;
  }
  return { scores: scores.subarray(0, n), positives: positives.subarray(0, n), negatives: negatives.subarray(0, n) };
}

/** A merged point found again after a streamed merge: its score and the counts summed up to and including it. */
export interface MergedPoint {
  readonly score: number;
  readonly cumPositives: number;
  readonly cumNegatives: number;
}

/** What streamScoreCounts leaves behind: the merged list's length and a way back to a few of its points. */
export interface StreamedMerge {
  readonly length: number;
  /** The merged points at these indices (ascending), re-derived bucket by bucket from the parts. */
  pointsAt(indices: readonly number[]): MergedPoint[];
}

/**
 * The exact merge of mergeScoreCounts, emitted point by point instead of built: a split's
 * metrics then never hold the merged list (7M points, 168 MB, at 10M rows) beside its parts.
 * Only for parts whose counts are integers with exact sums (unweighted evaluation), where
 * every order of summing gives the same bits, so the counts cumulated from a bucket's start
 * are those cumulated from the list's start; anything else returns undefined before emitting.
 * Undefined after emitting (a +0/−0 tie, see exactTie) means the emitted points are void and
 * the caller merges with mergeScoreCounts instead.
 */
export function streamScoreCounts(parts: readonly ScoreCounts[], emit: ScoreEmit): StreamedMerge | undefined {
  let total = 0;
  let absSum = 0;
  parts.forEach((p, i) => {
    checkDescending(p, i);
    total += p.scores.length;
  });
  const live = parts.filter((p) => p.scores.length > 0);
  if (live.length < 2) return undefined;
  for (const p of live) {
    for (const a of [p.positives, p.negatives]) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i]!;
        if (!Number.isInteger(v)) return undefined;
        absSum += Math.abs(v);
      }
    }
  }
  if (absSum > EXACT_SUM) return undefined;

  const k = live.length;
  const split = splittersOf(live, total);
  const buckets = split.length + 1;
  // Per bucket: its first merged index, the counts before it and every part's position.
  const startIndex = new Float64Array(buckets);
  const startPos = new Float64Array(buckets);
  const startNeg = new Float64Array(buckets);
  const startAt = new Int32Array(buckets * k);
  const at = new Int32Array(k);
  const w = new Scratch();
  let n = 0;
  let cumPos = 0;
  let cumNeg = 0;
  const count: ScoreEmit = (x, sp, sq) => {
    n++;
    cumPos += sp;
    cumNeg += sq;
    emit(x, sp, sq);
  };
  for (let b = 0; b < buckets; b++) {
    startIndex[b] = n;
    startPos[b] = cumPos;
    startNeg[b] = cumNeg;
    startAt.set(at, b * k);
    const m = gatherBucket(w, live, at, b < split.length ? split[b]! : -Infinity);
    if (m > 0 && !foldBucket(w, m, count)) return undefined;
  }

  const pointsAt = (indices: readonly number[]): MergedPoint[] => {
    const out: MergedPoint[] = [];
    let b = 0;
    for (const index of indices) {
      if (!(index >= 0 && index < n)) throw new KindlingError('E_INTERNAL', `merged point ${index} of ${n}`);
      while (b + 1 < buckets && startIndex[b + 1]! <= index) b++;
      const from = b * k;
      const pos = Int32Array.from(startAt.subarray(from, from + k));
      const m = gatherBucket(w, live, pos, b < split.length ? split[b]! : -Infinity);
      let i = startIndex[b]!;
      let cp = startPos[b]!;
      let cn = startNeg[b]!;
      let found: MergedPoint | undefined;
      foldBucket(w, m, (x, sp, sq) => {
        if (found !== undefined) return;
        cp += sp;
        cn += sq;
        if (i++ === index) found = { score: x, cumPositives: cp, cumNegatives: cn };
      });
      out.push(found!);
    }
    return out;
  };
  return { length: n, pointsAt };
}

/**
 * Whether the tie [from, to) sums to the same bits in every order, as heapMerge's pop order:
 * two addends commute exactly; more do when every one is an integer and no partial sum can
 * pass 2^53. The tied scores must also all be +0 or all −0, since the heap keeps the first
 * popped's sign.
 */
function exactTie(w: Scratch, from: number, to: number): boolean {
  const s = w.s;
  if (s[from] === 0) {
    const neg = Object.is(s[from], -0);
    for (let i = from + 1; i < to; i++) if (Object.is(s[i], -0) !== neg) return false;
  }
  if (to - from === 2) return true;
  let absSum = 0;
  for (const a of [w.p, w.q]) {
    for (let i = from; i < to; i++) {
      const v = a[i]!;
      if (!Number.isInteger(v)) return false;
      absSum += Math.abs(v);
    }
  }
  return absSum <= EXACT_SUM;
}

/**
 * Sorts [from, to) of the scratch descending by score, counts alongside, stably. Interpolation:
 * a score's sub-bucket is ⌊(max − s)·n/(max − min)⌋, monotone in s in floating point too, so
 * sub-buckets come out in order and only their insides need sorting (a quantile bucket is near
 * uniform: ~1 score per sub-bucket).
 */
function sortRange(w: Scratch, from: number, to: number, depth: number): void {
  const n = to - from;
  if (n <= SMALL) {
    insertionSort(w, from, to);
    return;
  }
  const s = w.s;
  let hi = s[from]!;
  let lo = hi;
  for (let i = from + 1; i < to; i++) {
    const x = s[i]!;
    if (x > hi) hi = x;
    else if (x < lo) lo = x;
  }
  if (!(hi > lo)) return; // all equal: already in (stable) order
  const scale = n / (hi - lo);
  if (depth >= MAX_DEPTH || !(scale > 0 && scale < Infinity)) {
    mergeSort(w, from, to);
    return;
  }
  const counts = w.countsAt(depth, n);
  let most = 0;
  for (let i = from; i < to; i++) {
    const c = ++counts[Math.min(n - 1, ((hi - s[i]!) * scale) | 0)]!;
    if (c > most) most = c;
  }
  let sum = from;
  for (let d = 0; d < n; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  const { p, q, ts, tp, tq } = w;
  for (let i = from; i < to; i++) {
    const x = s[i]!;
    const o = counts[Math.min(n - 1, ((hi - x) * scale) | 0)]!++;
    ts[o] = x;
    tp[o] = p[i]!;
    tq[o] = q[i]!;
  }
  if (most <= SMALL) {
    // Sub-buckets are in order and small: insertion back from the copy moves a score only
    // within its sub-bucket (and saves a pass copying back first).
    s[from] = ts[from]!;
    p[from] = tp[from]!;
    q[from] = tq[from]!;
    for (let i = from + 1; i < to; i++) {
      const x = ts[i]!;
      let j = i - 1;
      while (j >= from && s[j]! < x) {
        s[j + 1] = s[j]!;
        p[j + 1] = p[j]!;
        q[j + 1] = q[j]!;
        j--;
      }
      s[j + 1] = x;
      p[j + 1] = tp[i]!;
      q[j + 1] = tq[i]!;
    }
    return;
  }
  for (let i = from; i < to; i++) {
    s[i] = ts[i]!;
    p[i] = tp[i]!;
    q[i] = tq[i]!;
  }
  // counts[d] is now the end of sub-bucket d.
  let start = from;
  for (let d = 0; d < n; d++) {
    const end = counts[d]!;
    if (end - start > 1) sortRange(w, start, end, depth + 1);
    start = end;
  }
}

/** Stable insertion sort, descending, of [from, to). */
function insertionSort(w: Scratch, from: number, to: number): void {
  const { s, p, q } = w;
  for (let i = from + 1; i < to; i++) {
    const x = s[i]!;
    if (!(x > s[i - 1]!)) continue;
    const xp = p[i]!;
    const xq = q[i]!;
    let j = i - 1;
    while (j >= from && s[j]! < x) {
      s[j + 1] = s[j]!;
      p[j + 1] = p[j]!;
      q[j + 1] = q[j]!;
      j--;
    }
    s[j + 1] = x;
    p[j + 1] = xp;
    q[j + 1] = xq;
  }
}

/** Stable merge sort, descending, of [from, to): the fallback for ranges interpolation cannot split. */
function mergeSort(w: Scratch, from: number, to: number): void {
  if (to - from <= SMALL) {
    insertionSort(w, from, to);
    return;
  }
  const mid = (from + to) >>> 1;
  mergeSort(w, from, mid);
  mergeSort(w, mid, to);
  const { s, p, q, ts, tp, tq } = w;
  if (!(s[mid]! > s[mid - 1]!)) return; // already in order
  let i = from;
  let j = mid;
  let o = from;
  while (i < mid && j < to) {
    // Left first on equal scores: stable.
    const take = s[j]! > s[i]! ? j++ : i++;
    ts[o] = s[take]!;
    tp[o] = p[take]!;
    tq[o] = q[take]!;
    o++;
  }
  for (; i < mid; i++, o++) {
    ts[o] = s[i]!;
    tp[o] = p[i]!;
    tq[o] = q[i]!;
  }
  for (; j < to; j++, o++) {
    ts[o] = s[j]!;
    tp[o] = p[j]!;
    tq[o] = q[j]!;
  }
  for (let x = from; x < to; x++) {
    s[x] = ts[x]!;
    p[x] = tp[x]!;
    q[x] = tq[x]!;
  }
}
