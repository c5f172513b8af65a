import t from 'tap';
import {
  asExecutorId,
  asJobId,
  KindlingError,
  type ExecutorClient,
  type ExecutorStatus,
  type JobId,
  type TaskId,
  type TaskOp,
  type TaskResultByOp,
  type TaskSpec,
} from '@kindling/shared';
import { StaticMembership } from '../../src/cluster/executor-membership.js';
import { EventBus } from '../../src/events/event-bus.js';
import { silentLogger } from '../../src/logger.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';

/** Records every task it is given; answers after a per-partition delay; can be told to fail. */
class FakeExecutor implements ExecutorClient {
  readonly id;
  readonly ran: Array<{ partition: number; taskId: string }> = [];
  running = 0;
  maxRunning = 0;
  failures = new Map<number, KindlingError[]>();

  constructor(id: string, readonly slots: number, private readonly delayMs: (p: number) => number = () => 1) {
    this.id = asExecutorId(id);
  }

  async runTask<O extends TaskOp>(_job: JobId, taskId: TaskId, spec: Extract<TaskSpec, { op: O }>): Promise<TaskResultByOp[O]> {
    const partition = spec.lineage.source.index;
    this.ran.push({ partition, taskId });
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((r) => setTimeout(r, this.delayMs(partition)));
    this.running--;
    const queued = this.failures.get(partition);
    if (queued && queued.length > 0) throw queued.shift()!;
    return { rowCount: partition * 10, malformedCount: 0, lineCount: partition, types: [] } as unknown as TaskResultByOp[O];
  }
  async dropJob(): Promise<void> {}
  async status(): Promise<ExecutorStatus> {
    return { id: this.id, slots: this.slots, runningTasks: this.running, cachedBlocks: 0, cachedBytes: 0, rssBytes: 0 };
  }
}

function stage(n: number) {
  return {
    name: 'infer',
    tasks: Array.from({ length: n }, (_, index) => ({
      op: 'csv-infer' as const,
      lineage: {
        source: { file: '/x.csv', index, start: 0, end: 0, numColumns: 1, columnNames: ['a'] },
        csv: { header: true, delimiter: ',', quote: '"', escape: '"', nullValue: '', mode: 'FAILFAST' as const, inferSchema: true },
        firstRowId: 0,
      },
    })),
  };
}

const job = asJobId('job-1');

t.test('task-scheduler: returns results in partition order whatever the completion order', async (t) => {
  const ex = new FakeExecutor('a', 4, (p) => (8 - p) * 3);
  const s = new TaskScheduler(new StaticMembership([ex]), job, new EventBus(), silentLogger, { maxTaskFailures: 1 });
  const out = await s.runStage(stage(8));
  t.same(out.map((r) => r.rowCount), [0, 10, 20, 30, 40, 50, 60, 70]);
});

t.test('task-scheduler: never runs more tasks on an executor than it has slots', async (t) => {
  const a = new FakeExecutor('a', 2, () => 5);
  const b = new FakeExecutor('b', 1, () => 5);
  const s = new TaskScheduler(new StaticMembership([a, b]), job, new EventBus(), silentLogger, { maxTaskFailures: 1 });
  await s.runStage(stage(12));
  t.ok(a.maxRunning <= 2 && b.maxRunning <= 1, `max running a=${a.maxRunning} b=${b.maxRunning}`);
  t.equal(a.ran.length + b.ran.length, 12);
  t.ok(a.ran.length > 0 && b.ran.length > 0, 'both executors got work');
});

t.test('task-scheduler: later stages run where the partition ran before (locality)', async (t) => {
  const a = new FakeExecutor('a', 2);
  const b = new FakeExecutor('b', 2);
  const s = new TaskScheduler(new StaticMembership([a, b]), job, new EventBus(), silentLogger, { maxTaskFailures: 1 });
  await s.runStage(stage(6));
  const firstA = a.ran.map((r) => r.partition).sort();
  a.ran.length = 0;
  b.ran.length = 0;
  await s.runStage(stage(6));
  t.same(a.ran.map((r) => r.partition).sort(), firstA);
  for (const p of firstA) t.equal(s.homeOf(p), a.id);
});

t.test('task-scheduler: retries a failed attempt up to maxTaskFailures, then reports the task', async (t) => {
  const ex = new FakeExecutor('a', 2);
  ex.failures.set(3, [new KindlingError('E_EXECUTOR_LOST', 'gone'), new KindlingError('E_EXECUTOR_LOST', 'gone again')]);
  const events = new EventBus();
  const failed: boolean[] = [];
  events.on('task-failed', (e) => failed.push(e.willRetry));
  const ok = await new TaskScheduler(new StaticMembership([ex]), job, events, silentLogger, { maxTaskFailures: 3 }).runStage(stage(5));
  t.equal(ok[3]!.rowCount, 30, 'third attempt succeeded');
  t.same(failed, [true, true]);

  ex.failures.set(1, [new KindlingError('E_IO', 'disk'), new KindlingError('E_IO', 'disk')]);
  await t.rejects(new TaskScheduler(new StaticMembership([ex]), job, new EventBus(), silentLogger, { maxTaskFailures: 2 }).runStage(stage(3)), {
    code: 'E_TASK_FAILED',
    message: /partition 1 .* failed 2 time\(s\); last: disk/,
  });
});

t.test('task-scheduler: a data error fails the stage at once, without retries', async (t) => {
  const ex = new FakeExecutor('a', 1);
  ex.failures.set(0, [new KindlingError('E_CSV_MALFORMED', 'x.csv:7: expected 3 fields, found 2')]);
  await t.rejects(new TaskScheduler(new StaticMembership([ex]), job, new EventBus(), silentLogger, { maxTaskFailures: 4 }).runStage(stage(2)), {
    code: 'E_CSV_MALFORMED',
    message: /x\.csv:7/,
  });
  t.equal(ex.ran.filter((r) => r.partition === 0).length, 1, 'attempted once');
});

t.test('task-scheduler: reports stage progress up to completion', async (t) => {
  const events = new EventBus();
  const seen: string[] = [];
  events.on('stage-progress', (e) => seen.push(`${e.completed}+${e.running}/${e.total}`));
  events.on('stage-completed', (e) => seen.push(`done ${e.tasks}`));
  await new TaskScheduler(new StaticMembership([new FakeExecutor('a', 1)]), job, events, silentLogger, { maxTaskFailures: 1 }).runStage(stage(2));
  t.same(seen, ['0+1/2', '1+0/2', '1+1/2', '2+0/2', 'done 2']);
});
