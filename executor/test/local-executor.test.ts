/**
 * LocalExecutor with a pool the CLI started early (see cli/src/commands/submit.ts): it runs its
 * tasks on that pool and stops it on close, and a pool of another size is refused rather than
 * running a job on more or fewer threads than `local[N]` asked for.
 */
import t from 'tap';
import { sharedFloat64, sharedInt32, type DesignBlock, type PartitionLineage } from '@kindling/shared/compute';
import { LocalExecutor } from '../src/local-executor.js';
import { ThreadPool } from '../src/pool/thread-pool.js';

/** A gradient request over a small one-feature design block. */
function gradientRequest() {
  const rows = 64;
  const block = {
    numRows: rows,
    rowIds: sharedFloat64(rows),
    label: sharedFloat64(rows),
    numeric: sharedFloat64(rows),
    numNumeric: 1,
    categorical: sharedInt32(0),
    numCategorical: 0,
  };
  for (let r = 0; r < rows; r++) {
    block.rowIds[r] = r;
    block.label[r] = r % 3 === 0 ? 1 : 0;
    block.numeric[r] = (r % 7) - 3;
  }
  const lineage = { source: { index: 0 }, encoding: { features: [{ kind: 'numeric', name: 'x' }] } } as unknown as PartitionLineage;
  return {
    op: 'gradient' as const,
    lineage,
    params: { beta: new Float64Array([0.25]), intercept: -0.5 },
    input: { kind: 'design' as const, block: block as DesignBlock },
  };
}

t.test('local executor: refuses a pool whose size is not its thread count', async (t) => {
  const pool = new ThreadPool(1);
  t.teardown(() => pool.close());
  t.throws(() => new LocalExecutor({ threads: 2, pool }), {
    code: 'E_INTERNAL',
    message: /a pool of 1 threads was given to a local executor of 2/,
  });
});

t.test('local executor: owns the pool it was given and stops it on close', async (t) => {
  const pool = new ThreadPool(2);
  // piscina takes runs even after it is destroyed, so the test counts the pool's own close.
  let closed = 0;
  const closePool = pool.close.bind(pool);
  pool.close = async () => {
    closed++;
    await closePool();
  };
  const executor = new LocalExecutor({ threads: 2, pool });
  t.equal(executor.slots, 2);
  t.ok(await pool.run(gradientRequest()), 'the given pool runs tasks');
  await executor.close();
  t.equal(closed, 1, 'closing the executor stopped the pool it was given, once');
});
