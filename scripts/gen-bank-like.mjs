#!/usr/bin/env node
/**
 * Bank-like CSV generator for benchmarks: writes any number of rows with bank.csv's exact header,
 * bank-like marginals, and a `deposit` label drawn from a logistic model with planted coefficients
 * (the features of examples/bank-lr), plus `<out>.truth.json` recording those coefficients.
 * Called by hand and by scripts/bench/end-to-end.mjs (--rows N). Plain Node ESM, no dependencies;
 * rows are streamed in chunks so 10M rows run in constant memory, and a seeded PRNG makes the
 * same command produce the same bytes.
 *
 *   node scripts/gen-bank-like.mjs --rows 1000000 --out scripts/bench/data/bank-1m.csv [--seed 7]
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';

const HEADER = 'age,job,marital,education,default,balance,housing,loan,contact,day,month,duration,campaign,pdays,previous,poutcome,deposit';

/**
 * Category counts of /work/shared/data/bank.csv (n = 11,162), in Spark StringIndexer order
 * (frequency descending, ties alphabetical): the generator draws with these frequencies.
 */
const CATEGORIES = {
  job: [
    ['management', 2566],
    ['blue-collar', 1944],
    ['technician', 1823],
    ['admin.', 1334],
    ['services', 923],
    ['retired', 778],
    ['self-employed', 405],
    ['student', 360],
    ['unemployed', 357],
    ['entrepreneur', 328],
    ['housemaid', 274],
    ['unknown', 70],
  ],
  marital: [
    ['married', 6351],
    ['single', 3518],
    ['divorced', 1293],
  ],
  education: [
    ['secondary', 5476],
    ['tertiary', 3689],
    ['primary', 1500],
    ['unknown', 497],
  ],
  default: [
    ['no', 10994],
    ['yes', 168],
  ],
  housing: [
    ['no', 5881],
    ['yes', 5281],
  ],
  loan: [
    ['no', 9702],
    ['yes', 1460],
  ],
  contact: [
    ['cellular', 8042],
    ['unknown', 2346],
    ['telephone', 774],
  ],
  month: [
    ['may', 2824],
    ['aug', 1519],
    ['jul', 1514],
    ['jun', 1222],
    ['nov', 943],
    ['apr', 923],
    ['feb', 776],
    ['oct', 392],
    ['jan', 344],
    ['sep', 319],
    ['mar', 276],
    ['dec', 110],
  ],
  poutcome: [
    ['unknown', 8326],
    ['failure', 1228],
    ['success', 1071],
    ['other', 537],
  ],
};

/**
 * Integer columns: rounded lognormal draws truncated to bank.csv's [min, max]. The lognormal
 * parameters were fitted to bank.csv's quantiles (log-mean / log-sd of the column, or of its
 * positive / negative part), which gives the same right skew: long tails on balance, duration,
 * campaign, pdays and previous. pdays and previous only exist for clients contacted before:
 * poutcome 'unknown' ⇔ pdays = -1 and previous = 0, as in bank.csv (8,324 of 8,326 rows).
 */
const NUMERIC = {
  age: { min: 18, max: 95, shift: 17, logMean: 3.08, logSd: 0.48 },
  balance: {
    min: -6847,
    max: 81204,
    pNegative: 0.0616,
    negLogMean: 5.48,
    negLogSd: 1.2,
    pZero: 0.0693,
    posLogMean: 6.45,
    posLogSd: 1.35,
  },
  day: { min: 1, max: 31, uniform: true },
  duration: { min: 2, max: 3881, logMean: 5.53, logSd: 0.88 },
  campaign: { min: 1, max: 63, logMean: 0.55, logSd: 0.8 },
  pdays: { min: -1, max: 854, whenContacted: { min: 1, logMean: 5.2, logSd: 0.6 }, otherwise: -1 },
  previous: { min: 0, max: 58, whenContacted: { min: 1, logMean: 0.75, logSd: 0.8 }, otherwise: 0 },
};

/**
 * The planted model, on the features examples/bank-lr uses: one-hot of job, marital, education,
 * housing, loan, poutcome with the MOST frequent category as reference (coefficient 0), and
 * age, balance, duration, campaign, pdays, previous standardised as (x - center) / scale with
 * bank.csv's mean and population sd. Values are a converged unregularised fit on bank.csv,
 * rounded, with the near-zero age/pdays/previous effects raised so they are identifiable; the
 * intercept is calibrated so about 47% of generated rows are 'yes' (bank.csv: 47.4%).
 */
const PLANTED = {
  intercept: 0.08,
  categorical: {
    job: {
      'blue-collar': -0.18,
      technician: 0.07,
      'admin.': 0.31,
      services: -0.08,
      retired: 0.75,
      'self-employed': -0.22,
      student: 1.03,
      unemployed: 0.15,
      entrepreneur: -0.25,
      housemaid: -0.19,
      unknown: -0.21,
    },
    marital: { single: 0.29, divorced: 0.13 },
    education: { tertiary: 0.35, primary: -0.28, unknown: 0.02 },
    housing: { yes: -1.02 },
    loan: { yes: -0.59 },
    poutcome: { failure: 0.6, success: 2.78, other: 0.72 },
  },
  numeric: {
    age: { coef: 0.1, center: 41.231947679627304, scale: 11.912835522799886 },
    balance: { coef: 0.11, center: 1528.5385235620856, scale: 3225.2688408373356 },
    duration: { coef: 1.76, center: 371.99381831213043, scale: 347.1128358076505 },
    campaign: { coef: -0.31, center: 2.508421429851281, scale: 2.721955243919557 },
    pdays: { coef: 0.1, center: 51.33040673714388, scale: 108.75341005304163 },
    previous: { coef: 0.1, center: 0.8325568894463358, scale: 2.291904546274857 },
  },
};

/** mulberry32: tiny, fast 32-bit PRNG; enough for synthetic data and fully reproducible. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseArgs(argv) {
  const opts = { rows: undefined, out: undefined, seed: 7 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [key, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    if (key === '--rows') opts.rows = parseCount(value(), '--rows');
    else if (key === '--out') opts.out = value();
    else if (key === '--seed') opts.seed = parseCount(value(), '--seed');
    else if (key === '--help' || key === '-h') usage(0);
    else fail(`unknown argument '${arg}'`);
  }
  if (opts.rows === undefined || opts.out === undefined) fail('--rows and --out are required');
  return opts;
}

/** Accepts 1000000, 1_000_000, 1e6, 1m, 10M, 500k. */
function parseCount(text, name) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmM]?)$/.exec(text.trim());
  const n = m ? Number(m[1].replaceAll('_', '')) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) fail(`${name} must be a non-negative integer, got '${text}'`);
  return n;
}

function usage(code) {
  process.stdout.write(
    'usage: node scripts/gen-bank-like.mjs --rows N --out FILE.csv [--seed 7]\n' +
      'Writes FILE.csv (bank.csv header, bank-like marginals, planted logistic label) and FILE.csv.truth.json.\n',
  );
  process.exit(code);
}

function fail(message) {
  process.stderr.write(`gen-bank-like: ${message}\n`);
  process.exit(2);
}

/** Cumulative-probability sampler over one column's categories. */
function categorical(entries) {
  const total = entries.reduce((s, [, c]) => s + c, 0);
  const names = entries.map(([name]) => name);
  const cdf = [];
  let acc = 0;
  for (const [, c] of entries) cdf.push((acc += c) / total);
  cdf[cdf.length - 1] = 1;
  // Linear scan: at most 12 categories, most mass in the first few.
  const pick = (u) => {
    let i = 0;
    while (u >= cdf[i]) i++;
    return i;
  };
  return { names, pick };
}

const CHUNK_BYTES = 1 << 20;
/** A row is under 200 bytes; flushing past this mark leaves room for one more. */
const FLUSH_AT = CHUNK_BYTES - 1024;

/**
 * Fixed-size byte buffer in front of a write stream: fields are copied / formatted straight into
 * it and each full buffer is written out before it is refilled, so memory stays constant.
 */
class ByteSink {
  constructor(stream, path) {
    this.stream = stream;
    stream.on('error', (e) => fail(`cannot write ${path}: ${e.message}`));
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.pos = 0;
    this.written = 0;
  }
  bytes(b) {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  /** Writes a (possibly negative) integer followed by a comma. */
  int(n) {
    const buf = this.buf;
    if (n < 0) {
      buf[this.pos++] = 0x2d;
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at + 1;
    buf[at] = 0x2c;
    do {
      buf[--at] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }
  text(t) {
    this.pos += this.buf.write(t, this.pos, 'latin1');
  }
  async flush() {
    if (this.pos === 0) return;
    const full = this.buf.subarray(0, this.pos);
    this.written += this.pos;
    // Wait until the stream has written this chunk, then reuse the same buffer: one buffer for
    // the whole run, so memory stays flat however many rows are generated.
    await new Promise((done, failed) => this.stream.write(full, (e) => (e ? failed(e) : done())));
    this.pos = 0;
  }
  async close() {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/** Generates rows into `out`; returns the number of bytes written. */
async function generate({ rows, out, seed }) {
  const rand = mulberry32(seed);
  // Box–Muller, one normal per call (the second is discarded so the draw sequence per row is fixed).
  const normal = () => {
    const u1 = 1 - rand();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
  };
  // shift + sign * exp(N(logMean, logSd)), rounded, redrawn until it lands in [min, max]: a
  // truncated distribution, so the tails do not pile up on the bounds the way clamping would.
  const lognormalInt = (logMean, logSd, min, max, shift = 0, sign = 1) => {
    for (;;) {
      const r = Math.round(shift + sign * Math.exp(logMean + logSd * normal()));
      if (r >= min && r <= max) return r;
    }
  };

  const samplers = Object.fromEntries(Object.entries(CATEGORIES).map(([k, v]) => [k, categorical(v)]));
  // Per-category logit contribution, indexed like the sampler's names (reference / unmodelled = 0).
  const effect = Object.fromEntries(
    Object.entries(samplers).map(([col, s]) => [col, s.names.map((n) => PLANTED.categorical[col]?.[n] ?? 0)]),
  );
  const num = PLANTED.numeric;
  const N = NUMERIC;
  const unknownPoutcome = samplers.poutcome.names.indexOf('unknown');

  const sink = new ByteSink(createWriteStream(out), out);
  sink.text(HEADER + '\n');
  // Category names pre-encoded once; rows are written as bytes, not strings, to spare the GC.
  const bytesOf = Object.fromEntries(Object.entries(samplers).map(([col, s]) => [col, s.names.map((n) => Buffer.from(`${n},`, 'latin1'))]));
  const YES = Buffer.from('yes\n');
  const NO = Buffer.from('no\n');

  for (let r = 0; r < rows; r++) {
    const age = lognormalInt(N.age.logMean, N.age.logSd, N.age.min, N.age.max, N.age.shift);
    const job = samplers.job.pick(rand());
    const marital = samplers.marital.pick(rand());
    const education = samplers.education.pick(rand());
    const deflt = samplers.default.pick(rand());
    const b = N.balance;
    const ub = rand();
    const balance =
      ub < b.pNegative
        ? lognormalInt(b.negLogMean, b.negLogSd, b.min, -1, 0, -1)
        : ub < b.pNegative + b.pZero
          ? 0
          : lognormalInt(b.posLogMean, b.posLogSd, 1, b.max);
    const housing = samplers.housing.pick(rand());
    const loan = samplers.loan.pick(rand());
    const contact = samplers.contact.pick(rand());
    const day = N.day.min + Math.floor(rand() * (N.day.max - N.day.min + 1));
    const month = samplers.month.pick(rand());
    const duration = lognormalInt(N.duration.logMean, N.duration.logSd, N.duration.min, N.duration.max);
    const campaign = lognormalInt(N.campaign.logMean, N.campaign.logSd, N.campaign.min, N.campaign.max);
    const poutcome = samplers.poutcome.pick(rand());
    let pdays = N.pdays.otherwise;
    let previous = N.previous.otherwise;
    if (poutcome !== unknownPoutcome) {
      const pc = N.pdays.whenContacted;
      const vc = N.previous.whenContacted;
      pdays = lognormalInt(pc.logMean, pc.logSd, pc.min, N.pdays.max);
      previous = lognormalInt(vc.logMean, vc.logSd, vc.min, N.previous.max);
    }

    const eta =
      PLANTED.intercept +
      effect.job[job] +
      effect.marital[marital] +
      effect.education[education] +
      effect.housing[housing] +
      effect.loan[loan] +
      effect.poutcome[poutcome] +
      (num.age.coef * (age - num.age.center)) / num.age.scale +
      (num.balance.coef * (balance - num.balance.center)) / num.balance.scale +
      (num.duration.coef * (duration - num.duration.center)) / num.duration.scale +
      (num.campaign.coef * (campaign - num.campaign.center)) / num.campaign.scale +
      (num.pdays.coef * (pdays - num.pdays.center)) / num.pdays.scale +
      (num.previous.coef * (previous - num.previous.center)) / num.previous.scale;
    const deposit = rand() < 1 / (1 + Math.exp(-eta));

    sink.int(age);
    sink.bytes(bytesOf.job[job]);
    sink.bytes(bytesOf.marital[marital]);
    sink.bytes(bytesOf.education[education]);
    sink.bytes(bytesOf.default[deflt]);
    sink.int(balance);
    sink.bytes(bytesOf.housing[housing]);
    sink.bytes(bytesOf.loan[loan]);
    sink.bytes(bytesOf.contact[contact]);
    sink.int(day);
    sink.bytes(bytesOf.month[month]);
    sink.int(duration);
    sink.int(campaign);
    sink.int(pdays);
    sink.int(previous);
    sink.bytes(bytesOf.poutcome[poutcome]);
    sink.bytes(deposit ? YES : NO);
    if (sink.pos >= FLUSH_AT) await sink.flush();
  }
  await sink.close();
  return sink.written;
}

/**
 * The planted model in three equivalent forms, so a fitted model can be compared directly:
 * as planted (most frequent category as reference, standardised numerics), re-based on the LEAST
 * frequent category (Spark StringIndexer frequencyDesc + OneHotEncoder dropLast, what bank-lr and
 * the sklearn baseline fit), and that form on raw (unstandardised) numerics, as Spark reports.
 */
function truthDocument(opts, bytes) {
  const mostFrequentRef = { intercept: PLANTED.intercept, coefficients: {} };
  const leastFrequentRef = { intercept: PLANTED.intercept, coefficients: {} };
  for (const [col, effects] of Object.entries(PLANTED.categorical)) {
    const names = CATEGORIES[col].map(([n]) => n);
    const beta = (n) => effects[n] ?? 0;
    const leastRef = beta(names[names.length - 1]);
    leastFrequentRef.intercept += leastRef;
    for (const n of names.slice(1)) mostFrequentRef.coefficients[`${col}_${n}`] = beta(n);
    for (const n of names.slice(0, -1)) leastFrequentRef.coefficients[`${col}_${n}`] = beta(n) - leastRef;
  }
  const rawLeast = { intercept: leastFrequentRef.intercept, coefficients: { ...leastFrequentRef.coefficients } };
  for (const [col, { coef, center, scale }] of Object.entries(PLANTED.numeric)) {
    mostFrequentRef.coefficients[col] = coef;
    leastFrequentRef.coefficients[col] = coef;
    rawLeast.coefficients[col] = coef / scale;
    rawLeast.intercept -= (coef * center) / scale;
  }
  return {
    generator: 'scripts/gen-bank-like.mjs',
    rows: opts.rows,
    seed: opts.seed,
    bytes,
    prng: 'mulberry32 (normals by Box-Muller, one per pair of uniforms)',
    header: HEADER,
    label: { column: 'deposit', positive: 'yes', model: 'P(yes) = 1 / (1 + exp(-eta)), eta = intercept + sum(coef * feature)' },
    features:
      'one-hot of job, marital, education, housing, loan, poutcome; numeric age, balance, duration, campaign, pdays, previous; ' +
      'default, contact, day, month are generated but carry no effect',
    planted: {
      reference: 'most frequent category of each column (coefficient 0); numerics standardised as (x - center) / scale',
      intercept: PLANTED.intercept,
      categorical: PLANTED.categorical,
      numeric: PLANTED.numeric,
    },
    equivalentForms: {
      standardizedMostFrequentReference: mostFrequentRef,
      standardizedLeastFrequentReference: {
        note: 'Spark StringIndexer frequencyDesc + OneHotEncoder dropLast (the least frequent category is dropped)',
        ...leastFrequentRef,
      },
      rawLeastFrequentReference: {
        note: 'as above, numerics unstandardised (coefficient per unit of the raw column), as Spark LogisticRegressionModel reports',
        ...rawLeast,
      },
    },
    marginals: { categoricalCounts: Object.fromEntries(Object.entries(CATEGORIES)), numeric: NUMERIC },
  };
}

const opts = parseArgs(process.argv.slice(2));
const outPath = resolve(opts.out);
try {
  mkdirSync(dirname(outPath), { recursive: true });
} catch (e) {
  fail(`cannot create the folder of ${opts.out}: ${e.message}`);
}
const started = process.hrtime.bigint();
const bytes = await generate({ ...opts, out: outPath });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
writeFileSync(`${outPath}.truth.json`, JSON.stringify(truthDocument(opts, bytes), null, 2) + '\n');
process.stdout.write(
  `rows=${opts.rows} bytes=${bytes} seconds=${seconds.toFixed(2)} ` +
    `(${(bytes / 1e6 / seconds).toFixed(1)} MB/s) out=${opts.out} truth=${opts.out}.truth.json seed=${opts.seed}\n`,
);
