/**
 * WebUi: the driver's live web UI and REST API on node:http (Spark's port 4040): it mounts one
 * run's StatusStore at the server root through ui-router.ts. start() takes the first free port
 * of 4040–4056 like Spark, or exactly the port asked for (a clear error when it is taken);
 * it binds 127.0.0.1 unless told otherwise. `kindling submit` starts it before the job and
 * stops it after. THREADING: event loop; request handlers never block.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KindlingError } from '@kindling/shared/compute';
import type { StatusStore } from './status-store.js';
import { serveRun, type MountedRun } from './ui-router.js';

/** The default port and the last one tried, as Spark's spark.ui.port and its 16 retries. */
export const UI_DEFAULT_PORT = 4040;
export const UI_LAST_PORT = 4056;

/** How to start the UI. */
export interface WebUiOptions {
  readonly store: StatusStore;
  /** Id of the run (the API also accepts the job id once known). */
  readonly runId: string;
  /** Exact port (an error if taken; 0 = any free port); absent = 4040, then the next free up to 4056. */
  readonly port?: number;
  /** Address to bind; default 127.0.0.1 (loopback only). */
  readonly host?: string;
}

/** A running live UI. */
export class WebUi {
  private live = true;

  private constructor(
    private readonly server: Server,
    /** The URL a browser opens (ends with a slash). */
    readonly url: string,
    readonly port: number,
  ) {}

  /** Starts serving; rejects with E_INVALID_VALUE when the port (range) is taken. */
  static async start(options: WebUiOptions): Promise<WebUi> {
    const host = options.host ?? '127.0.0.1';
    let ui: WebUi | undefined;
    const run: MountedRun = { store: options.store, runId: options.runId, live: () => ui?.isLive() ?? true };
    const server = createServer((req, res) => {
      let url: URL;
      let sub: string;
      try {
        url = new URL(req.url ?? '/', 'http://ui.invalid');
        sub = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      serveRun(run, sub, url, req, res);
    });
    // SSE streams stay open; do not let them hold the process once the driver is done.
    server.keepAliveTimeout = 5_000;
    const ports = options.port !== undefined ? [options.port] : range(UI_DEFAULT_PORT, UI_LAST_PORT);
    for (const port of ports) {
      const bound = await listen(server, port, host);
      if (bound === 'in-use') continue;
      if (bound instanceof Error)
        throw new KindlingError(
          'E_INVALID_VALUE',
          `cannot serve the UI on ${host}:${port}: ${bound.message} (--ui-host, --ui-port)`,
          { host, port },
          { cause: bound },
        );
      const actual = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      ui = new WebUi(server, `http://${shown}:${actual}/`, actual);
      return ui;
    }
    throw new KindlingError(
      'E_INVALID_VALUE',
      options.port !== undefined
        ? `--ui-port ${options.port}: port ${options.port} on ${host} is already in use; pick another port, or omit --ui-port to take the next free one from ${UI_DEFAULT_PORT}`
        : `no free port for the UI on ${host} in ${UI_DEFAULT_PORT}–${UI_LAST_PORT}; pass --ui-port N or --no-ui`,
      { host, port: options.port ?? UI_DEFAULT_PORT },
    );
  }

  /** False once markDone() was called: pages stop listening for updates. */
  isLive(): boolean {
    return this.live;
  }

  /** The job is over: open streams get a last update and `done`. */
  markDone(): void {
    this.live = false;
  }

  /** Stops listening and ends open connections (SSE streams included). */
  async close(): Promise<void> {
    this.live = false;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function listen(server: Server, port: number, host: string): Promise<'ok' | 'in-use' | Error> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      resolve(err.code === 'EADDRINUSE' ? 'in-use' : err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve('ok');
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
