// The bank-like DesignBlock the kernel benchmarks (gradient, evaluate, softmax-gradient) time:
// 6 numeric inputs and 8 one-hot inputs with the bank layout (24 slots, 30 features), in the
// wide storage (Float64 numeric values and labels, Int32 categorical indices), built from a
// seeded xorshift32 so every run and every script gets the same rows.
import { sharedFloat64, sharedInt32 } from '@kindling/shared';

// Bank layout, categorical first (spark-semantics.md §3): slots per input = labels − 1.
const LABELS_PER_INPUT = [12, 3, 4, 2, 2, 2, 3, 4]; // job, marital, education, default, housing, loan, contact, poutcome
const NUMERIC_RANGES = [
  [18, 95], // age
  [-6847, 81204], // balance
  [2, 3881], // duration
  [1, 63], // campaign
  [-1, 854], // pdays
  [0, 58], // previous
];
/** Coefficients of the numeric inputs in a plausible fitted model (margins stay realistic). */
const NUMERIC_SCALE = [0.01, 0.00002, 0.004, -0.1, 0.001, 0.05];

/** Deterministic xorshift32 in [0, 1). */
export function xorshift32(seed = 0x2018) {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/**
 * `rows` bank-like rows. Returns the block (labels 1 with probability 0.474), the uniform draw
 * `u` each label came from (for other label sets, e.g. K classes as floor(u·K)), the layout, and
 * the generator, which goes on where the rows left off.
 */
export function bankDesignBlock(rows) {
  if (!Number.isSafeInteger(rows) || rows < 1) {
    process.stderr.write(`rows must be a positive integer, got '${rows}'\n`);
    process.exit(2);
  }
  const rand = xorshift32();
  const numCategorical = LABELS_PER_INPUT.length;
  const numNumeric = NUMERIC_RANGES.length;
  const offsets = [];
  let at = 0;
  for (const n of LABELS_PER_INPUT) {
    offsets.push(at);
    at += n - 1;
  }
  const numericIndex = NUMERIC_RANGES.map((_, j) => at + j);
  const numFeatures = at + numNumeric;
  const block = {
    numRows: rows,
    rowIds: sharedFloat64(rows),
    label: sharedFloat64(rows),
    numeric: sharedFloat64(rows * numNumeric),
    numNumeric,
    categorical: sharedInt32(rows * numCategorical),
    numCategorical,
  };
  const u = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    block.rowIds[r] = r;
    u[r] = rand();
    block.label[r] = u[r] < 0.474 ? 1 : 0;
    for (let j = 0; j < numNumeric; j++) {
      const [lo, hi] = NUMERIC_RANGES[j];
      block.numeric[r * numNumeric + j] = Math.round(lo + (hi - lo) * rand() * rand()) + 0; // + 0: no -0, as in CSV data
    }
    for (let c = 0; c < numCategorical; c++) {
      // Skewed towards low indices, as frequencyDesc makes them; the last label is dropped (-1).
      const n = LABELS_PER_INPUT[c];
      const v = Math.min(n - 1, Math.floor(n * rand() * rand() * 1.5));
      block.categorical[r * numCategorical + c] = v === n - 1 ? -1 : offsets[c] + v;
    }
  }
  return { block, u, numericIndex, numFeatures, numNumeric, numCategorical, rand };
}

/** Coefficients of a plausible fitted model over `numFeatures` (class k of K scales the numeric ones by 1 + 0.1k). */
export function plausibleCoefficients(numFeatures, numericIndex, rand, k = 0) {
  const beta = new Float64Array(numFeatures);
  for (let f = 0; f < numFeatures; f++) beta[f] = (rand() - 0.5) * 0.5;
  numericIndex.forEach((f, j) => (beta[f] = NUMERIC_SCALE[j] * (1 + 0.1 * k)));
  return beta;
}
