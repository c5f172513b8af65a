/**
 * The bucket merge against the k-way heap merge it replaced on the hot path: the same bits on
 * every kind of input (many buckets, heavy ties across parts, skewed and sorted partitions,
 * infinities, integer weights), and the hand-over to the heap where a partition-order sum could
 * round otherwise (fractional weights tied across three or more parts, +0 tied with −0).
 */
import t from 'tap';
import { bucketMerge, heapMerge, mergeScoreCounts, streamScoreCounts, type ScoreCounts } from '../../src/ml/score-merge.js';

const bits = (a: Float64Array | Uint8Array | Uint16Array | Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: ScoreCounts, b: ScoreCounts): boolean =>
  bits(a.scores).equals(bits(b.scores)) && bits(a.positives).equals(bits(b.positives)) && bits(a.negatives).equals(bits(b.negatives));

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** A part from (score, weight-or-label) draws: distinct scores descending, counts summed per score. */
function partOf(draws: [number, number, number][]): ScoreCounts {
  const by = new Map<number, [number, number]>();
  for (const [s, p, q] of draws) {
    const c = by.get(s) ?? [0, 0];
    c[0] += p;
    c[1] += q;
    by.set(s, c);
  }
  const scores = [...by.keys()].sort((a, b) => b - a);
  return {
    scores: Float64Array.from(scores),
    positives: Float64Array.from(scores, (s) => by.get(s)![0]),
    negatives: Float64Array.from(scores, (s) => by.get(s)![1]),
  };
}

const total = (parts: ScoreCounts[]): number => parts.reduce((a, p) => a + p.scores.length, 0);

t.test('score-merge: the bucket merge gives the heap merge bits on every shape of input', async (t) => {
  const rand = seeded(2018);
  const label = (): [number, number] => (rand() < 0.4 ? [1, 0] : [0, 1]);
  const shapes: [string, number, number, (p: number) => number][] = [
    ['continuous margins', 40, 3000, () => rand() * 8 - 4],
    ['coarse scores tied across parts', 64, 2000, () => Math.round(rand() * 400) / 16],
    ['very few distinct scores', 9, 5000, () => Math.floor(rand() * 5)],
    ['probabilities near 0 and 1', 30, 4000, () => 1 - 1 / (1 + Math.exp(rand() * 40 - 20))],
    // Partitions of a file sorted by the score: each part holds its own range.
    ['each part its own range', 50, 1500, (p) => p * 10 + rand()],
    ['outliers and infinities', 20, 5000, () => (rand() < 0.01 ? (rand() < 0.5 ? Infinity : -Infinity) : rand() < 0.01 ? 1e300 : rand())],
    ['wide exponents', 20, 4000, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20)],
  ];
  for (const [name, k, rows, draw] of shapes) {
    const parts = Array.from({ length: k }, (_, p) =>
      partOf(Array.from({ length: Math.floor(rows * (0.5 + rand())) }, () => [draw(p) + 0, ...label()] as [number, number, number])),
    );
    parts.splice(3, 0, partOf([])); // an empty partition
    const live = parts.filter((p) => p.scores.length > 0);
    const fast = bucketMerge(live, total(live));
    t.ok(fast !== undefined, `${name}: integer counts never hand over to the heap`);
    const heap = heapMerge(live, total(live));
    t.ok(sameBits(fast!, heap), `${name}: ${heap.scores.length} merged scores, same bits`);
    t.ok(sameBits(mergeScoreCounts(parts), heap), `${name}: mergeScoreCounts`);
  }
});

t.test('score-merge: integer weights tied across many parts stay on the bucket merge, with the same bits', async (t) => {
  const rand = seeded(7);
  const parts = Array.from({ length: 30 }, () =>
    partOf(
      Array.from(
        { length: 2000 },
        () => [Math.round(rand() * 100) / 4, Math.floor(rand() * 5), Math.floor(rand() * 3)] as [number, number, number],
      ),
    ),
  );
  const fast = bucketMerge(parts, total(parts));
  t.ok(fast !== undefined);
  t.ok(sameBits(fast!, heapMerge(parts, total(parts))));
});

t.test('score-merge: fractional weights tied across three or more parts keep the heap order of summing', async (t) => {
  // Find draws where summing a tie in partition order rounds otherwise than the heap's pop order,
  // so this test can tell the two apart.
  const rand = seeded(11);
  let differs = false;
  for (let attempt = 0; attempt < 200 && !differs; attempt++) {
    const parts = Array.from({ length: 9 }, () =>
      partOf(Array.from({ length: 400 }, () => [Math.floor(rand() * 50), rand() * 3, rand() * 0.7] as [number, number, number])),
    );
    const heap = heapMerge(parts, total(parts));
    t.equal(bucketMerge(parts, total(parts)), undefined, 'the bucket merge hands over');
    t.ok(sameBits(mergeScoreCounts(parts), heap), 'mergeScoreCounts gives the heap bits');
    // The partition-order sums, as the bucket merge would have made them.
    const inOrder = new Map<number, number>();
    for (const p of parts) p.scores.forEach((s, i) => inOrder.set(s, (inOrder.get(s) ?? 0) + p.positives[i]!));
    differs = [...heap.scores].some((s, i) => !Object.is(inOrder.get(s), heap.positives[i]));
  }
  t.ok(differs, 'partition order and heap order round differently on some tie');
});

t.test('score-merge: +0 tied with −0 across parts hands over to the heap', async (t) => {
  const a = { scores: Float64Array.of(1, 0), positives: Float64Array.of(1, 1), negatives: Float64Array.of(0, 0) };
  const b = { scores: Float64Array.of(-0, -1), positives: Float64Array.of(0, 1), negatives: Float64Array.of(1, 0) };
  t.equal(bucketMerge([a, b], 4), undefined);
  t.ok(sameBits(mergeScoreCounts([a, b]), heapMerge([a, b], 4)));
});

t.test('score-merge: the streamed merge emits the merged list and finds any of its points again', async (t) => {
  const rand = seeded(99);
  const label = (): [number, number] => (rand() < 0.4 ? [1, 0] : [0, 1]);
  const shapes: [string, number, number, () => number][] = [
    ['continuous margins', 40, 3000, () => rand() * 8 - 4],
    ['coarse scores tied across parts', 64, 2000, () => Math.round(rand() * 400) / 16],
    ['very few distinct scores', 9, 5000, () => Math.floor(rand() * 5)],
  ];
  for (const [name, k, rows, score] of shapes) {
    const parts = Array.from({ length: k }, () =>
      partOf(Array.from({ length: rows }, () => [score(), ...label()] as [number, number, number])),
    );
    const ref = mergeScoreCounts(parts);
    const got: number[][] = [[], [], []];
    const streamed = streamScoreCounts(parts, (s, p, q) => {
      got[0]!.push(s);
      got[1]!.push(p);
      got[2]!.push(q);
    });
    if (streamed === undefined) {
      t.fail(`${name}: integer counts should stream`);
      continue;
    }
    t.ok(
      sameBits({ scores: Float64Array.from(got[0]!), positives: Float64Array.from(got[1]!), negatives: Float64Array.from(got[2]!) }, ref),
      `${name}: emitted points`,
    );
    t.equal(streamed.length, ref.scores.length);
    const at = [0, 1, Math.floor(ref.scores.length / 3), ref.scores.length - 2, ref.scores.length - 1];
    const points = streamed.pointsAt(at);
    at.forEach((i, j) => {
      let cp = 0;
      let cn = 0;
      for (let r = 0; r <= i; r++) {
        cp += ref.positives[r]!;
        cn += ref.negatives[r]!;
      }
      t.same(points[j], { score: ref.scores[i], cumPositives: cp, cumNegatives: cn }, `${name}: point ${i}`);
    });
  }
  const fractional = [partOf([[1, 0.5, 0]]), partOf([[2, 0, 0.25]])];
  let emitted = 0;
  t.equal(
    streamScoreCounts(fractional, () => emitted++),
    undefined,
    'fractional counts are not streamed',
  );
  t.equal(emitted, 0, 'and nothing was emitted');
});
