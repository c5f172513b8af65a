/**
 * Cluster mode with executors that cannot open the input (pods without a shared volume), for
 * the multi-file layouts: a folder of CSV part files and a Parquet file. As in
 * hidden-input.test.ts, each executor process runs in its own mount namespace where the data
 * folder is covered by an empty tmpfs, so every byte comes from the driver over fetch-range.
 * The jobs must give local mode's bits; the driver must serve exactly the job's files; each
 * CSV data byte crosses NATS once although inference and load both read it. Needs root
 * (unshare -m); skipped with the reason otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { NatsTransport } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { plannedCuts, writeBankParquet, writePartFiles } from '../harness/input-fixtures.js';
import { bankCsv, bankJob, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const executorMain = resolve(repoRoot, 'executor/dist/src/main.js');
const scratch = mkdtempSync(join(tmpdir(), 'kindling-hidden-layouts-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const dataDir = join(scratch, 'data');
mkdirSync(dataDir);

const hidden = (cmd: string[]): string[] => [
  '-m',
  '--propagation',
  'private',
  'sh',
  '-c',
  'mount -t tmpfs tmpfs "$0" && exec "$@"',
  dataDir,
  ...cmd,
];
const probe = spawnSync('unshare', hidden(['sh', '-c', `test ! -e '${dataDir}/x'`]));
const why = probe.error
  ? `unshare: ${probe.error.message}`
  : probe.status !== 0
    ? `unshare -m is not permitted here: ${probe.stderr.toString().trim()}`
    : undefined;

function same(t: Test, got: JobResult, want: JobResult, what: string): void {
  const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  t.same(bits(got.coefficients), bits(want.coefficients), `${what}: coefficients bit-identical to local[2]`);
  t.ok(Object.is(got.intercept, want.intercept), `${what}: intercept bit-identical`);
  t.same(got.metrics, want.metrics, `${what}: metrics identical`);
}

t.test(
  'cluster mode: executors that cannot open a folder of part files or a Parquet file fetch them and give local bits',
  { skip: why },
  async (t) => {
    const parts = writePartFiles(bankCsv, await plannedCuts(bankCsv, 4), join(dataDir, 'bank-parts'));
    const parquet = join(dataDir, 'bank.parquet');
    await writeBankParquet(parquet, 4096);
    const spec = (name: string, path: string, partitions: number) =>
      parseJobSpecFile(bankJob, {
        output: join(scratch, name),
        conf: { 'input.path': path, 'input.partitions': String(partitions), 'model.maxIter': '30' },
      });

    const cluster = await LocalCluster.start(0);
    t.teardown(() => cluster.stop());
    const children: ChildProcess[] = [];
    const outputs: string[] = [];
    t.teardown(async () => {
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => (c.once('exit', r), c.kill('SIGTERM'))),
        ),
      );
    });
    for (const id of ['hidden-0', 'hidden-1']) {
      const args = [process.execPath, executorMain, '--master', cluster.url, '--id', id, '--cores', '1', '--prefix', cluster.prefix];
      const child = spawn('unshare', hidden([...args, '--health-port', '0', '--heartbeat-ms', '250']), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const at = outputs.push('') - 1;
      child.stdout!.on('data', (d: Buffer) => (outputs[at] += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (outputs[at] += d.toString()));
      children.push(child);
    }
    await cluster.waitForExecutors(2, 30_000);

    const monitor = await NatsTransport.connect(cluster.connectionOptions('fetch-monitor'));
    t.teardown(() => monitor.close());
    const ranges: { file: string; start: number; end: number }[] = [];
    monitor.subscribe(`${cluster.prefix}.driver.*.fetch`, (m) => {
      if (m.type === 'fetch-range') ranges.push({ file: m.file, start: m.start, end: m.end });
    });
    await monitor.flush();

    // A folder of part files: schema inference, then load, each partition fetched once.
    const folder = join(dataDir, 'bank-parts');
    const localDir = await runLocal(await spec('local-dir', folder, 4), 2);
    const dir = await runOnCluster(await spec('hidden-dir', folder, 4), cluster.connectionOptions('driver-dir'));
    same(t, dir, localDir, 'folder');
    t.ok(
      outputs.every((o) => o.includes('fetching it from the driver')),
      'both executors report that they fetch the input',
    );
    t.same([...new Set(ranges.map((r) => r.file))].sort(), parts, 'the executors asked for exactly the part files');
    for (const p of parts) {
      const bytes = readFileSync(p);
      const data = bytes.length - (bytes.indexOf(0x0a) + 1);
      const shipped = ranges.filter((r) => r.file === p).reduce((a, r) => a + (r.end - r.start), 0);
      t.equal(shipped, data, `${p.slice(folder.length + 1)}: its data bytes crossed NATS exactly once`);
    }

    // A Parquet file: row-group spans plus the footer, no inference pass.
    ranges.length = 0;
    const localPq = await runLocal(await spec('local-pq', parquet, 3), 2);
    const pq = await runOnCluster(await spec('hidden-pq', parquet, 3), cluster.connectionOptions('driver-pq'));
    same(t, pq, localPq, 'parquet');
    t.ok(ranges.length > 0 && ranges.every((r) => r.file === parquet), `${ranges.length} fetch-range requests, all for the Parquet file`);
    const size = statSync(parquet).size;
    t.ok(
      ranges.every((r) => r.start >= 4 && r.end <= size),
      'every range lies within the file, after its leading magic',
    );
  },
);
