/**
 * The task ops an executor runs, by name: the only code that travels is this name. A new op
 * is a new file in ops/ and one line here. Looked up by the codec (schemas), the executor's
 * task runner and worker threads (kernels), and the driver (merges).
 */
import { csvConformOp } from './csv-conform.js';
import { csvInferOp } from './csv-infer.js';
import { csvLoadOp } from './csv-load.js';
import { csvScanOp } from './csv-scan.js';
import { encodeOp } from './encode.js';
import { evaluateOp } from './evaluate.js';
import { evaluateMulticlassOp } from './evaluate-multiclass.js';
import { exportRowsOp } from './export-rows.js';
import { featuresOp } from './features.js';
import { featuresLoadOp } from './features-load.js';
import { gradientOp } from './gradient.js';
import { softmaxGradientOp } from './softmax-gradient.js';
import { sparkSplitKeysOp } from './spark-split-keys.js';
import { scoreOp } from './score.js';
import { summarizeOp } from './summarize.js';
import type { ParamsOf, ResultOf, TaskOpDefinition } from './task-op.js';

/** Every op, keyed by its name. */
export const TASK_OPS = {
  'csv-infer': csvInferOp,
  'csv-load': csvLoadOp,
  'csv-scan': csvScanOp,
  'csv-conform': csvConformOp,
  encode: encodeOp,
  'spark-split-keys': sparkSplitKeysOp,
  summarize: summarizeOp,
  gradient: gradientOp,
  evaluate: evaluateOp,
  features: featuresOp,
  'softmax-gradient': softmaxGradientOp,
  'evaluate-multiclass': evaluateMulticlassOp,
  score: scoreOp,
  'export-rows': exportRowsOp,
  'features-load': featuresLoadOp,
} as const;

/** The name of an op. */
export type TaskOp = keyof typeof TASK_OPS;
/** Params sent with a launch of each op. */
export type TaskParamsByOp = { [K in TaskOp]: ParamsOf<(typeof TASK_OPS)[K]> };
/** The per-partition result of each op. */
export type TaskResultByOp = { [K in TaskOp]: ResultOf<(typeof TASK_OPS)[K]> };

/** Op names, in registry order. */
export const TASK_OP_NAMES = Object.keys(TASK_OPS) as TaskOp[];

/** The op of a name (the name is validated by the codec before it gets here). */
export function taskOp<O extends TaskOp>(name: O): (typeof TASK_OPS)[O] {
  return TASK_OPS[name];
}

/** The op definition as a loosely typed record, for generic code (runner, worker). */
export function anyTaskOp(name: TaskOp): TaskOpDefinition<TaskOp> {
  return TASK_OPS[name] as unknown as TaskOpDefinition<TaskOp>;
}

/** Which op builds a block when a task needs it and it is not cached (lineage rebuild). */
export const BLOCK_PRODUCERS = { rows: 'csv-load', design: 'encode' } as const satisfies Record<'rows' | 'design', TaskOp>;
