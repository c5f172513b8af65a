import t from 'tap';
import { renderMetricsTable } from '../src/metrics-table.js';

t.test('metrics-table: aligns names left and values right, with fixed decimals', async (t) => {
  const table = renderMetricsTable({
    train: { areaUnderROC: 0.8849092421146739, accuracy: 0.8, count: 7764 },
    test: { areaUnderROC: 0.8858324614449619, accuracy: 0.7978222483814008, count: 3398 },
  });
  t.equal(
    table,
    [
      'metric           train      test',
      '------------  --------  --------',
      'areaUnderROC  0.884909  0.885832',
      'accuracy      0.800000  0.797822',
      'count             7764      3398',
    ].join('\n'),
  );
});

t.test('metrics-table: follows the requested rows and marks a missing side', async (t) => {
  const table = renderMetricsTable(
    { train: { f1: 0.5, logLoss: 0.4422268822318762, roc: [{ x: 0, y: 0 }] }, test: { logLoss: 0.45, extra: 1 } },
    { rows: ['logLoss', 'f1', 'areaUnderPR'], digits: 3 },
  );
  t.equal(table, ['metric   train   test', '-------  -----  -----', 'logLoss  0.442  0.450', 'f1       0.500      -'].join('\n'));
});

t.test('metrics-table: skips non-number fields and shows NaN as such', async (t) => {
  const table = renderMetricsTable({
    train: { precision: Number.NaN, confusion: { tp: 1 }, roc: [] },
    test: { precision: 0.25 },
  });
  t.equal(table, ['metric     train      test', '---------  -----  --------', 'precision    NaN  0.250000'].join('\n'));
});

t.test('metrics-table: multiclass metrics get one row per label and the test confusion matrix', async (t) => {
  const side = (accuracy: number, cm: number[][]) => ({
    accuracy,
    hammingLoss: 1 - accuracy,
    precisionByLabel: [1, 0.5],
    confusionMatrix: cm,
  });
  const table = renderMetricsTable(
    {
      train: side(0.75, [
        [2, 0],
        [1, 1],
      ]),
      test: side(0.5, [
        [10, 2],
        [8, 0],
      ]),
    },
    { rows: ['accuracy', 'hammingLoss', 'areaUnderROC'], digits: 2 },
  );
  t.equal(
    table,
    [
      'metric               train  test',
      '-------------------  -----  ----',
      'accuracy              0.75  0.50',
      'hammingLoss           0.25  0.50',
      'precisionByLabel[0]      1     1',
      'precisionByLabel[1]   0.50  0.50',
      '',
      'test confusion matrix (rows = label, columns = prediction):',
      'label\\pred   0   1',
      '0           10   2',
      '1            8   0',
    ].join('\n'),
  );
});
