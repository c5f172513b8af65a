import t from 'tap';
import { DEFAULT_CSV_OPTIONS, JobSpecError, resolveCsvOptions, validateCsvOptions, type CsvOptions } from '../../src/index.js';

function pathOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof JobSpecError) return e.path;
    throw e;
  }
  return undefined;
}

t.test('csv-options: fills Spark-like defaults', async (t) => {
  t.same(resolveCsvOptions({}), DEFAULT_CSV_OPTIONS);
  const o = resolveCsvOptions({ delimiter: ';', header: false });
  t.equal(o.delimiter, ';');
  t.equal(o.header, false);
  t.equal(o.mode, 'FAILFAST');
});

t.test('csv-options: an unset escape follows the quote; \\t means tab', async (t) => {
  t.equal(resolveCsvOptions({ quote: "'" }).escape, "'");
  t.equal(resolveCsvOptions({ quote: "'", escape: '\\' }).escape, '\\');
  t.equal(resolveCsvOptions({ delimiter: '\\t' }).delimiter, '\t');
});

t.test('csv-options: rejects bad characters with the path of the field', async (t) => {
  t.equal(
    pathOf(() => resolveCsvOptions({ delimiter: ',,' })),
    'input.delimiter',
  );
  t.equal(
    pathOf(() => resolveCsvOptions({ delimiter: '' })),
    'input.delimiter',
  );
  t.equal(
    pathOf(() => resolveCsvOptions({ quote: '«' })),
    'input.quote',
    'multi-byte characters are refused',
  );
  t.equal(
    pathOf(() => resolveCsvOptions({ escape: '\n' })),
    'input.escape',
    'line breaks are refused',
  );
  t.equal(
    pathOf(() => resolveCsvOptions({ delimiter: '"' })),
    'input.delimiter',
    'delimiter must differ from quote',
  );
  t.equal(
    pathOf(() => resolveCsvOptions({ mode: 'LENIENT' as CsvOptions['mode'] })),
    'input.mode',
  );
  t.equal(
    pathOf(() => validateCsvOptions({ ...DEFAULT_CSV_OPTIONS, header: 'yes' as unknown as boolean }, 'job.csv')),
    'job.csv.header',
  );
  t.throws(() => resolveCsvOptions({ delimiter: ',,' }), {
    code: 'E_JOB_SPEC',
    message: /input\.delimiter must be exactly one character, got ",,"/,
  });
});

t.test('csv-options: accepts every valid combination', async (t) => {
  t.doesNotThrow(() =>
    validateCsvOptions({ ...DEFAULT_CSV_OPTIONS, delimiter: '|', quote: "'", escape: '\\', nullValue: 'NA', mode: 'PERMISSIVE' }),
  );
});
