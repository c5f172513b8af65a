/**
 * RunSummary: what the run list and `api/v1/applications` need of one run — ids, name, times,
 * status, master, versions and the test set's scalar metrics — folded from its event log's
 * records with the same rules as StatusStore, without keeping stages, tasks or curves. It is
 * small (a few hundred bytes), so the history server keeps one per log in memory and in its
 * index file, and replays a whole log only for that run's own pages.
 * Used by run-index.ts and index-file.ts. THREADING: pure.
 */
import type { EventLogRecord } from '../events/event-log-reader.js';
import type { RunStatus } from '../ui/status-store.js';

/** Status as the records alone say it (INCOMPLETE is decided from the writer, not the log). */
export type RecordedStatus = Exclude<RunStatus, 'INCOMPLETE'>;

/** The summary of one run's log. */
export interface RunSummary {
  jobId?: string;
  jobName?: string;
  startedAt?: number;
  endedAt?: number;
  recorded: RecordedStatus;
  /** The header's small fields (no spec, no conf): runId, name, master, pid, versions. */
  header?: EventLogRecord;
  /** The test set's numeric metrics (areaUnderROC, accuracy, …). */
  metrics?: Record<string, number>;
  failure?: { code: string; message: string };
}

/** The first damaged lines kept per log (the run list shows the first). */
export const MAX_DAMAGE = 10;

const HEADER_FIELDS = ['runId', 'name', 'master', 'pid', 'versions', 'format'] as const;

/** A summary of nothing read yet. */
export function emptySummary(): RunSummary {
  return { recorded: 'RUNNING' };
}

/** Folds one record into `s` (StatusStore.apply's rules for the fields kept here). */
export function applyRecord(s: RunSummary, r: EventLogRecord): void {
  const ts = typeof r.ts === 'number' ? r.ts : Date.now();
  switch (r.event) {
    case 'log-header': {
      const h: Record<string, unknown> = { event: r.event, ts };
      for (const k of HEADER_FIELDS) if (r[k] !== undefined) h[k] = r[k];
      s.header = h as EventLogRecord;
      s.jobName = String(r['name'] ?? '');
      s.startedAt = ts;
      break;
    }
    case 'job-started':
      s.jobId = String(r['jobId'] ?? '');
      s.jobName = String(r['name'] ?? '');
      s.startedAt ??= ts;
      break;
    case 'job-completed':
      s.recorded = 'SUCCEEDED';
      s.endedAt = ts;
      break;
    case 'job-failed':
    case 'job-error':
      s.recorded = 'FAILED';
      s.endedAt = ts;
      s.failure ??= { code: String(r['code'] ?? ''), message: String(r['message'] ?? '') };
      break;
    case 'job-result': {
      s.endedAt ??= ts;
      if (s.recorded === 'RUNNING') s.recorded = 'SUCCEEDED';
      const test = (r['metrics'] as { test?: Record<string, unknown> } | undefined)?.test;
      if (test && typeof test === 'object') {
        const m: Record<string, number> = {};
        for (const [k, v] of Object.entries(test)) if (typeof v === 'number') m[k] = v;
        s.metrics = m;
      }
      break;
    }
    default:
  }
}
