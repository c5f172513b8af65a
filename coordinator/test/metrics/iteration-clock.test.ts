/**
 * IterationClock: wall and compute time per iteration from the bus's task events, with a
 * hand-driven clock so the figures are exact.
 */
import t from 'tap';
import { EventBus } from '../../src/events/event-bus.js';
import { IterationClock, stageComputeMs } from '../../src/metrics/iteration-clock.js';

const report = (iteration: number, evaluations: number) => ({ iteration, loss: 0.5, gradNorm: 0.1, stepSize: 1, evaluations });

t.test('stageComputeMs: the longest task, or unknown when a task has no kernel time', async (t) => {
  t.equal(stageComputeMs([10, 2, 7]), 10);
  t.equal(stageComputeMs([3, undefined]), undefined);
  t.equal(stageComputeMs([]), 0);
});

t.test('IterationClock: an iteration gets the wall and compute of its own evaluations only', async (t) => {
  const events = new EventBus();
  let now = 0;
  const clock = new IterationClock(events, () => now);
  let stageId = 0;
  // A fake stage: submitted, two tasks (one per executor) with the given kernels, `wall` ms.
  const stage = (kernels: [number, number], wall: number) => async (name: string) => {
    const id = ++stageId;
    events.emit('stage-submitted', { stageId: id, name, tasks: 2 });
    events.emit('task-completed', { stageId: 99, partition: 0, attempt: 0, executorId: 'e1', kernelMs: 1000 }); // another stage's task
    events.emit('task-completed', { stageId: id, partition: 0, attempt: 0, executorId: 'e1', kernelMs: kernels[0] });
    events.emit('task-completed', { stageId: id, partition: 1, attempt: 0, executorId: 'e2', kernelMs: kernels[1] });
    now += wall;
    return name;
  };
  t.equal(await clock.measure('gradient 1', stage([5, 7], 20)), 'gradient 1', 'measure returns the stage result');
  await clock.measure('gradient 2', stage([3, 4], 10));
  await clock.measure('gradient 3', stage([8, 2], 12));
  // Iteration 1 took evaluations 2 and 3; evaluation 1 was the start point.
  t.same(clock.telemetry(report(1, 2)), { ...report(1, 2), wallMs: 22, computeMs: 12, coordinationMs: 10 });
  await clock.measure('gradient 4', stage([1, 1], 5));
  t.same(clock.telemetry(report(2, 1)), { ...report(2, 1), wallMs: 5, computeMs: 1, coordinationMs: 4 });
  t.same(clock.telemetry(report(3, 1)), report(3, 1), "no stage measured: only the optimiser's figures");
});

t.test('IterationClock: unknown kernel times leave compute out; a failed stage is not counted', async (t) => {
  const events = new EventBus();
  let now = 0;
  const clock = new IterationClock(events, () => now);
  await clock.measure('gradient 1', async (name) => {
    events.emit('stage-submitted', { stageId: 1, name, tasks: 1 });
    events.emit('task-completed', { stageId: 1, partition: 0, attempt: 0, executorId: 'old' });
    now += 4;
  });
  t.same(clock.telemetry(report(1, 1)), { ...report(1, 1), wallMs: 4 });
  await t.rejects(
    clock.measure('gradient 2', async () => {
      throw new Error('stage failed');
    }),
    /stage failed/,
  );
  t.same(clock.telemetry(report(2, 1)), report(2, 1));
});
