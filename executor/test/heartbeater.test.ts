import t from 'tap';
import { KindlingError, PROTOCOL_VERSION, type ExecutorHeartbeat } from '@kindling/shared';
import type { ExecutorLogger } from '../src/executor-backend.js';
import { Heartbeater, type HeartbeatState } from '../src/heartbeater.js';

function logger() {
  const lines: string[] = [];
  const log: ExecutorLogger = {
    debug() {},
    info: (_o, m) => void lines.push(`info ${m}`),
    warn: (_o, m) => void lines.push(`warn ${m}`),
    error: (_o, m) => void lines.push(`error ${m}`),
  };
  return { log, lines };
}

t.test('heartbeater: beats at once on start, then on its interval, with the live state', async (t) => {
  const sent: ExecutorHeartbeat[] = [];
  let state: HeartbeatState = { runningTasks: 0, jobs: [], draining: false, cachedBlocks: 0, cachedBytes: 0 };
  const { log } = logger();
  const hb = new Heartbeater({
    executorId: 'e1',
    slots: 4,
    intervalMs: 20,
    state: () => state,
    publish: async (m) => void sent.push(m),
    log,
    startedAt: 1234,
  });
  t.teardown(() => hb.stop());
  hb.start();
  t.equal(sent.length, 1, 'the first heartbeat goes out synchronously on start');
  t.match(sent[0], {
    type: 'executor-heartbeat',
    version: PROTOCOL_VERSION,
    executorId: 'e1',
    slots: 4,
    runningTasks: 0,
    cachedBlocks: 0,
    cachedBytes: 0,
    jobs: [],
    draining: false,
    startedAt: 1234,
  });
  t.ok(sent[0]!.rssBytes > 0);
  state = { runningTasks: 2, jobs: ['j'], draining: false, cachedBlocks: 3, cachedBytes: 99 };
  while (sent.length < 3) await new Promise((r) => setTimeout(r, 10));
  t.match(sent[2], { runningTasks: 2, jobs: ['j'], cachedBlocks: 3, cachedBytes: 99 });
  state = { ...state, draining: true };
  await hb.beat();
  t.equal(sent.at(-1)!.draining, true, 'beat() sends the draining state at once');
});

t.test('heartbeater: a failing publish is logged once per outage, never thrown', async (t) => {
  const { log, lines } = logger();
  let fail = true;
  const hb = new Heartbeater({
    executorId: 'e2',
    slots: 1,
    intervalMs: 1000,
    log,
    state: () => ({ runningTasks: 0, jobs: [], draining: false, cachedBlocks: 0, cachedBytes: 0 }),
    publish: async () => {
      if (fail) throw new KindlingError('E_IO', 'connection closed');
    },
  });
  await hb.beat();
  await hb.beat();
  fail = false;
  await hb.beat();
  t.same(lines, ['warn heartbeat not published', 'info heartbeats are being published again']);
});
