/**
 * Runs a job in local mode the way `kindling submit --master local[N]` does (a DriverContext
 * over one LocalExecutor), for tests that need the JobResult object rather than the CLI's output.
 */
import { DriverContext, EventBus, type JobResult, type JobSpec } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';

/** Runs `spec` on one in-process executor with `threads` worker threads. */
export async function runLocal(spec: JobSpec, threads: number, events = new EventBus()): Promise<JobResult> {
  const executor = new LocalExecutor({ threads });
  const driver = DriverContext.withExecutors([executor], { events, release: () => executor.close() });
  try {
    return await driver.runJob(spec);
  } finally {
    await driver.close();
  }
}
