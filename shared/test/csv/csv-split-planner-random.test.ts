import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CsvParseError, resolveCsvOptions, type CsvOptions } from '../../src/index.js';
import { makeTrickyCsv, prng, readCsvFile } from './csv-fixtures.js';

t.test('csv-split-planner: random split counts over tricky files give identical records', async (t) => {
  const dir = t.testdir();
  const variants: [string, Partial<CsvOptions>, Parameters<typeof makeTrickyCsv>[1]][] = [
    ['comma', {}, { rows: 900, cols: 4, header: true, blankLines: true }],
    ['semicolon-backslash', { delimiter: ';', escape: '\\' }, { rows: 900, cols: 3, header: true, delimiter: ';', escape: '\\' }],
    ['tab-crlf-noheader', { delimiter: '\t', header: false }, { rows: 900, cols: 5, delimiter: '\t', newlines: ['\r\n'] }],
  ];
  const rnd = prng(99);
  for (const [name, opts, gen] of variants) {
    const csv = resolveCsvOptions({ ...opts, inferSchema: false });
    const fx = makeTrickyCsv(name.length * 7919, gen);
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, fx.text);
    const whole = await readCsvFile(path, csv, { partitions: 1 });
    t.same(
      whole.rows.map((r) => r.map((v) => v ?? '')),
      fx.records,
      `${name}: the generator's records, read as one partition`,
    );
    for (let i = 0; i < 8; i++) {
      const parts = 2 + Math.floor(rnd() * 60);
      const r = await readCsvFile(path, csv, { partitions: parts });
      t.same(r.rows, whole.rows, `${name}, ${parts} partitions`);
      t.equal(
        r.lineCounts.reduce((a, b) => a + b, 0),
        whole.lineCounts[0],
        `${name}, ${parts} partitions: line counts add up`,
      );
    }
  }
});

t.test('csv-split-planner: malformed records are handled the same way whatever the partitioning', async (t) => {
  const dir = t.testdir();
  const rnd = prng(4242);
  const lines = ['id,label,score'];
  for (let i = 0; i < 3000; i++) {
    const r = rnd();
    if (r < 0.03) lines.push(`${i},short`);
    else if (r < 0.06) lines.push(`${i},"too,many",1,2`);
    else if (r < 0.09) lines.push(`x${i},bad id,1.5`);
    else if (r < 0.11) lines.push(`${i},"bad"quote,2`);
    else if (r < 0.2) lines.push(`${i},"multi\nline ${i}",${i / 4}`);
    else lines.push(`${i},plain ${i % 13},${i / 8}`);
  }
  const path = join(dir, 'dirty.csv');
  writeFileSync(path, lines.join('\n') + '\n');
  for (const mode of ['DROPMALFORMED', 'PERMISSIVE'] as const) {
    const csv = resolveCsvOptions({ mode });
    const whole = await readCsvFile(path, csv, { partitions: 1 });
    t.same(
      whole.schema.map((f) => f.type),
      ['string', 'string', 'double'],
      `${mode}: inferred over the kept records`,
    );
    for (const parts of [2, 5, 11, 23]) {
      const r = await readCsvFile(path, csv, { partitions: parts });
      t.same(r.rows, whole.rows, `${mode}, ${parts} partitions: same rows`);
      t.equal(r.malformed, whole.malformed, `${mode}, ${parts} partitions: same malformed count (${whole.malformed})`);
    }
  }
  for (const parts of [1, 4]) {
    const err = await readCsvFile(path, resolveCsvOptions({}), { partitions: parts }).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof CsvParseError, 'FAILFAST stops at the first bad record');
    if (!(err instanceof CsvParseError)) continue;
    const m = /^dirty\.csv:(\d+): column 1 \(label\): unexpected character after the closing quote$/.exec(err.message);
    t.ok(m, err.message);
    t.match(
      readFileSync(path, 'utf8').split('\n')[err.line - 1],
      /^\d+,"bad"quote,2$/,
      `${parts} partitions: line ${err.line} is that record`,
    );
  }
});
