/**
 * Runs a job in local mode the way `kindling submit --master local[N]` does, for tests that
 * need the JobResult object rather than the CLI's output.
 */
import { EventBus, runJob, type JobResult, type JobSpec } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';

/** Runs `spec` on one in-process executor with `threads` worker threads. */
export async function runLocal(spec: JobSpec, threads: number, events = new EventBus()): Promise<JobResult> {
  const executor = new LocalExecutor({ threads });
  try {
    return await runJob(spec, { executors: [executor], events });
  } finally {
    await executor.close();
  }
}
