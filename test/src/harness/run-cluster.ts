/**
 * Runs a job as `kindling submit --master nats://…` does (driver in this process), for
 * tests that need the JobResult.
 */
import { EventBus, runJob, silentLogger, type JobResult, type JobSpec, type Logger } from '@kindling/coordinator';
import { ClusterBackend } from '@kindling/coordinator/cluster';
import { NatsTransport, type NatsConnectionOptions } from '@kindling/shared';

/** Runs `spec` on the executors reachable with `conn`. */
export async function runOnCluster(
  spec: JobSpec,
  conn: NatsConnectionOptions,
  opts: { events?: EventBus; logger?: Logger; executorWaitMs?: number; onBackend?: (b: ClusterBackend) => void } = {},
): Promise<JobResult> {
  const transport = await NatsTransport.connect(conn);
  try {
    const backend = await ClusterBackend.start(transport, opts.logger ?? silentLogger, { prefix: conn.prefix ?? 'kindling', heartbeatMs: 250, executorTimeoutMs: 2000 });
    opts.onBackend?.(backend);
    try {
      await backend.waitForExecutors(1, 10_000);
      return await runJob(spec, { executors: backend, events: opts.events ?? new EventBus(), logger: opts.logger ?? silentLogger, maxTaskFailures: 4, executorWaitMs: opts.executorWaitMs ?? 10_000, tasksPerSlot: 2 });
    } finally {
      await backend.close();
    }
  } finally {
    await transport.close();
  }
}
