import t from 'tap';
import { asExecutorId, type ExecutorId } from '@kindling/shared/compute';
import { planRebalance } from '../../src/scheduler/plan-rebalance.js';

const [a, b, c] = [asExecutorId('a'), asExecutorId('b'), asExecutorId('c')];
const allOn = (id: ExecutorId, n: number) => Array.from({ length: n }, (_, p) => [p, id] as const);

t.test('plan-rebalance: moves partitions to executors under their slots-weighted share, fewest per slot first', async (t) => {
  const moves = planRebalance(
    8,
    [
      { id: c, slots: 2 },
      { id: a, slots: 4 },
      { id: b, slots: 2 },
    ],
    allOn(a, 8),
  );
  t.same(moves, [
    { partition: 7, from: a, to: b },
    { partition: 6, from: a, to: c },
    { partition: 5, from: a, to: b },
    { partition: 4, from: a, to: c },
  ]);
});

t.test('plan-rebalance: moves nothing with one executor, no homes, or balanced homes', async (t) => {
  t.same(planRebalance(4, [{ id: a, slots: 2 }], allOn(a, 4)), []);
  t.same(
    planRebalance(
      4,
      [
        { id: a, slots: 2 },
        { id: b, slots: 2 },
      ],
      [],
    ),
    [],
  );
  t.same(
    planRebalance(
      4,
      [
        { id: a, slots: 2 },
        { id: b, slots: 2 },
      ],
      [
        [0, a],
        [1, b],
        [2, a],
        [3, b],
      ],
    ),
    [],
  );
});

t.test('plan-rebalance: ignores homes on executors that are not live', async (t) => {
  const gone = asExecutorId('gone');
  t.same(
    planRebalance(
      4,
      [
        { id: a, slots: 1 },
        { id: b, slots: 1 },
      ],
      [
        [0, gone],
        [1, gone],
        [2, a],
        [3, a],
      ],
    ),
    [],
  );
});
