/**
 * ThreadPool.close right after start: Node 20 aborts the process when a worker thread is
 * terminated while its ES modules are being instantiated, which is what closing the pool of a
 * job that fails before its first task used to do (seen as a SIGABRT of the bad-input test).
 * close() now returns only once every thread has loaded its modules, and the process survives
 * many such closes in a row.
 */
import t from 'tap';
import { ThreadPool } from '../src/pool/thread-pool.js';

t.test('thread pool: closing at once waits for every thread to load, and the process survives', async (t) => {
  for (let round = 0; round < 8; round++) {
    const pool = new ThreadPool(2);
    await pool.close();
    t.equal(pool.loadedThreads, 2, `round ${round}: both threads had loaded their modules before they were stopped`);
  }
});
