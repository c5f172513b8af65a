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
