import t from 'tap';
import { buildFeatureLayout, oneHotSize, placeFeatureInputs, type FeatureInputDraft } from '../../src/ml/index.js';
import type { FeatureInput } from '../../src/tasks.js';

t.test('feature-layout: one-hot sizes follow Spark (n − 1 with dropLast, n without, +1 with keep)', async (t) => {
  t.equal(oneHotSize(12, true, 'error'), 11);
  t.equal(oneHotSize(12, true, 'skip'), 11);
  t.equal(oneHotSize(12, false, 'error'), 12);
  t.equal(oneHotSize(12, true, 'keep'), 12);
  t.equal(oneHotSize(12, false, 'keep'), 13);
  t.equal(oneHotSize(1, true, 'error'), 0);
  t.equal(oneHotSize(0, true, 'error'), 0);
});

t.test('feature-layout: the bank pipeline gives 30 named slots, numeric inputs last', async (t) => {
  const cats: [string, string[]][] = [
    [
      'job',
      'management blue-collar technician admin. services retired self-employed student unemployed entrepreneur housemaid unknown'.split(
        ' ',
      ),
    ],
    ['marital', ['married', 'single', 'divorced']],
    ['education', ['secondary', 'tertiary', 'primary', 'unknown']],
    ['default', ['no', 'yes']],
    ['housing', ['no', 'yes']],
    ['loan', ['no', 'yes']],
    ['contact', ['cellular', 'unknown', 'telephone']],
    ['poutcome', ['unknown', 'failure', 'success', 'other']],
  ];
  const drafts: FeatureInputDraft[] = [
    ...cats.map(([name, labels], i): FeatureInputDraft => ({
      kind: 'onehot',
      column: i,
      name,
      labels,
      handleInvalid: 'error',
      dropLast: true,
    })),
    ...['age', 'balance', 'duration', 'campaign', 'pdays', 'previous'].map((name, i): FeatureInputDraft => ({
      kind: 'numeric',
      column: 10 + i,
      name,
    })),
  ];
  const { features, numFeatures } = placeFeatureInputs(drafts);
  const layout = buildFeatureLayout(features);
  t.equal(numFeatures, 30);
  t.equal(layout.numFeatures, 30);
  t.same(layout.numericIndex, [24, 25, 26, 27, 28, 29]);
  t.same(layout.names.slice(0, 12), [
    'job_management',
    'job_blue-collar',
    'job_technician',
    'job_admin.',
    'job_services',
    'job_retired',
    'job_self-employed',
    'job_student',
    'job_unemployed',
    'job_entrepreneur',
    'job_housemaid',
    'marital_married',
  ]);
  t.same(layout.names.slice(21), [
    'poutcome_unknown',
    'poutcome_failure',
    'poutcome_success',
    'age',
    'balance',
    'duration',
    'campaign',
    'pdays',
    'previous',
  ]);
  t.same(features.map((f) => (f.kind === 'onehot' ? [f.offset, f.size] : null)).slice(0, 8), [
    [0, 11],
    [11, 2],
    [13, 3],
    [16, 1],
    [17, 1],
    [18, 1],
    [19, 2],
    [21, 3],
  ]);
});

t.test('feature-layout: handleInvalid keep adds the __unknown slot unless dropLast removes it', async (t) => {
  const layout = (dropLast: boolean) =>
    buildFeatureLayout(
      placeFeatureInputs([
        { kind: 'numeric', column: 0, name: 'age' },
        { kind: 'onehot', column: 1, name: 'c', labels: ['a', 'b'], handleInvalid: 'keep', dropLast },
      ]).features,
    );
  t.same(layout(false).names, ['age', 'c_a', 'c_b', 'c___unknown']);
  t.same(layout(true).names, ['age', 'c_a', 'c_b']);
  t.same(layout(false).numericIndex, [0]);
});

t.test('feature-layout: inputs whose offset or size does not fit are rejected', async (t) => {
  const bad: FeatureInput[] = [
    { kind: 'numeric', column: 0, name: 'age' },
    { kind: 'onehot', column: 1, name: 'c', labels: ['a', 'b'], handleInvalid: 'error', dropLast: true, offset: 0, size: 1 },
  ];
  t.throws(() => buildFeatureLayout(bad), { code: 'E_INTERNAL', message: /'c' has offset 0/ });
});
