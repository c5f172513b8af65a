/**
 * The one-pass CSV read in a whole job (local mode): each partition is scanned once, with its
 * own types, then conformed to the table's schema on the executor. A column that is a number
 * in some partitions and text in others is the case that cannot conform in place: those
 * partitions' blocks are rebuilt from the file with the table's schema, so the StringIndexer
 * sees the text as written ("007", not 7). The shared CSV tests check the blocks bit for bit
 * against the two-pass read; this one checks the job: the rebuilds happen (and only there),
 * the categories are the file's text, and the result does not depend on the thread count.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DriverContext, EventBus, parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';

const scratch = mkdtempSync(join(tmpdir(), 'kindling-one-pass-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

// 2000 rows of 24 bytes in 4 partitions of ~500 rows: `code` is digits only ("007") up to row
// 1250, "A7"-style after, so partitions 0–1 infer int and 2–3 string; `x` is empty up to row
// 520, so partition 0 has no x at all (a null column that conforms in place).
const rows: string[] = ['code,x,y,label'];
let seed = 7;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
for (let i = 0; i < 2000; i++) {
  const k = Math.floor(rnd() * 5);
  const code = i < 1250 ? `00${k}` : `A${k}`;
  const x = i < 520 ? '' : (rnd() * 10).toFixed(3);
  const y = rnd() * 4 - 2;
  const label = rnd() < 1 / (1 + Math.exp(-(y + k / 2 - 1))) ? 'yes' : 'no';
  const head = `${code},${x},`;
  const tail = `,${label}`;
  // y padded with leading zeros (still the same double) so that every line has 24 bytes.
  const yText = Math.abs(y)
    .toFixed(4)
    .padStart(23 - head.length - tail.length - (y < 0 ? 1 : 0), '0');
  rows.push(`${head}${y < 0 ? '-' : ''}${yText}${tail}`);
}
const csv = join(scratch, 'mixed.csv');
writeFileSync(csv, rows.join('\n') + '\n');
const jobFile = join(scratch, 'job.yaml');
writeFileSync(
  jobFile,
  [
    'name: one-pass',
    `input: { path: ${JSON.stringify(csv)}, header: true, inferSchema: true, partitions: 4 }`,
    'pipeline: { label: label, categorical: auto, numeric: auto, assembler: { handleInvalid: skip } }',
    'split: { weights: [0.7, 0.3], seed: 2018 }',
    'model: { type: logistic-regression, maxIter: 20 }',
    'output: { mode: overwrite }',
  ].join('\n'),
);

let n = 0;
async function run(threads: number): Promise<{ result: JobResult; rebuilds: number }> {
  const spec = await parseJobSpecFile(jobFile, { output: join(scratch, `out-${n++}`) });
  const executor = new LocalExecutor({ threads });
  const driver = DriverContext.withExecutors([executor], { events: new EventBus(), release: () => executor.close() });
  try {
    const result = await driver.runJob(spec);
    return { result, rebuilds: executor.memoryStats().rebuilds };
  } finally {
    await driver.close();
  }
}

t.test('one-pass input: partitions whose types cannot widen in place are re-read; categories are the text of the file', async (t) => {
  const one = await run(1);
  t.equal(
    one.rebuilds,
    2,
    `the two partitions scanned as int are rebuilt from the file, the others conform in place (${one.rebuilds} rebuilds)`,
  );
  const codes = one.result.featureNames.filter((f) => f.startsWith('code_'));
  t.ok(
    codes.some((f) => f.includes('00')),
    `the digits-only codes keep their text (${codes.join(', ')})`,
  );
  t.ok(
    codes.some((f) => f.includes('A')),
    'the text codes are categories too',
  );
  t.equal(one.result.trainRows + one.result.testRows, 1480, 'the 520 rows with no x are skipped by the assembler');
  const three = await run(3);
  const bits = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  t.same(bits(three.result.coefficients), bits(one.result.coefficients), 'coefficients bit-identical with 1 and 3 threads');
  t.same(three.result.metrics, one.result.metrics, 'metrics identical');
});
