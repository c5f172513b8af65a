/**
 * Runs a job as `kindling submit --master nats://…` does (a DriverContext on the cluster,
 * driver in this process), for tests that need the JobResult.
 */
import { DriverContext, EventBus, silentLogger, type JobResult, type JobSpec, type Logger } from '@kindling/coordinator';
import type { ClusterBackend } from '@kindling/coordinator/cluster';
import { NatsTransport, type NatsConnectionOptions } from '@kindling/shared';

/** Runs `spec` on the executors reachable with `conn`. */
export async function runOnCluster(
  spec: JobSpec,
  conn: NatsConnectionOptions,
  opts: { events?: EventBus; logger?: Logger; executorWaitMs?: number; onBackend?: (b: ClusterBackend) => void } = {},
): Promise<JobResult> {
  const transport = await NatsTransport.connect(conn);
  try {
    const driver = await DriverContext.onCluster(transport, {
      events: opts.events ?? new EventBus(),
      logger: opts.logger ?? silentLogger,
      executorWaitMs: opts.executorWaitMs ?? 10_000,
      cluster: { prefix: conn.prefix ?? 'kindling', heartbeatMs: 250, executorTimeoutMs: 2000 },
    });
    const backend = driver.backend!;
    opts.onBackend?.(backend);
    try {
      await backend.waitForExecutors(1, 10_000);
      return await driver.runJob(spec);
    } finally {
      await driver.close();
    }
  } finally {
    await transport.close();
  }
}
