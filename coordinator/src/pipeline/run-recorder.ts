/**
 * RunRecorder: builds run.json, the job's run record — the spec as run, versions, stage
 * timings and task failures (gathered from the event bus), plus the job's own results.
 * It listens only; it never steers the job. The optimiser's per-iteration telemetry
 * (loss, gradient norm, step, evaluations, wall/compute/coordination ms) lands in `iterations`;
 * the bytes of each partition's cached blocks, as executors report them after tasks, in `storage`.
 */
import { readFileSync } from 'node:fs';
import type { EventBus } from '../events/event-bus.js';
import type { JobSpec } from '../job/job-spec.js';
import type { IterationTelemetry } from '../ml/iteration-telemetry.js';

interface StageTiming {
  stageId: number;
  name: string;
  tasks: number;
  durationMs: number;
}

/** Collects what the run record needs while the job runs. */
export class RunRecorder {
  private readonly stages: StageTiming[] = [];
  private readonly taskFailures: unknown[] = [];
  private readonly tasksByExecutor: Record<string, number> = {};
  private readonly clusterEvents: Array<Record<string, unknown>> = [];
  private readonly iterations: IterationTelemetry[] = [];
  /** Partition → block name (rows, train, test) → the most bytes it was reported to hold. */
  private readonly blockBytes = new Map<number, Map<string, number>>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly startedAt = new Date();

  constructor(
    private readonly spec: JobSpec,
    private readonly jobId: string,
    events: EventBus,
  ) {
    this.unsubscribe.push(
      events.on('stage-completed', (e) => this.stages.push({ stageId: e.stageId, name: e.name, tasks: e.tasks, durationMs: e.durationMs })),
      events.on('iteration', (e) => this.iterations.push(e)),
      events.on('task-failed', (e) => this.taskFailures.push({ ...e, at: new Date().toISOString() })),
      events.on('task-completed', (e) => {
        this.tasksByExecutor[e.executorId] = (this.tasksByExecutor[e.executorId] ?? 0) + 1;
        if (e.blocks !== undefined) this.noteBlocks(e.partition, e.blocks);
      }),
      events.on('executor-added', (e) => this.clusterEvents.push({ event: 'executor-added', at: new Date().toISOString(), ...e })),
      events.on('executor-removed', (e) => this.clusterEvents.push({ event: 'executor-removed', at: new Date().toISOString(), ...e })),
      events.on('partitions-moved', (e) => this.clusterEvents.push({ event: 'partitions-moved', at: new Date().toISOString(), ...e })),
      events.on('partition-recovered', (e) =>
        this.clusterEvents.push({ event: 'partition-recovered', at: new Date().toISOString(), ...e }),
      ),
    );
  }

  /** The run record: everything known about the run plus the job's results. */
  record(results: Record<string, unknown>): Record<string, unknown> {
    return {
      jobId: this.jobId,
      name: this.spec.name,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      versions: { kindling: kindlingVersion(), node: process.version, platform: `${process.platform}-${process.arch}` },
      spec: this.spec,
      stages: this.stages,
      stageTotalsMs: totalsByKind(this.stages),
      taskFailures: this.taskFailures,
      tasksByExecutor: this.tasksByExecutor,
      clusterEvents: this.clusterEvents,
      iterations: this.iterations,
      storage: this.storage(),
      ...results,
    };
  }

  private noteBlocks(partition: number, blocks: ReadonlyArray<{ name: string; bytes: number }>): void {
    let m = this.blockBytes.get(partition);
    if (m === undefined) this.blockBytes.set(partition, (m = new Map()));
    for (const b of blocks) m.set(b.name, Math.max(m.get(b.name) ?? 0, b.bytes));
  }

  /**
   * What the executors cached: per partition the most bytes each block held (rows before
   * encode freed them, the train and test design blocks), and their totals by block name.
   */
  private storage(): { totalBytes: Record<string, number>; partitions: Array<Record<string, number>> } {
    const totalBytes: Record<string, number> = {};
    const partitions = [...this.blockBytes.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, m]) => {
        const row: Record<string, number> = { partition };
        for (const [name, bytes] of m) {
          row[name] = bytes;
          totalBytes[name] = (totalBytes[name] ?? 0) + bytes;
        }
        return row;
      });
    return { totalBytes, partitions };
  }

  /** Tasks completed per executor so far. */
  taskCounts(): Readonly<Record<string, number>> {
    return { ...this.tasksByExecutor };
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}

/** Sums stage durations by kind ("gradient 3" and "gradient 4" both count as "gradient"). */
function totalsByKind(stages: readonly StageTiming[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stages) {
    const kind = s.name.replace(/ \d+$/, '');
    out[kind] = (out[kind] ?? 0) + s.durationMs;
  }
  return out;
}

function kindlingVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
