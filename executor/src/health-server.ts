/**
 * The executor's HTTP endpoints for Kubernetes and Prometheus: /healthz (liveness: the process
 * and its event loop answer), /readyz (readiness: connected to NATS and not draining, else 503
 * with the reason) and /metrics (`/metrics?gc=1` first runs a full garbage collection when the
 * process was started with `node --expose-gc`, so a soak compares live heap bytes rather
 * than whatever garbage the last GC left; without the flag it is ignored; when it ran, the
 * source is told, so each pool thread collects too). main.ts starts it before connecting to NATS, so a pod that
 * cannot reach NATS is alive but not ready rather than crash-looping.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KindlingError } from '@kindling/shared';

/** Whether the executor should receive work, and if not why. */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** What the health server asks the executor on each request. */
export interface HealthSource {
  readiness(): Readiness;
  /** `collect`: the scrape asked for live figures (`?gc=1`); collect the pool threads too. */
  metrics(opts: { readonly collect: boolean }): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** A listening health server. */
export interface HealthServer {
  /** The bound port (the chosen one when started with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the health server on host:port (default 0.0.0.0, all interfaces, as probes need). */
export async function startHealthServer(
  source: HealthSource,
  opts: { readonly port: number; readonly host?: string },
): Promise<HealthServer> {
  const server = createServer((req, res) => {
    handle(source, req, res).catch((err: unknown) => {
      send(res, 500, `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  // Probes open a connection per request: keeping them alive would only delay close().
  server.keepAliveTimeout = 1000;
  await listen(server, opts.port, opts.host ?? '0.0.0.0');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(source: HealthSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed\n');
    return;
  }
  const [path, query = ''] = (req.url ?? '/').split('?', 2);
  switch (path) {
    case '/healthz':
      send(res, 200, 'ok\n');
      return;
    case '/readyz': {
      const r = source.readiness();
      if (r.ready) send(res, 200, 'ready\n');
      else send(res, 503, `not ready: ${r.reason}\n`);
      return;
    }
    case '/metrics': {
      const collect = new URLSearchParams(query).get('gc') === '1' && collectGarbage();
      const { contentType, body } = await source.metrics({ collect });
      send(res, 200, body, contentType);
      return;
    }
    default:
      send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
  }
}

/**
 * Node's gc() exists only under --expose-gc: a production executor ignores `?gc=1`, so a
 * scraper cannot make it stop for collections at will. False when it was ignored.
 */
function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  return true;
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new KindlingError(
          'E_IO',
          `health server cannot listen on ${host}:${port}: ${err.message}`,
          { port, host, errno: err.code },
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
