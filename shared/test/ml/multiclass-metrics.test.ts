import t, { type Test } from 'tap';
import { evaluateMulticlassBlock, mergeMulticlassEvaluations } from '../../src/kernels/index.js';
import { multiclassMetrics } from '../../src/ml/index.js';
import type { DesignBlock } from '../../src/columnar/index.js';

const near = (t: Test, actual: number, expected: number, what: string): void => {
  t.ok(Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs ${expected}`);
};

t.test('multiclass metrics: every figure against values computed by hand', async (t) => {
  // Rows = true label, columns = prediction.
  const confusion = [3, 1, 0, 1, 2, 1, 0, 0, 2];
  const m = multiclassMetrics({ count: 10, weightSum: 10, numClasses: 3, confusion, logLossSum: 4.2 });
  near(t, m.accuracy, 0.7, 'accuracy');
  near(t, m.hammingLoss, 0.3, 'hammingLoss');
  t.same(
    m.precisionByLabel.map((x) => +x.toFixed(12)),
    [0.75, +(2 / 3).toFixed(12), +(2 / 3).toFixed(12)],
  );
  t.same(m.recallByLabel, [0.75, 0.5, 1]);
  near(t, m.f1ByLabel[1]!, 4 / 7, 'f1 of label 1');
  near(t, m.f1ByLabel[2]!, 0.8, 'f1 of label 2');
  near(t, m.weightedPrecision, 0.4 * 0.75 + 0.4 * (2 / 3) + 0.2 * (2 / 3), 'weightedPrecision');
  near(t, m.weightedRecall, 0.7, 'weightedRecall (equals accuracy)');
  near(t, m.weightedTruePositiveRate, 0.7, 'weightedTruePositiveRate');
  near(t, m.f1, 0.4 * 0.75 + 0.4 * (4 / 7) + 0.2 * 0.8, 'f1 (weighted F-measure)');
  t.same(m.falsePositiveRateByLabel, [1 / 6, 1 / 6, 1 / 8]);
  near(t, m.weightedFalsePositiveRate, 0.4 / 6 + 0.4 / 6 + 0.2 / 8, 'weightedFalsePositiveRate');
  near(t, m.logLoss, 0.42, 'logLoss');
  t.same(m.confusionMatrix, [
    [3, 1, 0],
    [1, 2, 1],
    [0, 0, 2],
  ]);
});

t.test('multiclass metrics: a label never predicted has precision 0; a label never seen has no share', async (t) => {
  const m = multiclassMetrics({ count: 4, weightSum: 4, numClasses: 3, confusion: [2, 0, 0, 2, 0, 0, 0, 0, 0], logLossSum: 1 });
  t.same(m.precisionByLabel, [0.5, 0, 0]);
  t.same(m.recallByLabel, [1, 0, 0]);
  near(t, m.weightedPrecision, 0.5 * 0.5, 'weightedPrecision over labels 0 and 1 only');
  t.throws(() => multiclassMetrics({ count: 1, weightSum: 1, numClasses: 3, confusion: [1], logLossSum: 0 }), { code: 'E_INTERNAL' });
});

function block(label: number[], weight?: number[]): DesignBlock {
  const n = label.length;
  return {
    numRows: n,
    rowIds: Float64Array.from(label, (_, i) => i),
    label: Float64Array.from(label),
    numeric: Float64Array.from(label, (_, i) => i),
    numNumeric: 1,
    categorical: new Int32Array(0),
    numCategorical: 0,
    ...(weight ? { weight: Float64Array.from(weight) } : {}),
  };
}

t.test('evaluate multiclass: probabilities, argmax, confusion and log loss on a small block', async (t) => {
  // Zero coefficients, intercepts [0, ln 2, 0]: p = [1/4, 1/2, 1/4] on every row, prediction 1.
  const beta = new Float64Array(3);
  const intercepts = Float64Array.of(0, Math.LN2, 0);
  const e = evaluateMulticlassBlock(block([0, 1, 2, 1]), [0], beta, intercepts, true);
  t.same([...e.confusion], [0, 1, 0, 0, 2, 0, 0, 1, 0]);
  near(t, e.logLossSum, 6 * Math.LN2, 'log-loss sum');
  t.same([...e.predictions!.prediction], [1, 1, 1, 1]);
  near(t, e.predictions!.probability[0]!, 0.25, 'p_0');
  near(t, e.predictions!.probability[1]!, 0.5, 'p_1');
  const m = multiclassMetrics(mergeMulticlassEvaluations([e]));
  near(t, m.accuracy, 0.5, 'accuracy');
  near(t, m.logLoss, 1.5 * Math.LN2, 'logLoss');

  const w = evaluateMulticlassBlock(block([0, 1, 2, 1], [1, 2, 0, 1]), [0], beta, intercepts, false);
  t.same([...w.confusion], [0, 1, 0, 0, 3, 0, 0, 0, 0], 'weights are summed, weight 0 counts for nothing');
  const wm = multiclassMetrics(w);
  near(t, wm.accuracy, 0.75, 'weighted accuracy');
  near(t, wm.logLoss, (5 * Math.LN2) / 4, 'weighted logLoss');
  t.equal(w.predictions, undefined, 'no predictions unless asked');

  const tie = evaluateMulticlassBlock(block([2]), [0], beta, new Float64Array(3), true);
  t.same([...tie.predictions!.prediction], [0], 'a tie goes to the first class, as Spark’s argmax');
});
