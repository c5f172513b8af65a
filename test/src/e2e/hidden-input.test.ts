/**
 * Cluster mode with executors that cannot open the job's input, as pods without a shared
 * volume: each executor process runs in its own mount namespace (`unshare -m`) where the data
 * directory is covered by an empty tmpfs, so every byte comes from the driver over
 * fetch-range. The job must give local mode's bits, and each input byte must cross NATS
 * once per job (the one-pass scan reads it; the load conforms the cached blocks).
 * Needs root (unshare -m); skipped with the reason otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parseJobSpecFile, type JobResult } from '@kindling/coordinator';
import { NatsTransport } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankCsv, bankJob, repoRoot } from '../harness/paths.js';
import { runLocal } from '../harness/run-local.js';
import { runOnCluster } from '../harness/run-cluster.js';

const executorMain = resolve(repoRoot, 'executor/dist/src/main.js');
const scratch = mkdtempSync(join(tmpdir(), 'kindling-hidden-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const dataDir = join(scratch, 'data');
mkdirSync(dataDir);
const csv = join(dataDir, 'bank.csv');
copyFileSync(bankCsv, csv);

/** Runs `cmd` with `dataDir` hidden under an empty tmpfs in a private mount namespace. */
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
const probe = spawnSync('unshare', hidden(['sh', '-c', `test ! -e '${csv}'`]));
const why = probe.error
  ? `unshare: ${probe.error.message}`
  : probe.status !== 0
    ? `unshare -m is not permitted here: ${probe.stderr.toString().trim()}`
    : undefined;

t.test('cluster mode: executors that cannot open the input fetch each byte once and give local bits', { skip: why }, async (t) => {
  const spec = (name: string) => parseJobSpecFile(bankJob, { output: join(scratch, name), conf: { 'input.path': csv } });
  const local = await runLocal(await spec('local'), 2);

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
    const args = [
      process.execPath,
      executorMain,
      '--master',
      cluster.url,
      '--id',
      id,
      '--cores',
      '1',
      '--prefix',
      cluster.prefix,
      '--health-port',
      '0',
      '--heartbeat-ms',
      '250',
    ];
    const child = spawn('unshare', hidden(args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const at = outputs.push('') - 1;
    child.stdout!.on('data', (d: Buffer) => (outputs[at] += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (outputs[at] += d.toString()));
    children.push(child);
  }
  await cluster.waitForExecutors(2, 30_000);

  // A second subscriber on the drivers' fetch subjects sees every request (it never replies).
  const monitor = await NatsTransport.connect(cluster.connectionOptions('fetch-monitor'));
  t.teardown(() => monitor.close());
  const ranges: [number, number][] = [];
  monitor.subscribe(`${cluster.prefix}.driver.*.fetch`, (m) => {
    if (m.type === 'fetch-range') ranges.push([m.start, m.end]);
  });
  await monitor.flush();

  const r: JobResult = await runOnCluster(await spec('hidden'), cluster.connectionOptions('driver-hidden'));
  t.same(
    Buffer.from(r.coefficients.buffer, r.coefficients.byteOffset, r.coefficients.byteLength),
    Buffer.from(local.coefficients.buffer, local.coefficients.byteOffset, local.coefficients.byteLength),
    'coefficients bit-identical to local[2]',
  );
  t.ok(Object.is(r.intercept, local.intercept), 'intercept bit-identical');
  t.same(r.metrics, local.metrics, 'metrics identical');
  t.ok(
    outputs.every((o) => o.includes('fetching it from the driver')),
    'both executors report that they fetch the input',
  );

  const fileBytes = readFileSync(csv).byteLength;
  const headerEnd = readFileSync(csv).indexOf(0x0a) + 1;
  const shipped = ranges.reduce((a, [s, e]) => a + (e - s), 0);
  t.ok(ranges.length > 0, `${ranges.length} fetch-range requests seen`);
  t.equal(shipped, fileBytes - headerEnd, 'the data bytes crossed NATS exactly once, though inference and load both read them');
  const starts = ranges.map(([s]) => s);
  t.equal(new Set(starts).size, starts.length, 'no range was asked for twice');
});
