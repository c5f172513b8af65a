import t from 'tap';
import { InProcessBus, asExecutorId, subjects, type ExecutorClient, type ExecutorId, type ExecutorStatus } from '@kindling/shared';
import type { MembershipChange } from '../../src/cluster/executor-membership.js';
import { ExecutorRegistry, type ExecutorConnector } from '../../src/cluster/executor-registry.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { FakeExecutor, RecordingLogger, heartbeat, settle, silentTransportLog, type Teardown } from './wire-fakes.js';

/** Records what the registry asks of its connector; clients are inert stubs. */
class FakeConnector implements ExecutorConnector {
  readonly made: ExecutorClient[] = [];
  readonly statusOf = new Map<ExecutorId, () => ExecutorStatus>();
  readonly lost: Array<{ id: ExecutorId; reason: string }> = [];
  private readonly unreachable = new Set<(id: ExecutorId, reason: string) => void>();

  clientFor(id: ExecutorId, slots: number, status: () => ExecutorStatus): ExecutorClient {
    const client: ExecutorClient = {
      id,
      slots,
      launchTasks: () => undefined,
      dropJob: async () => undefined,
      status: async () => status(),
    };
    this.made.push(client);
    this.statusOf.set(id, status);
    return client;
  }
  executorLost(id: ExecutorId, reason: string): void {
    this.lost.push({ id, reason });
  }
  onUnreachable(listener: (id: ExecutorId, reason: string) => void): () => void {
    this.unreachable.add(listener);
    return () => this.unreachable.delete(listener);
  }
  reportUnreachable(id: ExecutorId, reason: string): void {
    for (const l of this.unreachable) l(id, reason);
  }
}

function setup(t: Teardown, opts: { executorTimeoutMs?: number } = {}) {
  const bus = new InProcessBus();
  const transport = bus.connect({ log: silentTransportLog });
  const peer = bus.connect({ log: silentTransportLog });
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const log = new RecordingLogger();
  const registry = new ExecutorRegistry(transport, subjects(), connector, log, {
    clock,
    sweepMs: 100,
    executorTimeoutMs: opts.executorTimeoutMs ?? 1000,
  });
  const changes: MembershipChange[] = [];
  registry.onChange((c) => changes.push(c));
  const beat = async (id: string, over: Parameters<typeof heartbeat>[1] = {}) => {
    await peer.publish(subjects().executorHeartbeats, heartbeat(id, over));
    await settle();
  };
  t.teardown(async () => {
    registry.close();
    await transport.close();
    await peer.close();
  });
  return { bus, clock, connector, log, registry, changes, beat };
}

const summary = (c: MembershipChange) => (c.type === 'added' ? `added ${c.executor.id}` : `removed ${c.executorId} lost=${c.lost}`);

t.test('executor-registry: registers an executor from its first heartbeat and announces it once', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1', { slots: 3 });
  await beat('e1', { slots: 3, runningTasks: 1 });
  t.same(changes.map(summary), ['added e1']);
  t.same(
    registry.executors().map((e) => [e.id, e.slots]),
    [['e1', 3]],
  );
  t.equal(connector.made.length, 1, 'one client per executor');
  t.equal(registry.heartbeats()[0]?.runningTasks, 1, 'keeps the latest heartbeat');
});

t.test('executor-registry: client status reads the latest heartbeat', async (t) => {
  const { registry, beat } = setup(t);
  await beat('e1', { cachedBlocks: 1 });
  await beat('e1', { cachedBlocks: 7, cachedBytes: 4096, runningTasks: 2, rssBytes: 99 });
  const status = await registry.executors()[0]!.status();
  t.same(status, { id: 'e1', slots: 2, runningTasks: 2, cachedBlocks: 7, cachedBytes: 4096, rssBytes: 99 });
});

t.test('executor-registry: removes a draining executor without calling it lost and keeps its heartbeat', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1');
  await beat('e1', { draining: true });
  await beat('e1', { draining: true });
  t.same(changes.map(summary), ['added e1', 'removed e1 lost=false']);
  t.same(registry.executors(), []);
  t.same(
    registry.heartbeats().map((h) => [h.executorId, h.draining]),
    [['e1', true]],
  );
  t.same(connector.lost, [], 'its running tasks still finish: nothing is failed');
});

t.test('executor-registry: ignores an executor that is draining when first seen', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1', { draining: true });
  t.same(changes, []);
  t.same(registry.heartbeats(), []);
  t.equal(connector.made.length, 0);
});

t.test('executor-registry: reports an executor restarted under the same id lost, then adds it again', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1', { startedAt: 1000 });
  const before = registry.executors()[0];
  await beat('e1', { startedAt: 5000 });
  t.same(changes.map(summary), ['added e1', 'removed e1 lost=true', 'added e1']);
  t.equal(connector.lost.length, 1, 'tasks of the old process are failed');
  t.match(connector.lost[0]?.reason, /restarted/);
  const after = registry.executors()[0];
  t.not(after, before, 'a new client for the new process');
  t.equal(registry.heartbeats()[0]?.startedAt, 5000);
});

t.test('executor-registry: loses an executor silent past executorTimeoutMs and keeps one that beats', async (t) => {
  const { registry, changes, connector, clock, beat } = setup(t, { executorTimeoutMs: 1000 });
  await beat('quiet');
  await beat('alive');
  for (let i = 0; i < 6; i++) {
    clock.advance(300);
    await beat('alive');
  }
  t.same(
    registry.executors().map((e) => e.id),
    ['alive'],
  );
  t.same(changes.map(summary), ['added quiet', 'added alive', 'removed quiet lost=true']);
  t.same(
    connector.lost.map((l) => l.id),
    ['quiet'],
  );
  t.match(connector.lost[0]?.reason, /no heartbeat for \d+ ms/);
});

t.test('executor-registry: forgets a draining executor that falls silent without a second removal', async (t) => {
  const { registry, changes, connector, clock, beat } = setup(t, { executorTimeoutMs: 1000 });
  await beat('e1');
  await beat('e1', { draining: true });
  clock.advance(1200);
  t.same(changes.map(summary), ['added e1', 'removed e1 lost=false']);
  t.same(registry.heartbeats(), []);
  t.same(
    connector.lost.map((l) => l.id),
    ['e1'],
    'whatever it still ran is failed',
  );
});

t.test('executor-registry: markLost forgets the executor once and ignores unknown ids', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1');
  registry.markLost(asExecutorId('e1'), 'pod default/e1 deleted');
  registry.markLost(asExecutorId('e1'), 'again');
  registry.markLost(asExecutorId('nobody'), 'never registered');
  t.same(changes.map(summary), ['added e1', 'removed e1 lost=true']);
  t.same(connector.lost, [{ id: 'e1', reason: 'pod default/e1 deleted' }]);
  t.same(registry.executors(), []);
});

t.test('executor-registry: announces the loss before the connector fails the tasks', async (t) => {
  const { registry, connector, beat } = setup(t);
  await beat('e1');
  const order: string[] = [];
  registry.onChange(() => order.push(`change (lost so far: ${connector.lost.length})`));
  registry.markLost(asExecutorId('e1'), 'gone');
  t.same(order, ['change (lost so far: 0)'], 'a scheduler retrying a failed task already sees the executor gone');
});

t.test('executor-registry: marks an executor lost when the connector reports it unreachable', async (t) => {
  const { registry, changes, connector, beat } = setup(t);
  await beat('e1');
  connector.reportUnreachable(asExecutorId('e1'), 'no process answers on its launch-tasks subject');
  t.same(changes.map(summary), ['added e1', 'removed e1 lost=true']);
  t.same(registry.executors(), []);
});

t.test('executor-registry: discover registers every executor that answers', async (t) => {
  const { bus, registry, changes } = setup(t);
  const a = new FakeExecutor(bus, 'a');
  const b = new FakeExecutor(bus, 'b');
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const found = await registry.discover(50);
  t.same(found.map((h) => h.executorId).sort(), ['a', 'b']);
  t.same(changes.map(summary).sort(), ['added a', 'added b']);
});

t.test('executor-registry: waitForExecutors resolves once enough executors registered', async (t) => {
  const { registry, beat } = setup(t);
  await beat('e1');
  let done = false;
  const waiting = registry.waitForExecutors(2, 10_000).then(() => (done = true));
  await settle();
  t.equal(done, false);
  await beat('e2');
  await waiting;
  t.equal(done, true);
  await registry.waitForExecutors(1, 0);
  t.pass('resolves at once when there are enough already');
});

t.test('executor-registry: waitForExecutors rejects with E_NO_EXECUTORS after its timeout', async (t) => {
  const { registry, clock, beat } = setup(t, { executorTimeoutMs: 60_000 });
  await beat('e1');
  const waiting = registry.waitForExecutors(3, 2000);
  clock.advance(1999);
  await settle();
  clock.advance(1);
  await t.rejects(waiting, { code: 'E_NO_EXECUTORS', message: /only 1 of 3 executor\(s\) registered within 2000 ms/ });
});

t.test('executor-registry: stops following heartbeats once closed', async (t) => {
  const { registry, changes, clock, beat } = setup(t);
  await beat('e1');
  registry.close();
  await beat('e2');
  clock.advance(60_000);
  t.same(changes.map(summary), ['added e1'], 'no registration, no sweep');
  t.equal(clock.pendingTimers(), 0, 'the sweep timer is cleared');
});
