// Parquet writers side by side, for the "kept library vs home-made writer" decision (issue #11):
// the home-made writer (coordinator/src/artifacts/parquet-file-writer.ts, through the real
// PredictionsWriter / writeFeaturesPart and through writeParquetTable, the column-wise API),
// hyparquet-writer 0.17.0 (raw, typed arrays in, statistics off: the library's floor; -plain also
// skips its dictionary attempt) and @dsnp/parquetjs 1.8.8 (on a subset: ~63k rows/s). Shapes:
// predictions (rowId INT64, label, probability, prediction DOUBLE; uncompressed, 65,536-row
// groups, as predictions-writer.ts writes them); scored (what `kindling predict --keep job`
// writes: rowId, a string column, a dense probability VectorUDT, prediction); features (rowId,
// label, sparse VectorUDT of 30 slots with ~10 non-zeros; GZIP, as features-writer.ts writes them).
// Each run is a fresh child process (so peak RSS is the writer's own); runs are interleaved and
// medians reported. Run after `npx tsc -b`:
//   node scripts/bench/parquet-writer.mjs [--rows 3000000] [--feature-rows 1000000] [--subset 300000] [--runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const here = fileURLToPath(import.meta.url);
const root = join(here, '../../..');
const artifacts = join(root, 'coordinator/dist/src/artifacts');

/** Deterministic pseudo-random doubles (xorshift), so every variant writes the same values. */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function predictionRows(n) {
  const r = rng(7);
  const rowIds = new Float64Array(n);
  const label = new Float64Array(n);
  const probability = new Float64Array(n);
  const prediction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rowIds[i] = i * 3 + 1;
    label[i] = r() < 0.3 ? 1 : 0;
    probability[i] = r();
    prediction[i] = probability[i] > 0.5 ? 1 : 0;
  }
  return { rowIds, label, probability, prediction };
}

/** A bank-like DesignBlock: 6 numeric inputs (slots 24–29), 8 categorical (slots 0–23, -1 = dropped last). */
function designBlock(n) {
  const r = rng(11);
  const numNumeric = 6;
  const numCategorical = 8;
  const sizes = [11, 2, 3, 1, 1, 1, 2, 3];
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const numeric = new Float64Array(n * numNumeric);
  const categorical = new Int32Array(n * numCategorical);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < numNumeric; j++) numeric[i * numNumeric + j] = r() < 0.2 ? 0 : Math.round(r() * 1000);
    for (let c = 0; c < numCategorical; c++) {
      const v = Math.floor(r() * (sizes[c] + 1));
      categorical[i * numCategorical + c] = v === sizes[c] ? -1 : offsets[c] + v;
    }
  }
  const rowIds = Float64Array.from({ length: n }, (_, i) => i);
  const label = Float64Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  return { numRows: n, rowIds, label, numeric, numNumeric, categorical, numCategorical };
}

const NUMERIC_SLOTS = [24, 25, 26, 27, 28, 29];
const NUM_FEATURES = 30;

/** The features block as per-row sparse vectors (what a row-shaped library needs). */
function sparseRows(block) {
  const out = new Array(block.numRows);
  for (let i = 0; i < block.numRows; i++) {
    const entries = [];
    for (let c = 0; c < block.numCategorical; c++) {
      const s = block.categorical[i * block.numCategorical + c];
      if (s >= 0) entries.push([s, 1]);
    }
    for (let j = 0; j < block.numNumeric; j++) {
      const v = block.numeric[i * block.numNumeric + j];
      if (v !== 0) entries.push([NUMERIC_SLOTS[j], v]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    out[i] = { type: 0, size: NUM_FEATURES, indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) };
  }
  return out;
}

function listSchema(name, type) {
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type, repetition_type: 'REQUIRED' },
  ];
}

async function child(variant, n, dir) {
  const file = join(dir, 'part-00000.parquet');
  const shape = variant.startsWith('features') ? 'features' : 'predictions';
  const data = shape === 'predictions' ? predictionRows(n) : designBlock(n);
  if (variant.startsWith('scored')) {
    // `kindling predict --keep id,job`: a pass-through string column and the probability vector.
    const jobs = ['admin.', 'blue-collar', 'management', 'technician', 'services', 'retired'];
    data.job = Array.from({ length: n }, (_, i) => jobs[i % jobs.length]);
    data.probability2 = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      data.probability2[2 * i] = 1 - data.probability[i];
      data.probability2[2 * i + 1] = data.probability[i];
    }
  }
  // Modules load before the clock starts: the figure is the write, not the import.
  const mods = {
    predictions: await import(join(artifacts, 'predictions-writer.js')),
    features: await import(join(artifacts, 'features-writer.js')),
    table: await import(join(artifacts, 'parquet-table-writer.js')),
    hyparquet: await import('hyparquet-writer'),
    parquetjs: variant.endsWith('parquetjs') ? await import('@dsnp/parquetjs') : undefined,
    zlib: await import('node:zlib'),
  };
  const t0 = performance.now();
  if (variant === 'predictions:home-made') {
    const { PredictionsWriter } = mods.predictions;
    const w = await PredictionsWriter.open(dir);
    await w.writePart(0, data);
    await w.close();
  } else if (variant === 'predictions:table-writer') {
    const { writeParquetTable } = mods.table;
    await writeParquetTable(
      file,
      [
        { name: 'rowId', type: 'long', values: data.rowIds },
        { name: 'label', type: 'double', values: data.label },
        { name: 'probability', type: 'double', values: data.probability },
        { name: 'prediction', type: 'double', values: data.prediction },
      ],
      { codec: 'UNCOMPRESSED', rowGroupSize: 65_536 },
    );
  } else if (variant === 'predictions:hyparquet-raw' || variant === 'predictions:hyparquet-raw-plain') {
    // -plain: PLAIN encoding forced, so the library skips its dictionary attempt (the home-made writer writes PLAIN).
    const { parquetWriteFile } = mods.hyparquet;
    const encoding = variant.endsWith('-plain') ? { encoding: 'PLAIN' } : {};
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'rowId', data: BigInt64Array.from(data.rowIds, (x) => BigInt(x)), ...encoding },
        { name: 'label', data: data.label, ...encoding },
        { name: 'probability', data: data.probability, ...encoding },
        { name: 'prediction', data: data.prediction, ...encoding },
      ],
      schema: [
        { name: 'spark_schema', num_children: 4 },
        { name: 'rowId', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'label', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'probability', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'prediction', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ],
      codec: 'UNCOMPRESSED',
      statistics: false,
      rowGroupSize: 65_536,
    });
  } else if (variant === 'predictions:parquetjs') {
    const { ParquetWriter, ParquetSchema } = mods.parquetjs;
    const schema = new ParquetSchema({
      rowId: { type: 'INT64' },
      label: { type: 'DOUBLE' },
      probability: { type: 'DOUBLE' },
      prediction: { type: 'DOUBLE' },
    });
    const w = await ParquetWriter.openFile(schema, file, { rowGroupSize: 65_536 });
    for (let i = 0; i < n; i++) {
      await w.appendRow({
        rowId: BigInt(data.rowIds[i]),
        label: data.label[i],
        probability: data.probability[i],
        prediction: data.prediction[i],
      });
    }
    await w.close();
  } else if (variant === 'scored:table-writer') {
    const { writeParquetTable } = mods.table;
    await writeParquetTable(
      file,
      [
        { name: 'rowId', type: 'long', values: data.rowIds },
        { name: 'job', type: 'string', values: data.job },
        { name: 'probability', type: 'vector', size: 2, values: data.probability2 },
        { name: 'prediction', type: 'double', values: data.prediction },
      ],
      { codec: 'UNCOMPRESSED', rowGroupSize: 65_536 },
    );
  } else if (variant === 'scored:hyparquet') {
    const { parquetWriteFile } = mods.hyparquet;
    const vectors = new Array(n);
    for (let i = 0; i < n; i++)
      vectors[i] = { type: 1, size: null, indices: null, values: [data.probability2[2 * i], data.probability2[2 * i + 1]] };
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'rowId', data: BigInt64Array.from(data.rowIds, (x) => BigInt(x)) },
        { name: 'job', data: data.job },
        { name: 'probability', data: vectors },
        { name: 'prediction', data: data.prediction },
      ],
      schema: [
        { name: 'spark_schema', num_children: 4 },
        { name: 'rowId', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'job', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'probability', repetition_type: 'OPTIONAL', num_children: 4 },
        { name: 'type', type: 'INT32', converted_type: 'INT_8', repetition_type: 'REQUIRED' },
        { name: 'size', type: 'INT32', repetition_type: 'OPTIONAL' },
        ...listSchema('indices', 'INT32'),
        ...listSchema('values', 'DOUBLE'),
        { name: 'prediction', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ],
      codec: 'UNCOMPRESSED',
      statistics: false,
      rowGroupSize: 65_536,
    });
  } else if (variant === 'features:home-made') {
    const { writeFeaturesPart } = mods.features;
    await writeFeaturesPart(dir, 0, data, NUMERIC_SLOTS, NUM_FEATURES);
  } else if (variant === 'features:hyparquet') {
    const { parquetWriteFile } = mods.hyparquet;
    const { zlib } = mods;
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'rowId', data: BigInt64Array.from(data.rowIds, (x) => BigInt(x)) },
        { name: 'label', data: data.label },
        { name: 'features', data: sparseRows(data) },
      ],
      schema: [
        { name: 'spark_schema', num_children: 3 },
        { name: 'rowId', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'label', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        { name: 'features', repetition_type: 'OPTIONAL', num_children: 4 },
        { name: 'type', type: 'INT32', converted_type: 'INT_8', repetition_type: 'REQUIRED' },
        { name: 'size', type: 'INT32', repetition_type: 'OPTIONAL' },
        ...listSchema('indices', 'INT32'),
        ...listSchema('values', 'DOUBLE'),
      ],
      codec: 'GZIP',
      compressors: { GZIP: (b) => zlib.gzipSync(b, { level: 6 }) },
      statistics: false,
      rowGroupSize: 16_384,
    });
  } else throw new Error(`unknown variant ${variant}`);
  const ms = performance.now() - t0;
  const bytes = readdirSync(dir)
    .filter((f) => f.endsWith('.parquet'))
    .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  const rawBytes = variant.startsWith('scored')
    ? n * 32 + data.job.reduce((sum, j) => sum + j.length, 0)
    : shape === 'predictions'
      ? n * 32
      : n * 16 + data.numeric.length * 8 + data.categorical.length * 4;
  process.stdout.write(JSON.stringify({ ms, bytes, rawBytes, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

if (opt('child') !== undefined) {
  await child(opt('child'), Number(opt('rows')), opt('dir'));
  process.exit(0);
}

const rows = Number(opt('rows', 3_000_000));
const featureRows = Number(opt('feature-rows', 1_000_000));
const subset = Number(opt('subset', 300_000));
const runs = Number(opt('runs', 3));
const variants = [
  ['predictions:home-made', rows],
  ['predictions:table-writer', rows],
  ['predictions:hyparquet-raw', rows],
  ['predictions:hyparquet-raw-plain', rows],
  ['predictions:home-made', subset],
  ['predictions:parquetjs', subset],
  ['scored:table-writer', rows],
  ['scored:hyparquet', rows],
  ['features:home-made', featureRows],
  ['features:hyparquet', featureRows],
];
const results = new Map();
for (let r = 0; r < runs; r++) {
  for (const [variant, n] of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-pq-bench-'));
    try {
      const out = execFileSync(
        process.execPath,
        ['--max-old-space-size=8192', here, '--child', variant, '--rows', String(n), '--dir', dir],
        {
          cwd: join(root, 'coordinator'),
          encoding: 'utf8',
        },
      );
      const key = `${variant} @${n}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push(JSON.parse(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(`runs: ${runs} per variant (interleaved, one child process each); medians`);
console.log('variant                              rows       ms      rows/s     MB/s(in)  file MB  peak RSS MB');
for (const [key, list] of results) {
  const [variant, at] = key.split(' @');
  const n = Number(at);
  const ms = median(list.map((x) => x.ms));
  const bytes = median(list.map((x) => x.bytes));
  const raw = list[0].rawBytes;
  const rss = median(list.map((x) => x.maxRssMB));
  console.log(
    `${variant.padEnd(34)} ${String(n).padStart(8)} ${ms.toFixed(0).padStart(8)} ${Math.round((n / ms) * 1000)
      .toLocaleString('en-US')
      .padStart(
        11,
      )} ${(raw / 1e6 / (ms / 1000)).toFixed(1).padStart(11)} ${(bytes / 1e6).toFixed(1).padStart(8)} ${rss.toFixed(0).padStart(12)}`,
  );
}
