/**
 * The Storage page and Spark's /storage/rdd API, from a real local-mode bank job's event log:
 * every partition's train and test blocks are listed where they were cached, with the bytes the
 * executor measured, which must equal what the design-block layout implies for the job's row
 * counts; a lost executor's partitions leave the page.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { StatusStore, WebUi, readEventLog } from '@kindling/coordinator';
import { bankJob, cliMain, repoRoot } from '../harness/paths.js';

interface RddInfo {
  id: number;
  name: string;
  numPartitions: number;
  numCachedPartitions: number;
  memoryUsed: number;
  dataDistribution?: Array<{ address: string; memoryUsed: number; partitions: number }>;
  partitions?: Array<{ blockName: string; memoryUsed: number; executors: string[] }>;
}

t.test('storage: cached blocks per partition and executor, with sizes computed from the data', async (t) => {
  const out = join(t.testdir({}), 'out');
  execFileSync(process.execPath, [cliMain, 'submit', '--master', 'local[2]', bankJob, '--output', out, '--no-ui', '--no-progress'], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
  const log = await readEventLog(join(out, 'eventlog.jsonl'));
  const store = new StatusStore();
  for (const r of log.records) store.apply(r);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
    rowCounts: { train: number; test: number };
    features: { numeric: string[]; categorical: string[] };
    partitions: unknown[];
    storage: { totalBytes: Record<string, number> };
  };
  const partitions = run.partitions.length;
  // A design block holds rowIds (Uint32: under 2^32), labels (Uint8: two classes), the numeric
  // inputs (Int32, row-major: every bank.csv number is an integer) and one Int8 feature index
  // per categorical input (under 128 slots; design-block.ts, narrow storage).
  const rowBytes = 4 + 1 + 4 * run.features.numeric.length + run.features.categorical.length;

  const ui = await WebUi.start({ store, runId: 'bank', port: 0 });
  t.teardown(() => ui.close());
  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${ui.url}api/v1/applications/bank/${path}`)).json()) as T;

  const list = await api<RddInfo[]>('storage/rdd');
  const byName = new Map(list.map((d) => [d.name, d]));
  for (const [name, rows] of [
    ['train', run.rowCounts.train],
    ['test', run.rowCounts.test],
  ] as const) {
    const d = byName.get(name);
    t.ok(d, `${name} is listed`);
    if (!d) continue;
    t.equal(d.numPartitions, partitions, `${name}: the job's partition count`);
    t.equal(d.numCachedPartitions, partitions, `${name}: every partition cached`);
    t.equal(d.memoryUsed, rows * rowBytes, `${name}: ${rows} rows × ${rowBytes} bytes`);
    t.equal(run.storage.totalBytes[name], d.memoryUsed, `${name}: run.json's storage reports the same bytes`);
    const detail = await api<RddInfo>(`storage/rdd/${d.id}`);
    t.equal(detail.partitions?.length, partitions);
    t.equal(
      detail.partitions?.reduce((s, p) => s + p.memoryUsed, 0),
      d.memoryUsed,
      `${name}: the partitions add up to the dataset`,
    );
    t.equal(
      detail.dataDistribution?.reduce((s, e) => s + e.memoryUsed, 0),
      d.memoryUsed,
      `${name}: the executors add up to the dataset`,
    );
    t.match(detail.partitions?.[0], { blockName: `rdd_${d.id}_0`, executors: [/./] });
  }
  t.equal((await fetch(`${ui.url}api/v1/applications/bank/storage/rdd/9`)).status, 404, 'unknown dataset id is a 404');

  const html = await (await fetch(`${ui.url}?page=storage`)).text();
  t.match(html, /data-dataset="train"/);
  t.equal((html.match(/<tr data-partition=/g) ?? []).length, partitions, 'one row per cached partition');

  // Local mode has one executor; when it leaves, its blocks are gone and nothing is cached.
  t.equal(new Set([...store.cached.values()].map((c) => c.executorId)).size, 1, 'one executor holds every partition in local mode');
  const holder = [...store.cached.values()][0]!.executorId;
  store.apply({ event: 'executor-removed', ts: Date.now(), executorId: holder, lost: true, reason: 'test', partitions: [] });
  t.equal(store.cached.size, 0, `${holder}'s partitions left the page`);
  t.match(await (await fetch(`${ui.url}?page=storage`)).text(), /id="storage-empty"/);
});
