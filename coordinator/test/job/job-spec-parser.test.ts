import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { JobSpecError } from '@kindling/shared';
import { parseJobSpec, parseJobSpecFile, type JobSpecOverrides } from '../../src/job/job-spec-parser.js';
import type { JobSpec } from '../../src/job/job-spec.js';

const MINIMAL = 'input:\n  path: data/bank.csv\npipeline:\n  label: deposit\n';

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

/** Writes `job.yaml` (or `file`) into a fresh folder and returns its absolute path. */
function jobFile(t: TapTest, yaml: string, file = 'job.yaml'): string {
  const dir = t.testdir({});
  const full = path.join(dir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, yaml);
  return full;
}

/** Parses `yaml` from `<tmp>/job.yaml`, passing the file name relative to the folder as the user would. */
async function parse(t: TapTest, yaml: string, overrides?: JobSpecOverrides): Promise<JobSpec> {
  const full = jobFile(t, yaml);
  const cwd = process.cwd();
  process.chdir(path.dirname(full));
  try {
    return await parseJobSpecFile('job.yaml', overrides);
  } finally {
    process.chdir(cwd);
  }
}

/** The JobSpecError that parsing `yaml` throws. */
async function failure(t: TapTest, yaml: string, overrides?: JobSpecOverrides): Promise<JobSpecError> {
  const err = await parse(t, yaml, overrides).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err, 'parsing fails');
  return err as JobSpecError;
}

t.test('job-spec-parser: fills every default of a minimal spec', async (t) => {
  const full = jobFile(t, MINIMAL);
  const dir = path.dirname(full);
  const spec = await parseJobSpecFile(full);
  t.strictSame(spec, {
    name: 'job',
    specFile: full,
    input: {
      path: path.join(dir, 'data/bank.csv'),
      format: 'auto',
      csv: { header: true, delimiter: ',', quote: '"', escape: '"', nullValue: '', mode: 'FAILFAST', inferSchema: true },
      maxPartitionBytes: 4 * 1024 * 1024,
    },
    pipeline: {
      drop: [],
      label: 'deposit',
      categorical: 'auto',
      numeric: 'auto',
      featureOrder: 'categorical-first',
      stringIndexer: { orderType: 'frequencyDesc', handleInvalid: 'error' },
      oneHotEncoder: { dropLast: true },
      assembler: { handleInvalid: 'error' },
    },
    split: { weights: [0.7, 0.3], seed: 42 },
    model: {
      type: 'logistic-regression',
      maxIter: 100,
      regParam: 0,
      elasticNetParam: 0,
      tol: 1e-6,
      fitIntercept: true,
      standardization: true,
      threshold: 0.5,
      family: 'auto',
    },
    output: { path: path.join(dir, 'out', 'job'), mode: 'error', predictions: true, features: false, testSplit: false },
    compat: 'kindling',
  });
  t.notOk('partitions' in spec.input, 'partitions stays unset so the driver sizes partitions from the file');
});

t.test('job-spec-parser: keeps every explicit value', async (t) => {
  const spec = await parse(
    t,
    `
name: full
compat: spark-2.3
input:
  path: /data/x.tsv
  format: csv
  header: false
  delimiter: "\\t"
  quote: "'"
  escape: "\\\\"
  nullValue: NA
  mode: DROPMALFORMED
  inferSchema: false
  partitions: 8
  maxPartitionBytes: 1048576
pipeline:
  drop: [a, b]
  label: y
  categorical: [c]
  numeric: [d, e]
  featureOrder: file
  stringIndexer: { orderType: alphabetAsc, handleInvalid: keep }
  oneHotEncoder: { dropLast: false }
  assembler: { handleInvalid: skip }
split: { weights: [0.8, 0.2], seed: -7 }
model: { maxIter: 10, regParam: 0.01, elasticNetParam: 1, tol: 0, fitIntercept: false, standardization: false, threshold: 0.25 }
output: { path: /tmp/kindling-out, mode: overwrite, predictions: false, features: true }
`,
  );
  t.equal(spec.name, 'full');
  t.equal(spec.compat, 'spark-2.3');
  t.strictSame(spec.input, {
    path: '/data/x.tsv',
    format: 'csv',
    csv: { header: false, delimiter: '\t', quote: "'", escape: '\\', nullValue: 'NA', mode: 'DROPMALFORMED', inferSchema: false },
    partitions: 8,
    maxPartitionBytes: 1048576,
  });
  t.strictSame(spec.pipeline.drop, ['a', 'b']);
  t.strictSame(spec.pipeline.categorical, ['c']);
  t.strictSame(spec.pipeline.numeric, ['d', 'e']);
  t.equal(spec.pipeline.featureOrder, 'file');
  t.strictSame(spec.pipeline.stringIndexer, { orderType: 'alphabetAsc', handleInvalid: 'keep' });
  t.strictSame(spec.pipeline.oneHotEncoder, { dropLast: false });
  t.strictSame(spec.pipeline.assembler, { handleInvalid: 'skip' });
  t.strictSame(spec.split, { weights: [0.8, 0.2], seed: -7 });
  t.strictSame(spec.model, {
    type: 'logistic-regression',
    maxIter: 10,
    regParam: 0.01,
    elasticNetParam: 1,
    tol: 0,
    fitIntercept: false,
    standardization: false,
    threshold: 0.25,
    family: 'auto',
  });
  t.strictSame(spec.output, { path: '/tmp/kindling-out', mode: 'overwrite', predictions: false, features: true, testSplit: false });
});

t.test('job-spec-parser: resolves relative paths against the job file folder, not the working directory', async (t) => {
  const full = jobFile(t, 'input: { path: ../shared/bank.csv }\npipeline: { label: y }\noutput: { path: results/run1 }\n', 'jobs/lr.yml');
  const root = path.dirname(path.dirname(full));
  const spec = await parseJobSpecFile(path.relative(process.cwd(), full));
  t.equal(spec.input.path, path.join(root, 'shared', 'bank.csv'));
  t.equal(spec.output.path, path.join(root, 'jobs', 'results', 'run1'));
  t.equal(spec.specFile, full);
});

t.test(
  'job-spec-parser: input.path may be a list of files, folders and globs, resolved against the job file folder (or the working directory from --conf)',
  async (t) => {
    const spec = parseJobSpec(
      { input: { path: ['a.csv', 'parts/', '/abs/2026-*/part-*.csv'], format: 'parquet' }, pipeline: { label: 'y' } },
      '/jobs',
    );
    t.same(spec.input.path, ['/jobs/a.csv', '/jobs/parts', '/abs/2026-*/part-*.csv']);
    t.equal(spec.input.format, 'parquet');
    const fromConf = parseJobSpec({ input: { path: 'x.csv' }, pipeline: { label: 'y' } }, '/jobs', {
      conf: { 'input.path': '[a.csv.gz, b/]' },
    });
    t.same(
      fromConf.input.path,
      [path.resolve('a.csv.gz'), path.resolve('b')],
      '--conf takes a YAML list, relative to the working directory',
    );
    const outConf = parseJobSpec({ input: { path: 'x.csv' }, pipeline: { label: 'y' } }, '/jobs', { conf: { 'output.path': 'out/run' } });
    t.equal(outConf.output.path, path.resolve('out/run'), 'a --conf output.path is relative to the working directory, as --output');
    t.equal(outConf.input.path, '/jobs/x.csv', "the file's own paths stay relative to its folder");
    t.throws(() => parseJobSpec({ input: { path: [] }, pipeline: { label: 'y' } }, '/jobs'), {
      message: /input\.path: expected a path \(a file, a folder or a glob\) or a list of paths/,
    });
    t.throws(() => parseJobSpec({ input: { path: 'x.orc', format: 'orc' }, pipeline: { label: 'y' } }, '/jobs'), {
      message: /input\.format: expected one of "auto", "csv", "parquet", "features", got "orc"/,
    });
  },
);

t.test('job-spec-parser: names the job after the file and puts its output under out/<name>', async (t) => {
  const full = jobFile(t, MINIMAL, 'bank-lr.yaml');
  const spec = await parseJobSpecFile(full);
  t.equal(spec.name, 'bank-lr');
  t.equal(spec.output.path, path.join(path.dirname(full), 'out', 'bank-lr'));
  const renamed = await parseJobSpecFile(full, { name: 'nightly' });
  t.equal(renamed.name, 'nightly');
  t.equal(renamed.output.path, path.join(path.dirname(full), 'out', 'nightly'), '--name also moves the default output');
});

t.test('job-spec-parser: treats a key without a value as absent', async (t) => {
  const spec = await parse(t, `${MINIMAL}model:\nsplit:\n  seed: ~\n`);
  t.equal(spec.model.maxIter, 100);
  t.equal(spec.split.seed, 42);
});

t.test('job-spec-parser: reads byte sizes with binary units', async (t) => {
  const sizes: [unknown, number][] = [
    [4096, 4096],
    ['4MiB', 4 * 1024 * 1024],
    ['512KiB', 512 * 1024],
    ['64MB', 64 * 1024 * 1024],
    ['128m', 128 * 1024 * 1024],
    ['1.5 MiB', 1.5 * 1024 * 1024],
    ['2g', 2 * 1024 ** 3],
    ['100', 100],
  ];
  for (const [text, bytes] of sizes) {
    const spec = parseJobSpec({ input: { path: 'x.csv', maxPartitionBytes: text }, pipeline: { label: 'y' } }, '/jobs');
    t.equal(spec.input.maxPartitionBytes, bytes, `${JSON.stringify(text)} is ${bytes} bytes`);
  }
  for (const bad of [0, -1, 1.5, '4 parsecs', 'MiB', true]) {
    t.throws(
      () => parseJobSpec({ input: { path: 'x.csv', maxPartitionBytes: bad }, pipeline: { label: 'y' } }, '/jobs'),
      {
        code: 'E_JOB_SPEC',
        path: 'input.maxPartitionBytes',
        message: /^job spec: input\.maxPartitionBytes: expected a positive byte size/,
      },
      `${JSON.stringify(bad)} is rejected`,
    );
  }
});

t.test('job-spec-parser: normalises split weights and rejects bad ones', async (t) => {
  const spec = (weights: unknown) => parseJobSpec({ input: { path: 'x.csv' }, pipeline: { label: 'y' }, split: { weights } }, '/jobs');
  t.strictSame(spec([7, 3]).split.weights, [0.7, 0.3]);
  t.strictSame(spec([1, 0]).split.weights, [1, 0]);
  t.throws(() => spec([0, 0]), {
    path: 'split.weights',
    message: 'job spec: split.weights: expected weights with a positive sum, got [0,0]',
  });
  t.throws(() => spec([1]), {
    path: 'split.weights',
    message: 'job spec: split.weights: expected a list of two non-negative numbers, got [1]',
  });
  t.throws(() => spec([0.5, 0.3, 0.2]), { path: 'split.weights', message: /got \[0.5,0.3,0.2\]$/ });
  t.throws(() => spec([-1, 2]), {
    path: 'split.weights[0]',
    message: 'job spec: split.weights[0]: expected a non-negative number, got -1',
  });
  t.throws(() => spec('70/30'), { path: 'split.weights', message: /got "70\/30"$/ });
});

t.test('job-spec-parser: names the file, the field path and the line of a bad value', async (t) => {
  const err = await failure(t, `${MINIMAL}model:\n  type: logistic-regression\n  maxIter: ten\n`);
  t.equal(err.code, 'E_JOB_SPEC');
  t.equal(err.name, 'JobSpecError');
  t.equal(err.path, 'model.maxIter');
  t.equal(err.message, 'job.yaml: model.maxIter: expected a positive integer, got "ten" (line 7)');
  t.ok(path.isAbsolute(err.file ?? ''), 'the error carries the absolute file');
});

t.test('job-spec-parser: explains each kind of bad value', async (t) => {
  const cases: [string, string][] = [
    ['model: { maxIter: 0 }', 'model.maxIter: expected a positive integer, got 0'],
    ['model: { maxIter: 2.5 }', 'model.maxIter: expected a positive integer, got 2.5'],
    ['model: { regParam: -0.1 }', 'model.regParam: expected a non-negative number, got -0.1'],
    ['model: { elasticNetParam: 1.5 }', 'model.elasticNetParam: expected a number from 0 to 1, got 1.5'],
    ['model: { threshold: "0.5" }', 'model.threshold: expected a number from 0 to 1, got "0.5"'],
    ['model: { tol: .inf }', 'model.tol: expected a non-negative number, got Infinity'],
    ['model: { fitIntercept: yes }', 'model.fitIntercept: expected true or false, got "yes"'],
    ['model: { type: random-forest }', 'model.type: expected one of "logistic-regression", "none", got "random-forest"'],
    ['output: { mode: overwite }', 'output.mode: expected one of "error", "overwrite", got "overwite"; did you mean "overwrite"?'],
    ['output: { path: "" }', 'output.path: expected a folder path, got ""'],
    ['output: [a]', 'output: expected a mapping, got ["a"]'],
    ['input: { path: x.csv, delimiter: ";;" }\npipeline: { label: y }', 'input.delimiter: expected a single ASCII character, got ";;"'],
    [
      'input: { path: x.csv, mode: FAILFST }\npipeline: { label: y }',
      'input.mode: expected one of "FAILFAST", "DROPMALFORMED", "PERMISSIVE", got "FAILFST"; did you mean "FAILFAST"?',
    ],
    ['input: { path: x.csv, partitions: -2 }\npipeline: { label: y }', 'input.partitions: expected a positive integer, got -2'],
    ['input: { path: 42 }\npipeline: { label: y }', 'input.path: expected a path (a file, a folder or a glob) or a list of paths, got 42'],
    ['input: { path: x.csv }\npipeline: { label: y, categorical: [job, 3] }', 'pipeline.categorical[1]: expected a column name, got 3'],
    [
      'input: { path: x.csv }\npipeline: { label: y, numeric: some }',
      'pipeline.numeric: expected "auto" or a list of column names, got "some"',
    ],
    ['input: { path: x.csv }\npipeline: { label: y, drop: day }', 'pipeline.drop: expected a list of column names, got "day"'],
    [
      'input: { path: x.csv }\npipeline: { label: y, stringIndexer: { orderType: frequency } }',
      'pipeline.stringIndexer.orderType: expected one of "frequencyDesc", "frequencyAsc", "alphabetDesc", "alphabetAsc", got "frequency"; did you mean "frequencyAsc"?',
    ],
    ['split: { seed: 1.5 }', 'split.seed: expected an integer, got 1.5'],
    ['compat: spark-3.5', 'compat: expected one of "kindling", "spark-2.3", "spark-3.2", got "spark-3.5"; did you mean "spark-3.2"?'],
    ['name: a/b', 'name: expected a non-empty name without slashes or control characters, got "a/b"'],
  ];
  for (const [yaml, expected] of cases) {
    const doc = yaml.startsWith('input:') ? yaml : `${MINIMAL}${yaml}`;
    const err = await failure(t, doc);
    t.equal(err.message.replace(/ \(line \d+\)$/, ''), `job.yaml: ${expected}`, yaml);
    t.equal(err.path, expected.slice(0, expected.indexOf(':')));
  }
});

t.test('job-spec-parser: reports a missing required field', async (t) => {
  let err = await failure(t, 'input:\n  path: bank.csv\npipeline:\n  drop: [day]\n');
  t.equal(err.message, "job.yaml: pipeline.label: required, expected the label column's name");
  t.equal(err.path, 'pipeline.label');
  err = await failure(t, 'pipeline:\n  label: y\n');
  t.equal(err.message, 'job.yaml: input: required, expected a mapping');
  err = await failure(t, 'input:\n  header: true\npipeline:\n  label:\n');
  t.equal(err.message, 'job.yaml: input.path: required, expected a path (a file, a folder or a glob) or a list of paths (+1 more)');
  t.strictSame(err.details['problems'], [
    'job.yaml: input.path: required, expected a path (a file, a folder or a glob) or a list of paths',
    "job.yaml: pipeline.label: required, expected the label column's name (line 4)",
  ]);
});

t.test('job-spec-parser: rejects unknown keys and suggests the closest valid one', async (t) => {
  let err = await failure(t, `${MINIMAL}model:\n  maxIters: 10\n`);
  t.equal(err.message, 'job.yaml: model.maxIters: unknown key, did you mean "maxIter"? (line 6)');
  t.equal(err.path, 'model.maxIters');
  err = await failure(t, `${MINIMAL}ouptut:\n  path: x\n`);
  t.equal(err.message, 'job.yaml: ouptut: unknown key, did you mean "output"? (line 5)');
  err = await failure(t, `${MINIMAL}model:\n  learningRate: 0.1\n`);
  t.equal(
    err.message,
    'job.yaml: model.learningRate: unknown key; expected one of: type, maxIter, regParam, elasticNetParam, tol, ' +
      'fitIntercept, standardization, threshold, family (line 6)',
  );
  err = await failure(t, 'input:\n  path: x.csv\n  Header: true\npipeline:\n  label: y\n  stringIndexer:\n    order: alphabetAsc\n');
  t.equal(err.message, 'job.yaml: input.Header: unknown key, did you mean "header"? (line 3) (+1 more)');
  t.match(err.details['problems'], [/input\.Header/, /^job\.yaml: pipeline\.stringIndexer\.order: unknown key.*\(line 7\)$/]);
});

t.test('job-spec-parser: checks column roles that need no data', async (t) => {
  const base = 'input: { path: x.csv }\npipeline:\n  label: deposit\n';
  let err = await failure(t, `${base}  drop: [day, deposit]\n`);
  t.equal(err.message, 'job.yaml: pipeline.drop[1]: "deposit" is the label column; it cannot be dropped (line 4)');
  err = await failure(t, `${base}  numeric: [age, deposit]\n`);
  t.equal(err.message, 'job.yaml: pipeline.numeric[1]: "deposit" is the label column; it cannot be a feature (line 4)');
  err = await failure(t, `${base}  categorical: [job, marital]\n  numeric: [age, job]\n`);
  t.equal(err.message, 'job.yaml: pipeline.numeric[1]: "job" is already listed at pipeline.categorical[0] (line 5)');
  err = await failure(t, `${base}  drop: [day, day]\n`);
  t.equal(err.path, 'pipeline.drop[1]');
});

t.test('job-spec-parser: names the line of a YAML syntax error', async (t) => {
  let err = await failure(t, 'input:\n  path: x.csv\npipeline: [label, y\nmodel: {}\n');
  t.match(err.message, /^job\.yaml: line 4, column 1: YAML syntax error: .+/);
  t.equal(err.code, 'E_JOB_SPEC');
  err = await failure(t, 'input:\n  path: a.csv\ninput:\n  path: b.csv\n');
  t.equal(err.message, 'job.yaml: line 3, column 1: YAML syntax error: Map keys must be unique');
  err = await failure(t, 'input:\n  path: "x.csv\n');
  t.match(err.message, /^job\.yaml: line \d+, column \d+: YAML syntax error: Missing closing "quote/);
});

t.test('job-spec-parser: rejects an empty file, a non-mapping and an unreadable file', async (t) => {
  let err = await failure(t, '# nothing yet\n');
  t.equal(err.message, 'job.yaml: the job file is empty; expected a mapping with input and pipeline sections');
  err = await failure(t, '- input\n- pipeline\n');
  t.equal(err.message, 'job.yaml: expected a mapping at the top level, got ["input","pipeline"]');
  const dir = t.testdir({ sub: {} });
  await t.rejects(parseJobSpecFile(path.join(dir, 'missing.yaml')), {
    code: 'E_JOB_SPEC',
    message: `${path.join(dir, 'missing.yaml')}: cannot read the job file: no such file`,
  });
  await t.rejects(parseJobSpecFile(path.join(dir, 'sub')), { message: /cannot read the job file: is a folder, not a file$/ });
});

t.test('job-spec-parser: applies --conf overrides as YAML scalars at dotted paths', async (t) => {
  const spec = await parse(t, `${MINIMAL}model:\n  maxIter: 10\n`, {
    conf: {
      'model.maxIter': '20',
      'input.partitions': '8',
      'input.maxPartitionBytes': '1MiB',
      'pipeline.drop': '[day, month]',
      'split.seed': '2018',
      'model.fitIntercept': 'false',
      'input.nullValue': 'NA',
      compat: 'spark-3.2',
    },
  });
  t.equal(spec.model.maxIter, 20);
  t.equal(spec.input.partitions, 8);
  t.equal(spec.input.maxPartitionBytes, 1024 * 1024);
  t.strictSame(spec.pipeline.drop, ['day', 'month']);
  t.equal(spec.split.seed, 2018);
  t.equal(spec.model.fitIntercept, false);
  t.equal(spec.input.csv.nullValue, 'NA');
  t.equal(spec.compat, 'spark-3.2');
  t.equal(spec.model.tol, 1e-6, 'untouched fields keep their defaults');
});

t.test('job-spec-parser: names the --conf flag behind a bad or unknown override', async (t) => {
  let err = await failure(t, MINIMAL, { conf: { 'model.maxIter': 'ten' } });
  t.equal(err.message, 'job.yaml: model.maxIter: expected a positive integer, got "ten" (--conf model.maxIter=ten)');
  t.equal(err.path, 'model.maxIter');
  err = await failure(t, MINIMAL, { conf: { 'model.maxIters': '5' } });
  t.equal(err.message, 'job.yaml: model.maxIters: --conf model.maxIters=5: unknown key, did you mean "maxIter"?');
  t.equal(err.path, 'model.maxIters');
  err = await failure(t, MINIMAL, { conf: { 'modle.maxIter': '5' } });
  t.equal(err.message, 'job.yaml: modle: --conf modle.maxIter=5: unknown key, did you mean "model"?');
  err = await failure(t, MINIMAL, { conf: { 'model.maxIter.x': '5' } });
  t.equal(err.message, 'job.yaml: model.maxIter: --conf model.maxIter.x=5: model.maxIter is a value, not a section');
  err = await failure(t, MINIMAL, { conf: { 'model.': '5' } });
  t.equal(err.message, 'job.yaml: --conf model.=5: expected a dotted key such as model.maxIter');
  err = await failure(t, MINIMAL, { conf: { 'pipeline.drop': '[day, deposit]' } });
  t.equal(
    err.message,
    'job.yaml: pipeline.drop[1]: "deposit" is the label column; it cannot be dropped (--conf pipeline.drop=[day, deposit])',
  );
});

t.test('job-spec-parser: lets --name, --output and --overwrite win over the file and --conf', async (t) => {
  const full = jobFile(t, `${MINIMAL}name: fromfile\noutput:\n  path: out/a\n  mode: error\n`);
  const spec = await parseJobSpecFile(full, {
    name: 'flag-name',
    output: '/abs/results',
    overwrite: true,
    conf: { name: 'conf-name', 'output.path': 'conf/out', 'output.mode': 'error' },
  });
  t.equal(spec.name, 'flag-name');
  t.equal(spec.output.path, '/abs/results');
  t.equal(spec.output.mode, 'overwrite');
  const relative = await parseJobSpecFile(full, { output: 'elsewhere' });
  t.equal(relative.output.path, path.join(path.dirname(full), 'elsewhere'), 'a relative --output resolves like the spec');
  const kept = await parseJobSpecFile(full, { overwrite: false });
  t.equal(kept.output.mode, 'error', '--overwrite=false leaves the file value');
  await t.rejects(parseJobSpecFile(full, { name: '..' }), {
    path: 'name',
    message: `${full}: name: expected a non-empty name without slashes or control characters, got ".." (--name)`,
  });
});

t.test('job-spec-parser: validates an in-memory document against a base folder', async (t) => {
  const spec = parseJobSpec({ input: { path: 'x.csv' }, pipeline: { label: 'y' } }, '/srv/jobs');
  t.equal(spec.name, 'job');
  t.equal(spec.input.path, '/srv/jobs/x.csv');
  t.equal(spec.output.path, '/srv/jobs/out/job');
  t.notOk('specFile' in spec);
  t.throws(
    () => parseJobSpec({ input: { path: 'x.csv' }, pipeline: { label: 'y' }, model: { tol: 'small' } }, '/srv', {}, 'nightly.yaml'),
    {
      message: 'nightly.yaml: model.tol: expected a non-negative number, got "small"',
    },
  );
  t.throws(() => parseJobSpec('input', '/srv'), { message: 'job spec: expected a mapping at the top level, got "input"' });
});

t.test('job-spec-parser: parses the shipped bank example as the tutorial pipeline', async (t) => {
  const example = fileURLToPath(new URL('../../../../examples/bank-lr.yaml', import.meta.url));
  const spec = await parseJobSpecFile(example);
  const examples = path.dirname(example);
  t.equal(spec.name, 'bank-lr');
  t.equal(spec.input.path, path.join(examples, 'data', 'bank.csv'));
  t.strictSame(spec.pipeline.drop, ['contact', 'day', 'month', 'default']);
  t.equal(spec.pipeline.label, 'deposit');
  t.equal(spec.pipeline.categorical, 'auto');
  t.equal(spec.pipeline.numeric, 'auto');
  t.strictSame(spec.split, { weights: [0.7, 0.3], seed: 2018 });
  t.equal(spec.model.maxIter, 10);
  t.equal(spec.model.regParam, 0);
  t.equal(spec.output.path, path.join(examples, 'out', 'bank-lr'));
  t.equal(spec.output.mode, 'overwrite');
});

t.test('job-spec-parser: model.family and pipeline.weight', async (t) => {
  const spec = await parse(t, `${MINIMAL}  weight: w\nmodel:\n  family: multinomial\n`);
  t.equal(spec.model.family, 'multinomial');
  t.equal(spec.pipeline.weight, 'w');
  t.notOk('weight' in (await parse(t, MINIMAL)).pipeline, 'no weight column unless named');
  let err = await failure(t, `${MINIMAL}model:\n  family: softmax\n`);
  t.match(err.message, /model\.family: expected one of "auto", "binomial", "multinomial"/);
  err = await failure(t, `${MINIMAL}  weight: deposit\n`);
  t.match(err.message, /pipeline\.weight: "deposit" is the label column; it cannot be the weight column/);
  err = await failure(t, `${MINIMAL}  weight: age\n  numeric: [age]\n`);
  t.match(err.message, /pipeline\.numeric\[0\]: "age" is already listed at pipeline\.weight/);
});
