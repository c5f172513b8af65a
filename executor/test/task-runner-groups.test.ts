/**
 * How TaskRunner.runMany hands cached design blocks to the pool: a gradient pass (partials of a
 * few KB) as one group request per launch, an evaluation (partials of up to a partition's
 * rows) in groups of its op's groupSize, so that earlier groups' partials are sent while later
 * ones compute. Every partition gets its own partial, in order.
 */
import t from 'tap';
import { asJobId, DEFAULT_CSV_OPTIONS, sharedFloat64, sharedInt8, sharedUint32, sharedUint8, taskOp, type JobPlan } from '@kindling/shared';
import { BlockStore } from '../src/storage/block-store.js';
import { TaskRunner } from '../src/task-runner.js';
import type { WorkerGroupItem } from '../src/pool/thread-messages.js';

const partitions = 10;
const plan: JobPlan = {
  version: 1,
  files: [{ path: '/data/x.csv', size: 1000, format: 'csv', compression: 'none' }],
  csv: DEFAULT_CSV_OPTIONS,
  columnNames: ['a'],
  partitions: Array.from({ length: partitions }, (_, i) => ({ file: 0, start: i * 100, end: (i + 1) * 100, firstRowId: i * 10 })),
};
const job = asJobId('groups');

function rig(): { runner: TaskRunner; groups: number[] } {
  const store = new BlockStore();
  for (let p = 0; p < partitions; p++) {
    const block = {
      numRows: 1,
      rowIds: sharedUint32(1),
      label: sharedUint8(1),
      numeric: sharedFloat64(0),
      numNumeric: 0,
      categorical: sharedInt8(0),
      numCategorical: 0,
    };
    store.put({ jobId: job, partition: p, name: 'train' }, block);
  }
  const groups: number[] = [];
  const pool = {
    run: () => Promise.reject(new Error('every block is cached: no single task expected')),
    runGroup: (_op: unknown, _params: unknown, items: readonly WorkerGroupItem[]) => {
      groups.push(items.length);
      return items.map((it) => Promise.resolve({ partial: { partition: it.lineage.source.index } }));
    },
  };
  return { runner: new TaskRunner(store, pool as never), groups };
}

const all = Array.from({ length: partitions }, (_, p) => p);

t.test('task runner: a gradient pass over cached blocks is one group request', async (t) => {
  const { runner, groups } = rig();
  const out = await Promise.all(runner.runMany(job, plan, 'gradient', { split: 'train', beta: new Float64Array(0), intercept: 0 }, all));
  t.same(groups, [partitions]);
  t.same(
    out.map((o) => (o as { partition: number }).partition),
    all,
    'each partition its own partial, in order',
  );
});

t.test('task runner: an evaluation runs in groups of its groupSize, each partition answered once, in order', async (t) => {
  const size = taskOp('evaluate').groupSize!;
  t.ok(size >= 1 && size < partitions, `evaluate groupSize ${size}`);
  const { runner, groups } = rig();
  const params = { split: 'train', beta: new Float64Array(0), intercept: 0, score: 'margin', threshold: 0.5, predictions: false };
  const out = await Promise.all(runner.runMany(job, plan, 'evaluate', params, all));
  const expected: number[] = [];
  for (let left = partitions; left > 0; left -= size) expected.push(Math.min(size, left));
  t.same(groups, expected, `groups of ${size}, the last one shorter`);
  t.same(
    out.map((o) => (o as { partition: number }).partition),
    all,
  );
});
