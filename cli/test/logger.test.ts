import t from 'tap';
import { createLogger, isLogLevel } from '../src/logger.js';

function sink(isTTY: boolean): { write(s: string): void; readonly isTTY: boolean; readonly lines: string[] } {
  const lines: string[] = [];
  return { isTTY, lines, write: (s: string) => void lines.push(s) };
}

t.test('logger: writes JSON lines at or above the level when not on a terminal', async (t) => {
  const out = sink(false);
  let hooks = 0;
  const log = createLogger({ level: 'info', stream: out, beforeWrite: () => hooks++ });
  log.debug('hidden');
  log.info({ stage: 2 }, 'stage finished');
  log.warn('slow');
  t.equal(out.lines.length, 2);
  const first = JSON.parse(out.lines[0]!) as Record<string, unknown>;
  t.match(first, { level: 30, msg: 'stage finished', stage: 2, pid: process.pid });
  t.match(JSON.parse(out.lines[1]!), { level: 40, msg: 'slow' });
  t.equal(hooks, 2, 'the hook runs before every written line');
});

t.test('logger: pretty-prints one line per entry on a terminal', async (t) => {
  const out = sink(true);
  const log = createLogger({ level: 'debug', stream: out });
  log.debug({ stageId: 1 }, 'stage finished');
  t.equal(out.lines.length, 1);
  const text = out.lines[0]!.replace(/\x1b\[[0-9;]*m/g, '');
  t.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: stage finished {"stageId":1}\n$/);
  t.notMatch(text, /pid|hostname/);
});

t.test('logger: knows pino level names', async (t) => {
  t.ok(isLogLevel('debug'));
  t.ok(isLogLevel('silent'));
  t.notOk(isLogLevel('verbose'));
});
