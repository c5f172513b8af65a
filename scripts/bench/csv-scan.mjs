#!/usr/bin/env node
/**
 * The CSV read kernels on one thread, side by side in one process: this build's one-pass scan
 * (scanPartition) and conform, against another build's inference pass and load
 * (inferPartition + parsePartition) on the same in-memory partitions. Run by hand after
 * `npm run build`; prints medians and the machine.
 *
 *   node scripts/bench/csv-scan.mjs FILE.csv [--before DIR] [--reps 7] [--skip 4,8,9,10]
 *
 * --skip lists column indexes the scan skips (the bank job drops 4, 8, 9 and 10).
 */
import { fstatSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!file) {
  process.stderr.write('usage: node scripts/bench/csv-scan.mjs FILE.csv [--before DIR] [--reps 7] [--skip 4,8,9,10]\n');
  process.exit(2);
}
const reps = Number(opt('--reps', '7'));
const before = opt('--before', undefined);
const skip = opt('--skip', undefined)?.split(',').map(Number);
const NEW = await import(pathToFileURL(join(ROOT, 'shared/dist/src/index.js')).href);
const OLD = before ? await import(pathToFileURL(join(resolve(before), 'shared/dist/src/index.js')).href) : NEW;

const fd = openSync(file, 'r');
const size = fstatSync(fd).size;
const read = async (off, len) => {
  const b = Buffer.allocUnsafe(len);
  return b.subarray(0, readSync(fd, b, 0, len, off));
};
const csv = NEW.DEFAULT_CSV_OPTIONS;
const plan = await NEW.planCsvSplits({ file, fileSize: size, read, csv, maxPartitionBytes: 4 << 20 });
const parts = [];
for (const s of plan.sources) parts.push(await read(s.start, s.end - s.start));
const schema = OLD.mergeInferPartials(
  plan.sources.map((s, i) => OLD.inferPartition(parts[i], s, csv, null, size)),
  plan.columnNames,
);
const t = { infer: [], load: [], scan: [], conform: [] };
for (let rep = 0; rep < reps; rep++) {
  let at = performance.now();
  for (const [i, s] of plan.sources.entries()) OLD.inferPartition(parts[i], s, csv, null, size);
  t.infer.push(performance.now() - at);
  at = performance.now();
  for (const [i, s] of plan.sources.entries()) OLD.parsePartition(parts[i], s, csv, schema, 0, null, size);
  t.load.push(performance.now() - at);
  at = performance.now();
  const scanned = plan.sources.map((s, i) => NEW.scanPartition(parts[i], s, csv, null, size, skip));
  t.scan.push(performance.now() - at);
  at = performance.now();
  for (const sc of scanned) if (NEW.conformable(sc.batch, schema)) NEW.conformBatch(sc.batch, schema, 0);
  t.conform.push(performance.now() - at);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const [i, l, s, c] = [t.infer, t.load, t.scan, t.conform].map(median);
console.log(
  `${file}: ${(size / 1e6).toFixed(1)} MB in ${plan.sources.length} partitions, one thread, medians of ${reps}\n` +
    `  ${before ? `before (${before})` : 'this build'}: inference ${i.toFixed(0)} ms + load ${l.toFixed(0)} ms = ${(i + l).toFixed(0)} ms\n` +
    `  this build: scan ${s.toFixed(0)} ms + conform ${c.toFixed(0)} ms = ${(s + c).toFixed(0)} ms${skip ? ` (columns ${skip.join(', ')} skipped)` : ''}` +
    ` (${(size / 1e6 / (s / 1000)).toFixed(0)} MB/s scan)\n` +
    `  ratio: ${((i + l) / (s + c)).toFixed(2)}×; machine ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, node ${process.version}, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
