/**
 * Bad input end to end: each case fails with a clear error that names what is wrong and
 * where, and leaves nothing at the output path that could pass for a result.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseJobSpec, type JobSpec } from '@kindling/coordinator';
import { bankCsv } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';

const dir = mkdtempSync(join(tmpdir(), 'kindling-bad-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// bank.csv lists every 'yes' row before the 'no' rows: interleave them so any prefix has both labels.
const allLines = readFileSync(bankCsv, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const yes = allLines.filter((l) => l.endsWith(',yes'));
const no = allLines.filter((l) => l.endsWith(',no'));
const bankLines = [allLines[0]!, ...yes.flatMap((l, i) => (no[i] ? [l, no[i]!] : [l]))];

function job(csvName: string, extra: { pipeline?: object; input?: object; model?: object } = {}, out = `out-${csvName}`): JobSpec {
  return parseJobSpec(
    {
      name: 'bad',
      input: { path: csvName, partitions: 3, ...extra.input },
      pipeline: { label: 'deposit', drop: ['contact', 'day', 'month', 'default'], ...extra.pipeline },
      split: { weights: [0.7, 0.3], seed: 2018 },
      model: { maxIter: 3, ...extra.model },
      output: { path: out },
    },
    dir,
  );
}

async function rejects(t: Test, spec: JobSpec, code: string, pattern: RegExp) {
  const err = await runLocal(spec, 2).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  t.ok(err, 'the job fails');
  t.equal(err?.code, code, `code ${code}: ${err?.message}`);
  t.match(err?.message ?? '', pattern);
  t.notOk(existsSync(spec.output.path), 'no output folder is left behind');
  t.notOk(
    readdirSync(dir).some((f) => f.includes('staging')),
    'no staging folder is left behind',
  );
}

t.test('bad input: a malformed row fails FAILFAST with the file line number', async (t) => {
  const lines = [...allLines.slice(0, 9000)];
  lines[8001] = lines[8001]!.split(',').slice(0, 15).join(','); // file line 8002 (header is line 1)
  writeFileSync(join(dir, 'short.csv'), lines.join('\n') + '\n');
  await rejects(t, job('short.csv'), 'E_CSV_MALFORMED', /short\.csv:8002\b/);
});

t.test('bad input: DROPMALFORMED drops and counts the malformed row', async (t) => {
  const lines = [...bankLines.slice(0, 3000)];
  lines[1500] = lines[1500]!.split(',').slice(0, 15).join(',');
  writeFileSync(join(dir, 'drop.csv'), lines.join('\n') + '\n');
  const spec = job('drop.csv', { input: { mode: 'DROPMALFORMED' } });
  const r = await runLocal(spec, 2);
  t.equal(r.trainRows + r.testRows, 2998, 'one of 2,999 data rows dropped');
  const metrics = JSON.parse(readFileSync(join(spec.output.path, 'metrics.json'), 'utf8'));
  t.equal(metrics.malformedRows, 1);
});

t.test('bad input: a missing label column names the column and the available ones', async (t) => {
  writeFileSync(join(dir, 'bank.csv'), bankLines.slice(0, 500).join('\n') + '\n');
  await rejects(t, job('bank.csv', { pipeline: { label: 'y' } }), 'E_JOB_SPEC', /pipeline\.label: column 'y' is not in bank\.csv.*deposit/);
});

t.test('bad input: family binomial on a label with three values is refused', async (t) => {
  const lines = bankLines.slice(0, 500).map((l, i) => (i > 0 && i % 7 === 0 ? l.replace(/,(yes|no)$/, ',maybe') : l));
  writeFileSync(join(dir, 'three.csv'), lines.join('\n') + '\n');
  await rejects(
    t,
    job('three.csv', { model: { family: 'binomial' } }),
    'E_JOB_SPEC',
    /model\.family: binomial needs a label with 2 classes, but label column 'deposit' has 3 \(.*'maybe'/,
  );
});

t.test('bad input: a label with a single value is refused', async (t) => {
  const lines = bankLines.slice(0, 500).map((l, i) => (i > 0 ? l.replace(/,(yes|no)$/, ',yes') : l));
  writeFileSync(join(dir, 'one.csv'), lines.join('\n') + '\n');
  await rejects(
    t,
    job('one.csv'),
    'E_LABEL',
    /one\.csv: label column 'deposit' has 1 distinct value\(s\) \('yes'\); logistic regression needs 2 to 1000 classes/,
  );
});

t.test('bad input: an empty file and a header-only file are clear errors', async (t) => {
  writeFileSync(join(dir, 'empty.csv'), '');
  await rejects(t, job('empty.csv'), 'E_CSV_EMPTY', /empty\.csv/);
  writeFileSync(join(dir, 'header.csv'), bankLines[0] + '\n');
  await rejects(t, job('header.csv'), 'E_CSV_EMPTY', /header\.csv: no data rows/);
});

t.test('bad input: a missing input file is named', async (t) => {
  await rejects(t, job('nope.csv'), 'E_IO', /nope\.csv: no such file/);
});

t.test('bad input: an invalid job spec names the bad field before any work', async (t) => {
  t.throws(() => parseJobSpec({ name: 'x', input: { path: 'bank.csv' }, pipeline: { label: 'deposit' }, model: { maxIter: 'ten' } }, dir), {
    code: 'E_JOB_SPEC',
    message: /model\.maxIter/,
  });
});

t.test('bad input: an unwritable output folder fails before any work', async (t) => {
  writeFileSync(join(dir, 'a-file'), 'not a folder');
  const spec = job('bank.csv', {}, join(dir, 'a-file', 'out'));
  const err = await runLocal(spec, 1).then(
    () => undefined,
    (e: { code: string; message: string }) => e,
  );
  t.equal(err?.code, 'E_OUTPUT');
  t.match(err?.message ?? '', /a-file/);
});

t.test('bad input: a null in a numeric feature names the column and row', async (t) => {
  const lines = bankLines.slice(0, 400).map((l, i) => (i === 250 ? l.replace(/^\d+,/, ',') : l));
  writeFileSync(join(dir, 'nullage.csv'), lines.join('\n') + '\n');
  await rejects(t, job('nullage.csv'), 'E_INVALID_VALUE', /age/);
});
