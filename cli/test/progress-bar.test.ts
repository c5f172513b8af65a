import t from 'tap';
import { ConsoleProgressBar, renderStageBar, type ProgressStream } from '../src/progress-bar.js';

t.test('progress-bar: renders one stage in Spark format at full width', async (t) => {
  const bar = renderStageBar([{ stageId: 3, completed: 12, active: 4, total: 32 }], 80);
  // 80 − len("[Stage 3:") − len("(12 + 4) / 32]") = 57 cells; ⌊57 · 12 / 32⌋ = 21 done.
  t.equal(bar, `[Stage 3:${'='.repeat(21)}>${' '.repeat(35)}(12 + 4) / 32]`);
  t.equal(bar.length, 80);
});

t.test('progress-bar: puts the head first at zero and fills every cell when done', async (t) => {
  t.equal(renderStageBar([{ stageId: 0, completed: 0, active: 2, total: 16 }], 80), `[Stage 0:>${' '.repeat(57)}(0 + 2) / 16]`);
  t.equal(renderStageBar([{ stageId: 12, completed: 16, active: 0, total: 16 }], 60), `[Stage 12:${'='.repeat(36)}(16 + 0) / 16]`);
});

t.test('progress-bar: shares the width between at most three stages in id order', async (t) => {
  const two = renderStageBar(
    [
      { stageId: 5, completed: 1, active: 1, total: 4 },
      { stageId: 4, completed: 3, active: 1, total: 4 },
    ],
    80,
  );
  // 40 columns each: 40 − len("[Stage 4:") − len("(3 + 1) / 4]") = 19 cells; ⌊19 · 3 / 4⌋ = 14, ⌊19 / 4⌋ = 4.
  t.equal(two, `[Stage 4:${'='.repeat(14)}>${' '.repeat(4)}(3 + 1) / 4][Stage 5:${'='.repeat(4)}>${' '.repeat(14)}(1 + 1) / 4]`);
  const four = renderStageBar(
    [1, 2, 3, 4].map((id) => ({ stageId: id, completed: 0, active: 1, total: 2 })),
    80,
  );
  t.equal(four.length, 3 * 26, 'the fourth stage waits; each shown stage gets ⌊80 / 3⌋ columns');
  t.match(four, /^\[Stage 1:.*\[Stage 2:.*\[Stage 3:.*\]$/);
  t.notMatch(four, /Stage 4/);
});

t.test('progress-bar: drops the bar when the width leaves no room, and renders nothing for no stages', async (t) => {
  t.equal(renderStageBar([{ stageId: 1, completed: 1, active: 1, total: 3 }], 20), '[Stage 1:(1 + 1) / 3]');
  t.equal(renderStageBar([], 80), '');
});

/** A terminal stand-in that records writes. */
function fakeTerminal(isTTY: boolean): ProgressStream & { readonly writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns: 100, writes, write: (s: string) => writes.push(s) };
}

t.test('progress-bar: draws after the show delay, only when the text changes, and clears at the end', async (t) => {
  let now = 0;
  const term = fakeTerminal(true);
  const bar = new ConsoleProgressBar({ stream: term, width: 60, now: () => now });
  t.teardown(() => bar.finish());
  t.ok(bar.enabled);

  bar.update({ stageId: 0, completed: 0, active: 2, total: 4 });
  now = 300;
  bar.refresh();
  t.strictSame(term.writes, [], 'a stage younger than 500 ms is not shown');

  now = 600;
  bar.refresh();
  // 60 − 9 − 12 = 39 cells.
  const first = `\r[Stage 0:>${' '.repeat(38)}(0 + 2) / 4]`;
  t.strictSame(term.writes, [first]);
  bar.refresh();
  t.strictSame(term.writes, [first], 'unchanged text is not redrawn');

  bar.update({ stageId: 0, completed: 2, active: 2, total: 4 });
  bar.refresh();
  t.equal(term.writes.length, 2);
  t.equal(term.writes[1], `\r[Stage 0:${'='.repeat(19)}>${' '.repeat(19)}(2 + 2) / 4]`);

  bar.clear();
  t.equal(term.writes[2], `\r${' '.repeat(60)}\r`, 'clearing overwrites the whole width');
  bar.refresh();
  t.equal(term.writes[3], term.writes[1], 'after a clear (e.g. a log line) the bar is drawn again');

  bar.complete(0);
  bar.refresh();
  t.equal(term.writes[4], `\r${' '.repeat(60)}\r`, 'the bar disappears when no stage runs');
  bar.finish();
  t.equal(term.writes.length, 5, 'finishing an empty bar writes nothing');
});

t.test('progress-bar: stays silent off a terminal unless forced', async (t) => {
  const pipe = fakeTerminal(false);
  const silent = new ConsoleProgressBar({ stream: pipe, showAfterMs: 0 });
  silent.update({ stageId: 1, completed: 1, active: 1, total: 2 });
  silent.refresh();
  silent.finish();
  t.notOk(silent.enabled);
  t.strictSame(pipe.writes, []);

  const forced = new ConsoleProgressBar({ stream: pipe, force: true, width: 40, showAfterMs: 0 });
  forced.update({ stageId: 1, completed: 1, active: 1, total: 2 });
  forced.refresh();
  forced.finish();
  t.strictSame(pipe.writes, [`\r[Stage 1:${'='.repeat(9)}>${' '.repeat(9)}(1 + 1) / 2]`, `\r${' '.repeat(40)}\r`]);
});

t.test('progress-bar: takes its width from COLUMNS, else the terminal, else 80', async (t) => {
  const saved = process.env['COLUMNS'];
  t.teardown(() => {
    if (saved === undefined) delete process.env['COLUMNS'];
    else process.env['COLUMNS'] = saved;
  });
  process.env['COLUMNS'] = '120';
  t.equal(new ConsoleProgressBar({ stream: fakeTerminal(true) }).width, 120);
  delete process.env['COLUMNS'];
  t.equal(new ConsoleProgressBar({ stream: fakeTerminal(true) }).width, 100);
  t.equal(new ConsoleProgressBar({ stream: fakeTerminal(false) }).width, 80);
});
