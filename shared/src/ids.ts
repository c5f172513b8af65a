/** Branded identifiers: a JobId cannot be passed where an ExecutorId is expected. */
export type JobId = string & { readonly __brand: 'JobId' };
export type ExecutorId = string & { readonly __brand: 'ExecutorId' };
export type TaskId = string & { readonly __brand: 'TaskId' };

export const asJobId = (s: string): JobId => s as JobId;
export const asExecutorId = (s: string): ExecutorId => s as ExecutorId;
export const asTaskId = (s: string): TaskId => s as TaskId;
