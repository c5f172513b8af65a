import t from 'tap';
import { binaryClassificationMetrics, binScoreCounts, MAX_PLOT_POINTS, mergeScoreCounts } from '../../src/ml/index.js';
import type { EvaluatePartial } from '../../src/tasks.js';

/** A partial from (score, label) pairs, with confusion counts given directly. */
function partialOf(points: [number, number][], confusion = { tp: 0, fp: 0, tn: 0, fn: 0 }, logLossSum = 0): EvaluatePartial {
  const byScore = new Map<number, [number, number]>();
  for (const [s, y] of points) {
    const c = byScore.get(s) ?? [0, 0];
    c[y === 1 ? 0 : 1]++;
    byScore.set(s, c);
  }
  const scores = [...byScore.keys()].sort((a, b) => b - a);
  return {
    count: points.length,
    scores: Float64Array.from(scores),
    positives: Float64Array.from(scores.map((s) => byScore.get(s)![0])),
    negatives: Float64Array.from(scores.map((s) => byScore.get(s)![1])),
    ...confusion,
    logLossSum,
  };
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12;

// Six points: positives at 0.9, 0.7, 0.6; negatives at 0.8, 0.5, 0.4 (split over two partitions).
const A = partialOf(
  [
    [0.9, 1],
    [0.7, 1],
    [0.5, 0],
  ],
  { tp: 2, fp: 0, tn: 1, fn: 0 },
  1.5,
);
const B = partialOf(
  [
    [0.8, 0],
    [0.6, 1],
    [0.4, 0],
  ],
  { tp: 1, fp: 1, tn: 1, fn: 0 },
  2.1,
);

t.test('binary-metrics: exact areas equal the values computed by hand', async (t) => {
  const m = binaryClassificationMetrics([A, B], { numBins: 0 });
  // ROC: 7 of the 9 positive/negative pairs are ordered correctly.
  t.ok(close(m.areaUnderROC, 7 / 9), `AUC ${m.areaUnderROC}`);
  // PR: (0,1) (1/3,1) (1/3,1/2) (2/3,2/3) (1,3/4) (1,3/5) (1,1/2) → 1/3 + 7/36 + 17/72 = 55/72.
  t.ok(close(m.areaUnderPR, 55 / 72), `PR area ${m.areaUnderPR}`);
  t.equal(m.curvePoints, 6);
  t.same(
    m.roc.map((p) => [p.fpr, p.tpr]),
    [
      [0, 0],
      [0, 1 / 3],
      [1 / 3, 1 / 3],
      [1 / 3, 2 / 3],
      [1 / 3, 1],
      [2 / 3, 1],
      [1, 1],
      [1, 1],
    ],
  );
  t.same(
    m.pr.map((p) => [p.recall, p.precision]),
    [
      [0, 1],
      [1 / 3, 1],
      [1 / 3, 1 / 2],
      [2 / 3, 2 / 3],
      [1, 3 / 4],
      [1, 3 / 5],
      [1, 1 / 2],
    ],
  );
});

t.test('binary-metrics: binned areas follow Spark grouping of ⌊#scores / numBins⌋ scores', async (t) => {
  // numBins 3 → runs of 2: {0.9,0.8} {0.7,0.6} {0.5,0.4}; cumulative (FP, TP) = (1,1) (1,3) (3,3).
  const three = binaryClassificationMetrics([A, B], { numBins: 3 });
  t.equal(three.curvePoints, 3);
  t.ok(close(three.areaUnderROC, 13 / 18), `AUC ${three.areaUnderROC}`);
  // PR: (0,1/2) (1/3,1/2) (1,3/4) (1,1/2) → 1/6 + 5/12 = 7/12.
  t.ok(close(three.areaUnderPR, 7 / 12), `PR area ${three.areaUnderPR}`);
  // numBins 4 → grouping 1 < 2: no binning.
  const four = binaryClassificationMetrics([A, B], { numBins: 4 });
  t.equal(four.areaUnderROC, binaryClassificationMetrics([A, B], { numBins: 0 }).areaUnderROC);
  // numBins 4 on 9 scores → runs of 2, the last run holds one score (score = its own).
  const nine = mergeScoreCounts([partialOf([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1].map((s, i) => [s, i % 2]))]);
  const binned = binScoreCounts(nine, 4);
  t.same([...binned.scores], [0.8, 0.6, 0.4, 0.2, 0.1]);
  t.same([...binned.positives], [1, 1, 1, 1, 0]);
  t.same([...binned.negatives], [1, 1, 1, 1, 1]);
  t.throws(() => binScoreCounts(nine, -1), { code: 'E_INTERNAL' });
});

t.test('binary-metrics: threshold metrics follow Spark MulticlassMetrics definitions', async (t) => {
  const m = binaryClassificationMetrics([A, B], { numBins: 0 });
  t.same(m.confusion, { tp: 3, fp: 1, tn: 2, fn: 0 });
  t.equal(m.count, 6);
  t.equal(m.positives, 3);
  t.equal(m.negatives, 3);
  t.ok(close(m.accuracy, 5 / 6));
  t.ok(close(m.precision, 3 / 4));
  t.ok(close(m.recall, 1));
  t.ok(close(m.f1, 6 / 7));
  // Class 0: precision 2/2, recall 2/3, F 4/5; each class weighs 1/2.
  t.ok(close(m.weightedPrecision, 7 / 8), `${m.weightedPrecision}`);
  t.ok(close(m.weightedRecall, 5 / 6));
  t.ok(close(m.weightedF1, 29 / 35), `${m.weightedF1}`);
  t.ok(close(m.logLoss, 3.6 / 6));
});

t.test('binary-metrics: merging distinct-score lists sums counts of equal scores exactly', async (t) => {
  const parts = [
    partialOf([
      [3, 1],
      [2, 0],
      [2, 1],
      [-1, 0],
    ]),
    partialOf([]),
    partialOf([
      [5, 0],
      [2, 1],
      [0.5, 1],
      [-1, 1],
    ]),
    partialOf([
      [2, 0],
      [1, 1],
    ]),
  ];
  const merged = mergeScoreCounts(parts);
  t.same([...merged.scores], [5, 3, 2, 1, 0.5, -1]);
  t.same([...merged.positives], [0, 1, 2, 1, 1, 1]);
  t.same([...merged.negatives], [1, 0, 2, 0, 0, 1]);
  const unsorted = {
    ...partialOf([[1, 1]]),
    scores: Float64Array.of(1, 2),
    positives: Float64Array.of(1, 1),
    negatives: Float64Array.of(0, 0),
  };
  t.throws(() => mergeScoreCounts([unsorted]), { code: 'E_INTERNAL', message: /not strictly descending/ });
});

t.test('binary-metrics: exact AUC equals the Mann-Whitney statistic with ties counted half', async (t) => {
  let seed = 9;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const points: [number, number][] = Array.from({ length: 3000 }, () => {
    const y = rand() < 0.4 ? 1 : 0;
    return [Math.round((rand() + y * 0.4) * 50) / 50, y];
  });
  const parts = [points.slice(0, 1000), points.slice(1000, 1001), points.slice(1001)].map((p) => partialOf(p));
  const m = binaryClassificationMetrics(parts, { numBins: 0 });
  const pos = points.filter(([, y]) => y === 1).map(([s]) => s);
  const neg = points.filter(([, y]) => y === 0).map(([s]) => s);
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  t.ok(Math.abs(m.areaUnderROC - wins / (pos.length * neg.length)) < 1e-12, `${m.areaUnderROC} vs ${wins / (pos.length * neg.length)}`);
});

t.test('binary-metrics: plotted curves keep at most 200 points, ends included', async (t) => {
  const points: [number, number][] = Array.from({ length: 5000 }, (_, i) => [i / 5000, i % 3 === 0 ? 1 : 0]);
  const m = binaryClassificationMetrics([partialOf(points)], { numBins: 0 });
  t.equal(m.curvePoints, 5000);
  t.equal(m.roc.length, MAX_PLOT_POINTS);
  t.equal(m.pr.length, MAX_PLOT_POINTS);
  t.same(m.roc[0], { fpr: 0, tpr: 0 });
  t.same(m.roc[MAX_PLOT_POINTS - 1], { fpr: 1, tpr: 1 });
  t.equal(m.pr[0]!.recall, 0);
  t.equal(m.pr[MAX_PLOT_POINTS - 1]!.recall, 1);
  const binned = binaryClassificationMetrics([partialOf(points)], { numBins: 1000 });
  t.equal(binned.curvePoints, 1000);
});

t.test('binary-metrics: a split with one class or no rows gives defined figures', async (t) => {
  const onlyPos = binaryClassificationMetrics(
    [
      partialOf(
        [
          [0.9, 1],
          [0.2, 1],
        ],
        { tp: 1, fp: 0, tn: 0, fn: 1 },
      ),
    ],
    { numBins: 0 },
  );
  t.equal(onlyPos.areaUnderROC, 1, 'FPR is 0 without negatives: (0,0) (0,.5) (0,1) (1,1)');
  t.equal(onlyPos.accuracy, 0.5);
  t.equal(onlyPos.weightedPrecision, 1);
  const empty = binaryClassificationMetrics([], { numBins: 0 });
  t.equal(empty.count, 0);
  t.ok(Number.isNaN(empty.areaUnderPR) && Number.isNaN(empty.accuracy) && Number.isNaN(empty.logLoss));
});

/** The curve computation as it was before the one-pass rewrite: three passes over arrays. */
function referenceCurves(all: [number, number][], numBins: number) {
  const merged = partialOf(all);
  const points = binScoreCounts(merged, numBins);
  const n = points.scores.length;
  let totalPos = 0;
  let totalNeg = 0;
  for (let i = 0; i < n; i++) {
    totalPos += points.positives[i]!;
    totalNeg += points.negatives[i]!;
  }
  const fpr: number[] = [];
  const tpr: number[] = [];
  const prec: number[] = [];
  let cumPos = 0;
  let cumNeg = 0;
  for (let i = 0; i < n; i++) {
    cumPos += points.positives[i]!;
    cumNeg += points.negatives[i]!;
    fpr.push(totalNeg === 0 ? 0 : cumNeg / totalNeg);
    tpr.push(totalPos === 0 ? 0 : cumPos / totalPos);
    prec.push(cumPos + cumNeg === 0 ? 1 : cumPos / (cumPos + cumNeg));
  }
  const trap = (x1: number, y1: number, x2: number, y2: number): number => ((x2 - x1) * (y1 + y2)) / 2.0;
  let roc = 0;
  for (let i = 0; i < n; i++) roc += trap(i === 0 ? 0 : fpr[i - 1]!, i === 0 ? 0 : tpr[i - 1]!, fpr[i]!, tpr[i]!);
  roc += trap(n === 0 ? 0 : fpr[n - 1]!, n === 0 ? 0 : tpr[n - 1]!, 1, 1);
  let pr = 0;
  for (let i = 1; i < n; i++) pr += trap(tpr[i - 1]!, prec[i - 1]!, tpr[i]!, prec[i]!);
  pr += trap(0, prec[0]!, tpr[0]!, prec[0]!);
  return { merged, roc, pr, fpr, tpr, prec };
}

t.test('binary-metrics: the k-way merge and one-pass curves give the former bits on many parts with ties', async (t) => {
  let seed = 2018;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (const [partsCount, rows] of [
    [1, 500],
    [7, 3000],
    [64, 20000],
  ] as const) {
    const all: [number, number][] = [];
    const parts: EvaluatePartial[] = [];
    for (let p = 0; p < partsCount; p++) {
      // Coarse scores tie within and across parts; -0 and 0 would be one score (evaluate adds + 0).
      const pts: [number, number][] = Array.from({ length: Math.ceil(rows / partsCount) }, () => [
        rand() < 0.3 ? Math.round(rand() * 40) / 8 : rand() * 6 - 3,
        rand() < 0.45 ? 1 : 0,
      ]);
      all.push(...pts);
      parts.push(partialOf(pts));
    }
    const ref = referenceCurves(all, 0);
    const merged = mergeScoreCounts(parts);
    t.same([...merged.scores], [...ref.merged.scores], `${partsCount} parts: scores`);
    t.same([...merged.positives], [...ref.merged.positives], `${partsCount} parts: positive counts`);
    t.same([...merged.negatives], [...ref.merged.negatives], `${partsCount} parts: negative counts`);
    const m = binaryClassificationMetrics(parts, { numBins: 0 });
    t.equal(m.areaUnderROC, ref.roc, `${partsCount} parts: ROC area bit for bit`);
    t.equal(m.areaUnderPR, ref.pr, `${partsCount} parts: PR area bit for bit`);
    const n = ref.fpr.length;
    const rocIdx =
      n + 2 <= MAX_PLOT_POINTS
        ? [...Array(n + 2).keys()]
        : Array.from({ length: MAX_PLOT_POINTS }, (_, i) => Math.round((i * (n + 1)) / (MAX_PLOT_POINTS - 1)));
    t.same(
      m.roc,
      rocIdx.map((i) =>
        i === 0
          ? { fpr: 0, tpr: 0 }
          : i === n + 1
            ? { fpr: 1, tpr: 1 }
            : { fpr: ref.fpr[i - 1], tpr: ref.tpr[i - 1], threshold: ref.merged.scores[i - 1] },
      ),
      `${partsCount} parts: thinned ROC points`,
    );
    const prIdx =
      n + 1 <= MAX_PLOT_POINTS
        ? [...Array(n + 1).keys()]
        : Array.from({ length: MAX_PLOT_POINTS }, (_, i) => Math.round((i * n) / (MAX_PLOT_POINTS - 1)));
    t.same(
      m.pr,
      prIdx.map((i) =>
        i === 0
          ? { recall: 0, precision: ref.prec[0] }
          : { recall: ref.tpr[i - 1], precision: ref.prec[i - 1], threshold: ref.merged.scores[i - 1] },
      ),
      `${partsCount} parts: thinned PR points`,
    );
    const binned = binaryClassificationMetrics(parts, { numBins: 100 });
    const refBinned = referenceCurves(all, 100);
    t.equal(binned.areaUnderROC, refBinned.roc, `${partsCount} parts: binned ROC area bit for bit`);
    t.equal(binned.areaUnderPR, refBinned.pr, `${partsCount} parts: binned PR area bit for bit`);
  }
});

t.test('binary-metrics: the merge streamed into the curve sums gives the metrics and curves of the built merged list', async (t) => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const partsOf = (partsCount: number, rows: number, score: () => number): EvaluatePartial[] =>
    Array.from({ length: partsCount }, () =>
      partialOf(Array.from({ length: Math.ceil(rows / partsCount) }, () => [score(), rand() < 0.4 ? 1 : 0] as [number, number])),
    );
  const weighted = (parts: EvaluatePartial[]): EvaluatePartial[] =>
    parts.map((p) => ({
      ...p,
      positives: p.positives.map((v) => v * 0.3),
      negatives: p.negatives.map((v) => v * 0.7),
      weightSum: p.count,
    }));
  const zeros = [0, -0, 0].map((z) => ({
    ...partialOf([[1, 1]]),
    scores: Float64Array.of(1, z),
    positives: Float64Array.of(1, 1),
    negatives: Float64Array.of(0, 1),
  }));
  const cases: [string, EvaluatePartial[]][] = [
    ['distinct scores, 50 parts, many buckets', partsOf(50, 60000, () => rand() * 8 - 4)],
    ['coarse scores tied across parts', partsOf(30, 40000, () => Math.round(rand() * 4000) / 100)],
    ['one part', partsOf(1, 5000, () => rand())],
    ['fractional (weighted) counts: not streamed', weighted(partsOf(12, 20000, () => Math.round(rand() * 300) / 10))],
    ['+0 tied with -0 across parts: streamed, then built', zeros],
    ['fewer points than the plot keeps', partsOf(4, 60, () => Math.round(rand() * 20))],
  ];
  for (const [name, parts] of cases) {
    const streamed = binaryClassificationMetrics(parts, { numBins: 0 });
    const built = binaryClassificationMetrics(parts, { numBins: 0, stream: false });
    t.same(streamed, built, name);
    t.ok(
      Object.is(streamed.areaUnderROC, built.areaUnderROC) && Object.is(streamed.areaUnderPR, built.areaUnderPR),
      `${name}: areas bit for bit`,
    );
    t.ok(streamed.roc.length <= MAX_PLOT_POINTS && streamed.pr.length <= MAX_PLOT_POINTS, `${name}: thinned`);
  }
});
