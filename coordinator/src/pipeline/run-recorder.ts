/**
 * RunRecorder: builds run.json, the job's run record — the spec as run, versions, stage
 * timings and task failures (gathered from the event bus), plus the job's own results.
 * It listens only; it never steers the job.
 */
import { readFileSync } from 'node:fs';
import type { EventBus } from '../events/event-bus.js';
import type { JobSpec } from '../job/job-spec.js';

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
  private readonly unsubscribe: Array<() => void> = [];
  private readonly startedAt = new Date();

  constructor(
    private readonly spec: JobSpec,
    private readonly jobId: string,
    events: EventBus,
  ) {
    this.unsubscribe.push(
      events.on('stage-completed', (e) => this.stages.push({ stageId: e.stageId, name: e.name, tasks: e.tasks, durationMs: e.durationMs })),
      events.on('task-failed', (e) => this.taskFailures.push(e)),
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
      ...results,
    };
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
