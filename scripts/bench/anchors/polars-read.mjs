#!/usr/bin/env node
/**
 * Anchor for reading a CSV into columns: nodejs-polars `readCSV` (Rust, multi-threaded, schema
 * inferred from the data) on one file, as a whole process. Prints one JSON object: the rows and
 * columns read and the milliseconds of the read itself (module loading excluded).
 *
 *   node scripts/bench/anchors/polars-read.mjs FILE.csv
 */
import pl from 'nodejs-polars';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/bench/anchors/polars-read.mjs FILE.csv\n');
  process.exit(2);
}
const started = performance.now();
// polars' default inference: types from the first 100 rows (Kindling infers from every row).
// A full-file inference (inferSchemaLength: 1e8) took 5× as long here; 0 or null read every
// column as text in 0.25.2.
const df = pl.readCSV(file, { hasHeader: true });
const readMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ engine: 'nodejs-polars 0.25.2', rows: df.height, columns: df.width, readMs })}\n`);
