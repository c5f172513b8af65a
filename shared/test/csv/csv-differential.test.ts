import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { resolveCsvOptions } from '../../src/index.js';
import { makeTrickyCsv, prng, readCsvFile } from './csv-fixtures.js';

// The reader against an independent implementation (csv-parse) on random tricky files:
// same records, same field values, whatever the delimiter, quote, escape and partitioning.
t.test('csv-differential: records match csv-parse on random tricky CSVs', async (t) => {
  const dir = t.testdir();
  const rnd = prng(20240601);
  const delimiters = [',', ';', '\t', '|'];
  for (let i = 0; i < 24; i++) {
    const delimiter = delimiters[i % delimiters.length]!;
    const quote = i % 5 === 3 ? "'" : '"';
    const escape = i % 3 === 2 ? '\\' : quote;
    const crOnly = i % 8 === 7;
    const fx = makeTrickyCsv(1000 + i, {
      rows: 50 + Math.floor(rnd() * 250),
      cols: 1 + Math.floor(rnd() * 6),
      delimiter,
      quote,
      escape,
      newlines: crOnly ? ['\r'] : ['\n', '\r\n'],
      blankLines: true,
    });
    const bom = i % 4 === 1 ? '\uFEFF' : '';
    const path = join(dir, `d${i}.csv`);
    writeFileSync(path, bom + fx.text);
    const expected = parse(bom + fx.text, {
      delimiter,
      quote,
      escape,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      record_delimiter: crOnly ? ['\r'] : ['\r\n', '\n'],
    }) as string[][];
    t.same(expected, fx.records, `file ${i}: csv-parse reads the generator's records`);
    const csv = resolveCsvOptions({ header: false, inferSchema: false, delimiter, quote, escape });
    const partitions = 1 + Math.floor(rnd() * 9);
    const got = await readCsvFile(path, csv, { partitions });
    t.same(
      got.rows.map((r) => r.map((v) => v ?? '')),
      expected,
      `file ${i} (delimiter ${JSON.stringify(delimiter)}, quote ${quote}, escape ${escape}, ${partitions} partitions)`,
    );
  }
});
