/**
 * pipeline.weight end to end on bank.csv with an added weight column: weight 1 everywhere
 * gives the same bits as no weight column (binomial and multinomial), real weights change the
 * fit, and a negative, NaN or missing weight is a clear error naming the record and column.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseJobSpec, type JobSpec } from '@kindling/coordinator';
import { bankCsv } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const dir = mkdtempSync(join(tmpdir(), 'kindling-weights-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const bank = readFileSync(bankCsv, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
/** bank.csv plus a column `w` whose value for data record i (1-based) is weightOf(i). */
function withWeights(name: string, weightOf: (i: number) => string): string {
  const file = join(dir, name);
  writeFileSync(file, [`${bank[0]},w`, ...bank.slice(1).map((l, i) => `${l},${weightOf(i + 1)}`)].join('\n') + '\n');
  return file;
}

function job(file: string, out: string, pipeline: object = {}, model: object = {}): JobSpec {
  return parseJobSpec(
    {
      input: { path: file, partitions: 3 },
      pipeline: { label: 'deposit', drop: ['contact', 'day', 'month', 'default'], ...pipeline },
      split: { seed: 2018 },
      model: { maxIter: 10, ...model },
      output: { path: join(dir, out) },
    },
    dir,
  );
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

t.test('weights: weight 1 everywhere gives the same bits as no weight column', async (t) => {
  const ones = withWeights('ones.csv', () => '1');
  for (const [family, label] of [
    ['binomial', 'deposit'],
    ['multinomial', 'marital'],
  ] as const) {
    const plain = await runLocal(job(ones, `plain-${family}`, { label, drop: ['contact', 'day', 'month', 'default', 'w'] }), 2);
    const weighted = await runLocal(job(ones, `weighted-${family}`, { label, weight: 'w' }), 2);
    t.equal(bits(weighted.coefficients), bits(plain.coefficients), `${family}: coefficients bit-identical`);
    t.same(weighted.objectiveHistory, plain.objectiveHistory, `${family}: objective history`);
    t.same(weighted.metrics, plain.metrics, `${family}: metrics`);
  }
});

t.test('weights: real weights change the fit and the weighted multiclass metrics', async (t) => {
  const varied = withWeights('varied.csv', (i) => String((i % 4) + 0.5));
  const ones = withWeights('ones2.csv', () => '1');
  const a = await runLocal(job(varied, 'varied', { label: 'marital', weight: 'w' }), 2);
  const b = await runLocal(job(ones, 'ones2', { label: 'marital', weight: 'w' }), 2);
  t.not(bits(a.coefficients), bits(b.coefficients), 'the coefficients differ');
  const c = await runLocal(job(varied, 'varied-binomial', { weight: 'w' }), 2);
  const d = await runLocal(job(ones, 'ones-binomial', { weight: 'w' }), 2);
  t.not(bits(c.coefficients), bits(d.coefficients), 'binomial: the coefficients differ');
  t.ok(Number.isFinite(c.intercept), `binomial: a finite intercept ${c.intercept}`);
  const m = a.metrics.test as { weightSum: number; count: number };
  t.ok(m.weightSum !== m.count, `test weight sum ${m.weightSum} is not the row count ${m.count}`);
});

t.test('weights: negative, NaN or missing weights are clear errors naming the record', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['negative', '-2', /value -2; instance weights must be finite and >= 0/],
    ['nan', 'NaN', /value NaN; instance weights must be finite and >= 0/],
    ['missing', '', /a missing \(null\) value; instance weights must be finite and >= 0/],
  ];
  for (const [name, bad, why] of cases) {
    const file = withWeights(`${name}.csv`, (i) => (i === 777 ? bad : '1.5'));
    const err = await runLocal(job(file, `bad-${name}`, { weight: 'w' }), 2).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    t.equal(err?.code, 'E_INVALID_VALUE', `${name}: ${err?.message}`);
    t.match(err?.message ?? '', new RegExp(`${name}\\.csv: data record 777 \\(row id 776\\): weight column 'w' has `));
    t.match(err?.message ?? '', why);
  }
  t.throws(
    () =>
      job(
        withWeights('feat.csv', () => '1'),
        'feat',
        { weight: 'w', numeric: ['w', 'age'] },
      ),
    { code: 'E_JOB_SPEC', message: /"w" is already listed at pipeline\.weight/ },
  );
  t.throws(
    () =>
      job(
        withWeights('lab.csv', () => '1'),
        'lab',
        { weight: 'deposit' },
      ),
    { code: 'E_JOB_SPEC', message: /"deposit" is the label column; it cannot be the weight column/ },
  );
});
