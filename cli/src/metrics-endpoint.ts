/**
 * `kindling submit --metrics-port N`: the flag's parser and the driver's Prometheus endpoint
 * for the run (coordinator's driverMetricsRegistry over the driver's events, served by
 * serveMetrics). submit.ts adds the option and starts/stops the endpoint around the job;
 * nothing here runs unless the flag is given (0 = off). THREADING: the CLI's event loop.
 */
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import type { EventBus } from '@kindling/coordinator';

/** Commander argParser: a TCP port 0–65535 (0 = no endpoint); anything else is a usage error. */
export function parseMetricsPort(value: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`expected a port number 0-65535 (0 = off), got "${value}"`);
  }
  return port;
}

/** A running endpoint; close() stops serving and detaches from the bus. */
export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the driver's metrics on `metricsHost` (default 127.0.0.1):`metricsPort` while the
 * job runs, or does nothing when the port is 0/undefined.
 */
export async function startMetricsEndpoint(
  flags: { readonly metricsPort?: number; readonly metricsHost?: string },
  events: EventBus,
  /** What the driver runs on: its executors, and in cluster mode the input bytes served. */
  source: { executors(): readonly { readonly id: string }[]; readonly inputBytesServed?: number },
  logger: Logger,
): Promise<MetricsEndpoint | undefined> {
  const port = flags.metricsPort;
  if (!port) return undefined;
  const { driverMetricsRegistry, serveMetrics } = await import('@kindling/coordinator/metrics');
  const metrics = driverMetricsRegistry(events, {
    executors: () => source.executors(),
    ...(source.inputBytesServed !== undefined ? { inputBytesServed: () => source.inputBytesServed ?? 0 } : {}),
  });
  try {
    const server = await serveMetrics(metrics.registry, { port, ...(flags.metricsHost !== undefined ? { host: flags.metricsHost } : {}) });
    logger.info({ url: server.url }, `driver metrics at ${server.url}`);
    return {
      url: server.url,
      close: async () => {
        metrics.close();
        await server.close();
      },
    };
  } catch (err) {
    metrics.close();
    throw err;
  }
}
