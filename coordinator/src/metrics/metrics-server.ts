/**
 * MetricsServer: serves a prom-client registry at GET /metrics on its own port (node:http, no
 * framework) — what `kindling submit --metrics-port N` starts while the job runs. Anything
 * else is a 404; a port already taken is a clear E_IO naming the address.
 * THREADING: driver event loop; each scrape awaits registry.metrics().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KindlingError } from '@kindling/shared/compute';
import type { Registry } from 'prom-client';

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** e.g. http://127.0.0.1:9464/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (host defaults to 127.0.0.1: metrics say what the job is doing, so
 * they are not exposed beyond this machine unless asked) and serves `registry` at /metrics.
 */
export async function serveMetrics(registry: Registry, options: { readonly port: number; readonly host?: string }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scrape must never keep the driver alive after the job.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(
        new KindlingError(
          'E_IO',
          `metrics endpoint ${host}:${options.port}: ${why}`,
          { host, port: options.port, errno: err.code },
          { cause: err },
        ),
      );
    });
    server.listen(options.port, host, () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
