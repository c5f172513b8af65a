/**
 * Small fixtures for scheduler tests: a job plan of n partitions, a csv-infer stage over
 * it, and the partial each partition "computes" (rowCount = 10 × partition, so a result in
 * the wrong slot is visible).
 */
import { DEFAULT_CSV_OPTIONS, type InferPartial, type JobPlan, type TaskParamsByOp } from '@kindling/shared/compute';
import type { Stage } from '../../src/scheduler/task-scheduler.js';

/** A plan of n 10-byte partitions of /data/x.csv. */
export function planOf(n: number): JobPlan {
  return {
    version: 1,
    files: [{ path: '/data/x.csv', size: 10 * n, format: 'csv', compression: 'none' }],
    csv: DEFAULT_CSV_OPTIONS,
    columnNames: ['a'],
    partitions: Array.from({ length: n }, (_, i) => ({ file: 0, start: 10 * i, end: 10 * (i + 1), firstRowId: i })),
  };
}

/** A csv-infer stage over n partitions. */
export function inferStage(n: number, name = 'infer'): Stage<'csv-infer'> {
  // The cast is for shared's ParamsOf, which currently infers `never` for every op.
  return { name, op: 'csv-infer', params: {} as TaskParamsByOp['csv-infer'], partitions: n };
}

/** What partition p's csv-infer task returns in these tests. */
export function inferResult(p: number): InferPartial {
  return { rowCount: p * 10, malformedCount: 0, lineCount: p, types: [] };
}
