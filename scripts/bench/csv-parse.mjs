// CSV parsing throughput: inferPartition and parsePartition over ~16 MB partitions of a
// ~100 MB bank-like file (bank.csv's data rows repeated), median MB/s of 5 runs per pass.
// Design target: parsePartition ≥ 150 MB/s per core. Run after `npx tsc -b shared`:
//   node scripts/bench/csv-parse.mjs [--mb 100] [--partition-mb 16] [--runs 5]
import { mkdtempSync, openSync, readSync, fstatSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CSV_OPTIONS, planCsvSplits, inferPartition, parsePartition, mergeInferPartials } from '@kindling/shared';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const totalMB = opt('mb', 100);
const partitionMB = opt('partition-mb', 16);
const runs = opt('runs', 5);

const bankPath = process.env.BANK_CSV ?? '/work/shared/data/bank.csv';
const bank = readFileSync(bankPath);
const nl = bank.indexOf(10);
const header = bank.subarray(0, nl + 1);
const rows = bank.subarray(nl + 1);

const dir = mkdtempSync(join(tmpdir(), 'kindling-csv-bench-'));
const file = join(dir, 'bank-big.csv');
const copies = Math.max(1, Math.round((totalMB * 1e6) / rows.length));
writeFileSync(file, Buffer.concat([header, ...Array.from({ length: copies }, () => rows)]));

try {
  const fd = openSync(file, 'r');
  const fileSize = fstatSync(fd).size;
  const read = async (start, length) => {
    const b = Buffer.allocUnsafe(length);
    const n = readSync(fd, b, 0, length, start);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  };
  const csv = DEFAULT_CSV_OPTIONS;
  const t0 = performance.now();
  const plan = await planCsvSplits({ file, fileSize, read, csv, maxPartitionBytes: partitionMB * 1e6 });
  const planMs = performance.now() - t0;
  const parts = plan.sources.map((s) => {
    const b = Buffer.allocUnsafe(s.end - s.start);
    readSync(fd, b, 0, b.length, s.start);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  });
  closeSync(fd);

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Wall-clock MB/s, and MB/s per second of this process's CPU time (user + system): on a
  // shared machine the CPU figure is the per-core rate; wall time also counts waiting.
  const timeAll = (fn) => {
    const wall = [];
    const cpu = [];
    for (let r = 0; r < runs; r++) {
      let bytes = 0;
      let ms = 0;
      let cpuUs = 0;
      plan.sources.forEach((s, i) => {
        const c0 = process.cpuUsage();
        const t = performance.now();
        fn(parts[i], s);
        ms += performance.now() - t;
        const c = process.cpuUsage(c0);
        cpuUs += c.user + c.system;
        bytes += parts[i].length;
      });
      wall.push(bytes / 1e6 / (ms / 1e3));
      cpu.push(bytes / 1e6 / (cpuUs / 1e6));
    }
    return { wall, cpu };
  };
  const show = (name, r) =>
    console.log(
      `${name}: median ${median(r.wall).toFixed(1)} MB/s wall, ${median(r.cpu).toFixed(1)} MB/s per CPU-second ` +
        `(wall runs: ${r.wall.map((x) => x.toFixed(0)).join(', ')}; cpu runs: ${r.cpu.map((x) => x.toFixed(0)).join(', ')})`,
    );

  const partials = plan.sources.map((s, i) => inferPartition(parts[i], s, csv, null));
  const schema = mergeInferPartials(partials, plan.columnNames);
  const inferRates = timeAll((b, s) => inferPartition(b, s, csv, null));
  let rowsParsed = 0;
  const parseRates = timeAll((b, s) => {
    rowsParsed += parsePartition(b, s, csv, schema, 0, null).batch.numRows;
  });

  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), node ${process.version}`);
  console.log(
    `file: ${(fileSize / 1e6).toFixed(1)} MB, ${partials.reduce((a, p) => a + p.rowCount, 0)} rows, ` +
      `${plan.sources.length} partitions of ~${partitionMB} MB, planned in ${planMs.toFixed(1)} ms`,
  );
  console.log(`schema: ${schema.map((f) => `${f.name}:${f.type}`).join(', ')}`);
  show('inferPartition', inferRates);
  show('parsePartition', parseRates);
  console.log(
    `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (other processes share the cores)`,
  );
  if (rowsParsed !== runs * partials.reduce((a, p) => a + p.rowCount, 0)) throw new Error('row count mismatch');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
