/**
 * The pool's two-lane queue: tasks holding fetched input bytes are served before the others,
 * each lane in the order it was filled, and a task can be taken out of either lane (piscina
 * removes a task whose caller aborted it).
 */
import t from 'tap';
import { Piscina } from 'piscina';
import { queueFirst, TwoLaneQueue } from '../src/pool/task-queue.js';

/** A stand-in for piscina's TaskInfo: its queue options are its request's. */
function task(name: string, first: boolean) {
  const request = first ? queueFirst({ name }) : { name };
  return { name, [Piscina.queueOptionsSymbol]: (request as Record<symbol, unknown>)[Piscina.queueOptionsSymbol] ?? null };
}

t.test('task queue: the first lane is served first, each lane in order', async (t) => {
  const q = new TwoLaneQueue();
  const pushed = [task('encode-1', false), task('load-1', true), task('encode-2', false), task('load-2', true), task('eval-1', false)];
  for (const x of pushed) q.push(x as never);
  t.equal(q.size, 5);
  const order: string[] = [];
  for (let x = q.shift(); x !== null; x = q.shift()) order.push((x as unknown as { name: string }).name);
  t.same(order, ['load-1', 'load-2', 'encode-1', 'encode-2', 'eval-1']);
  t.equal(q.size, 0);
});

t.test('task queue: a task is removed from its own lane', async (t) => {
  const q = new TwoLaneQueue();
  const a = task('a', true);
  const b = task('b', false);
  const c = task('c', true);
  for (const x of [a, b, c]) q.push(x as never);
  q.remove(c as never);
  q.remove(b as never);
  t.equal(q.size, 1);
  t.equal((q.shift() as unknown as { name: string }).name, 'a');
  t.equal(q.shift(), null);
});

t.test('task queue: the mark is a symbol, so it is not posted to the worker', async (t) => {
  const marked = queueFirst({ op: 'csv-load' });
  t.same(structuredClone(marked), { op: 'csv-load' });
  t.same(Object.keys(marked), ['op']);
});
