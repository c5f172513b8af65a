/**
 * BlockStore under a memory budget: least-recently-used eviction, pinned blocks never
 * evicted, eviction resumed on release, counters; and `--memory` / KINDLING_EXECUTOR_MEMORY /
 * `--memory-limit` in the executor's config.
 */
import t from 'tap';
import { asJobId, KindlingError, parseByteSize, type DesignBlock } from '@kindling/shared';
import { parseExecutorArgs, MEMORY_FRACTION } from '../src/config.js';
import { BlockStore, blockBytes, type BlockKey } from '../src/storage/block-store.js';
import { MemoryReclaimer } from '../src/storage/memory-reclaimer.js';

const job = asJobId('job-1');
const k = (partition: number): BlockKey => ({ jobId: job, partition, name: 'train' });
/** A design block of exactly `bytes` bytes (a multiple of 8), as the encode op builds them. */
const block = (bytes: number): DesignBlock =>
  ({
    rowIds: new Float64Array(bytes / 8),
    label: new Float64Array(0),
    numeric: new Float64Array(0),
    categorical: new Int32Array(0),
  }) as unknown as DesignBlock;

t.test('block store: over budget, evicts least recently used first', async (t) => {
  const s = new BlockStore({ budgetBytes: 3000 });
  t.equal(blockBytes(block(1000)), 1000);
  s.put(k(0), block(1000));
  s.put(k(1), block(1000));
  s.put(k(2), block(1000));
  t.ok(s.get(k(0)), 'reading 0 makes it the most recently used');
  s.put(k(3), block(1000));
  t.notOk(s.has(k(1)), '1, the least recently used, is evicted');
  t.ok(s.has(k(0)) && s.has(k(2)) && s.has(k(3)));
  t.match(s.stats(), {
    blocks: 3,
    bytes: 3000,
    budgetBytes: 3000,
    evictions: 1,
    evictedBytes: 1000,
    peakBytes: 3000,
    largestBlockBytes: 1000,
  });
});

t.test('block store: a pinned block is never evicted; release evicts what went over', async (t) => {
  const s = new BlockStore({ budgetBytes: 2000 });
  s.put(k(0), block(1000));
  const pinned = s.acquire(k(0))!;
  t.ok(pinned, 'acquired');
  s.put(k(1), block(1000));
  s.put(k(2), block(1000));
  t.ok(s.has(k(0)), 'the pinned block stays although it is the oldest');
  t.notOk(s.has(k(1)), 'the oldest unpinned one goes');
  t.equal(s.stats().pinnedBytes, 1000);
  const second = s.acquire(k(2))!;
  s.put(k(3), block(1000));
  t.ok(s.has(k(0)) && s.has(k(2)), 'both pinned blocks stay');
  t.notOk(s.has(k(3)), 'the new block itself goes when nothing else can');
  s.release(second);
  s.release(pinned);
  t.equal(s.stats().pinnedBytes, 0);
  t.ok(s.stats().bytes <= 2000, 'within budget once nothing is pinned');
  s.release(pinned);
  t.equal(s.stats().pinnedBytes, 0, 'a second release is a no-op');
});

t.test('block store: pinned bytes above the budget are held, then freed on release', async (t) => {
  const s = new BlockStore({ budgetBytes: 1000 });
  s.put(k(0), block(800));
  s.put(k(1), block(800));
  t.equal(s.stats().bytes, 800, 'one fits');
  const a = s.acquire(k(1))!;
  s.put(k(2), block(800));
  t.equal(s.stats().bytes, 800, 'the unpinned new block is evicted, not the pinned one');
  t.equal(s.stats().peakBytes, 800);
  s.release(a);
  t.equal(s.stats().evictions, 2);
});

t.test('block store: deleting or replacing a pinned block keeps the counters right', async (t) => {
  const s = new BlockStore({ budgetBytes: 10_000 });
  s.put(k(0), block(1000));
  const p = s.acquire(k(0))!;
  s.put(k(0), block(2000));
  t.equal(s.stats().pinnedBytes, 0, 'the replaced entry no longer counts');
  s.release(p);
  t.same([s.stats().bytes, s.stats().pinnedBytes], [2000, 0], 'releasing the old entry leaves the new one alone');
  const q = s.acquire(k(0))!;
  t.equal(s.dropJob(job), 2000);
  s.release(q);
  t.same([s.stats().bytes, s.stats().pinnedBytes, s.stats().blocks], [0, 0, 0]);
});

t.test('block store: without a budget nothing is evicted', async (t) => {
  const s = new BlockStore();
  for (let i = 0; i < 50; i++) s.put(k(i), block(1 << 16));
  t.match(s.stats(), { blocks: 50, bytes: 50 << 16, evictions: 0 });
  t.equal(s.stats().budgetBytes, undefined);
  s.noteRebuild();
  t.equal(s.stats().rebuilds, 1);
});

t.test('byte sizes: binary units whatever the spelling; clear errors', async (t) => {
  t.equal(parseByteSize('2g', '--memory'), 2 * 1024 ** 3);
  t.equal(parseByteSize('2Gi', '--memory'), 2 * 1024 ** 3);
  t.equal(parseByteSize('512M', '--memory'), 512 * 1024 ** 2);
  t.equal(parseByteSize('1.5k', '--memory'), 1536);
  t.equal(parseByteSize(' 4096 ', '--memory'), 4096);
  for (const bad of ['', 'lots', '-1g', '2x', '0', '1e9', 'g'])
    t.throws(
      () => parseByteSize(bad, '--memory'),
      { code: 'E_INVALID_VALUE', message: new RegExp(`^--memory: "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`) },
      `rejects "${bad}"`,
    );
});

t.test('config: --memory, KINDLING_EXECUTOR_MEMORY and --memory-limit', async (t) => {
  const m = ['--master', 'nats://h:1'];
  t.equal(parseExecutorArgs(m, {}).memoryBytes, undefined, 'unbounded by default');
  t.equal(parseExecutorArgs([...m, '--memory', '2g'], {}).memoryBytes, 2 * 1024 ** 3);
  t.equal(parseExecutorArgs(m, { KINDLING_EXECUTOR_MEMORY: '512Mi' }).memoryBytes, 512 * 1024 ** 2);
  t.equal(
    parseExecutorArgs(m, { KINDLING_MEMORY_LIMIT: String(4 * 1024 ** 3) }).memoryBytes,
    Math.floor(4 * 1024 ** 3 * MEMORY_FRACTION),
    'a share of the container limit',
  );
  t.equal(
    parseExecutorArgs([...m, '--memory', '1g'], { KINDLING_MEMORY_LIMIT: String(4 * 1024 ** 3) }).memoryBytes,
    1024 ** 3,
    '--memory wins over the limit',
  );
  const err = (argv: string[], env: NodeJS.ProcessEnv) => {
    try {
      parseExecutorArgs(argv, env);
    } catch (e) {
      return e as KindlingError;
    }
    return undefined;
  };
  t.match(err([...m, '--memory', 'big'], {}), { code: 'E_INVALID_VALUE', message: /^--memory: "big" is not a byte size/ });
  t.match(err(m, { KINDLING_EXECUTOR_MEMORY: '2 gigs' }), { message: /^KINDLING_EXECUTOR_MEMORY: "2 gigs" is not a byte size/ });
  t.match(err(m, { KINDLING_MEMORY_LIMIT: '0' }), { message: /^KINDLING_MEMORY_LIMIT: "0" is out of range/ });
});

t.test('block store: dropped blocks ask for a collection once their bytes pass the threshold; a replacement is not a drop', async (t) => {
  let collections = 0;
  const reclaimer = new MemoryReclaimer(2500, () => collections++);
  const s = new BlockStore({ budgetBytes: 3000, reclaimer });
  s.put(k(0), block(1000));
  s.put(k(0), block(1000)); // replaced in place (a conformed block over its scan)
  s.put(k(1), block(1000));
  s.delete(k(0));
  s.delete(k(1));
  await new Promise((r) => setImmediate(r));
  t.equal(collections, 0, '2000 bytes dropped: under the threshold');
  s.put(k(2), block(1000));
  s.put(k(3), block(1000));
  s.put(k(4), block(1000));
  s.put(k(5), block(1000)); // over budget: evicts 2
  await new Promise((r) => setImmediate(r));
  t.equal(collections, 1, 'an eviction counts: 3000 bytes dropped, one collection');
  s.dropJob(job);
  await new Promise((r) => setImmediate(r));
  t.equal(collections, 2, 'a dropped job counts: its 3000 bytes, one more collection');
  t.equal(reclaimer.collections, 2);
});

t.test('memory reclaimer: reaches V8’s collector in this process', async (t) => {
  const r = new MemoryReclaimer(1);
  r.noteDropped(10);
  await new Promise((res) => setImmediate(res));
  t.equal(r.collections, 1, 'a real full collection ran (gc was reachable without --expose-gc on the command line)');
});

t.test('memory reclaimer: drops under the threshold ask for one collection once they stop, when enough are pending', async (t) => {
  let collections = 0;
  const r = new MemoryReclaimer(10_000, () => collections++, 30, 1000);
  r.noteDropped(400);
  r.noteDropped(400);
  await new Promise((res) => setTimeout(res, 60));
  t.equal(collections, 0, '800 bytes pending: under quietBytes, no collection');
  r.noteDropped(400);
  await new Promise((res) => setTimeout(res, 10));
  r.noteDropped(400); // drops go on: the quiet period starts again
  await new Promise((res) => setTimeout(res, 10));
  t.equal(collections, 0, 'not while drops go on');
  await new Promise((res) => setTimeout(res, 60));
  t.equal(collections, 1, 'one collection once they stopped');
  await new Promise((res) => setTimeout(res, 60));
  t.equal(collections, 1, 'and no more with nothing pending');
  r.noteDropped(20_000);
  await new Promise((res) => setImmediate(res));
  t.equal(collections, 2, 'over the threshold: at once, as before');
  await new Promise((res) => setTimeout(res, 60));
  t.equal(collections, 2, 'without a second, quiet one');
});

t.test('memory reclaimer: in a pool worker, the first task of another op collects what the previous stage dropped', async (t) => {
  let collections = 0;
  const r = new MemoryReclaimer(10_000, () => collections++, 60_000, 1000);
  r.beforeTask('encode');
  r.noteDropped(600, 'encode');
  r.beforeTask('encode');
  r.noteDropped(600, 'encode');
  r.beforeTask('encode');
  t.equal(collections, 0, 'not while the dropping stage goes on');
  r.beforeTask('summarize');
  t.equal(collections, 1, 'at the first task of the next stage, at once');
  r.beforeTask('gradient');
  t.equal(collections, 1, 'once: nothing is pending any more');
  r.noteDropped(100, 'evaluate');
  r.beforeTask('export-rows');
  t.equal(collections, 1, 'under quietBytes: no collection');
});
