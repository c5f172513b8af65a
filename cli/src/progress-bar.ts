/**
 * Console progress bar in the format of Spark's ConsoleProgressBar:
 * `[Stage 3:=====>        (12 + 4) / 32]`, on stderr, redrawn in place with a carriage return.
 * The submit command feeds it the driver's stage events; a timer redraws at most every 200 ms
 * and only when the text changed, so a fast job writes little. renderStageBar is the pure part.
 *
 * THREADING: main thread only; updates just record state, the timer does the writing.
 */

/** One stage's task counts, as the bar shows them. */
export interface StageProgress {
  readonly stageId: number;
  readonly completed: number;
  /** Tasks running now. */
  readonly active: number;
  readonly total: number;
}

/** Spark shows at most this many stages side by side. */
const MAX_STAGES = 3;

/**
 * Renders stages side by side, ascending stage id, at most three, each given ⌊width / count⌋
 * columns: `[Stage <id>:` + bar + `(<completed> + <active>) / <total>]`. The bar fills the rest:
 * with p = ⌊cells · completed / total⌋, cell i is `=` when i < p, `>` when i = p, else blank.
 */
export function renderStageBar(stages: readonly StageProgress[], width: number): string {
  const shown = [...stages].sort((a, b) => a.stageId - b.stageId).slice(0, MAX_STAGES);
  if (shown.length === 0) return '';
  const each = Math.floor(width / shown.length);
  return shown
    .map((s) => {
      const header = `[Stage ${s.stageId}:`;
      const tail = `(${s.completed} + ${s.active}) / ${s.total}]`;
      const cells = each - header.length - tail.length;
      let bar = '';
      if (cells > 0) {
        const done = s.total > 0 ? Math.floor((cells * s.completed) / s.total) : 0;
        for (let i = 0; i < cells; i++) bar += i < done ? '=' : i === done ? '>' : ' ';
      }
      return header + bar + tail;
    })
    .join('');
}

/** The part of a terminal stream the bar writes to (process.stderr in the CLI). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of ConsoleProgressBar. */
export interface ConsoleProgressBarOptions {
  /** Default process.stderr. */
  readonly stream?: ProgressStream;
  /** Draw even when the stream is not a terminal. */
  readonly force?: boolean;
  /** Total width; default $COLUMNS, else the terminal's width, else 80. */
  readonly width?: number;
  /** Redraw period in ms; default 200 (spark.ui.consoleProgress.update.interval). */
  readonly intervalMs?: number;
  /** A stage appears once it has run this long (Spark: 500 ms), so quick stages do not flash. */
  readonly showAfterMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface StageState {
  progress: StageProgress;
  readonly since: number;
}

/** Live progress of the running stages on a terminal. */
export class ConsoleProgressBar {
  /** False when the stream is not a terminal and drawing was not forced: every call is a no-op. */
  readonly enabled: boolean;
  readonly width: number;
  private readonly stream: ProgressStream;
  private readonly intervalMs: number;
  private readonly showAfterMs: number;
  private readonly now: () => number;
  private readonly stages = new Map<number, StageState>();
  private timer: NodeJS.Timeout | undefined;
  private lastText = '';

  constructor(options: ConsoleProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.force === true || this.stream.isTTY === true;
    this.width = options.width ?? terminalWidth(this.stream);
    this.intervalMs = options.intervalMs ?? 200;
    this.showAfterMs = options.showAfterMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  /** Records a stage's counts; the next timer tick draws them. */
  update(progress: StageProgress): void {
    if (!this.enabled) return;
    const state = this.stages.get(progress.stageId);
    if (state) state.progress = progress;
    else this.stages.set(progress.stageId, { progress, since: this.now() });
    if (!this.timer) {
      this.timer = setInterval(() => this.refresh(), this.intervalMs);
      // The bar must never keep the process alive.
      this.timer.unref();
    }
  }

  /** Forgets a finished stage. */
  complete(stageId: number): void {
    this.stages.delete(stageId);
  }

  /** Draws the bar if its text changed since the last draw (the timer calls this). */
  refresh(): void {
    if (!this.enabled) return;
    const now = this.now();
    const visible = [...this.stages.values()].filter((s) => now - s.since >= this.showAfterMs).map((s) => s.progress);
    const text = renderStageBar(visible, this.width);
    if (text === this.lastText) return;
    if (text === '') this.clear();
    else this.stream.write(`\r${text}`);
    this.lastText = text;
  }

  /** Erases the bar (before a log line is written, and at the end); the next refresh redraws it. */
  clear(): void {
    if (!this.enabled || this.lastText === '') return;
    this.stream.write(`\r${' '.repeat(this.width)}\r`);
    this.lastText = '';
  }

  /** Stops the timer and erases the bar. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stages.clear();
    this.clear();
  }
}

function terminalWidth(stream: ProgressStream): number {
  const fromEnv = Number.parseInt(process.env['COLUMNS'] ?? '', 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : 80;
}
