/**
 * HistoryServer: `kindling history` — the same pages as the live UI for every run in a folder
 * of event logs (mounted at `run/{id}/`), the run list, the compare view, and the REST API
 * (`api/v1/applications` lists every run). The run list and `api/v1/applications` are answered
 * from the index's summaries; one run's pages and the compare view replay those runs' logs
 * through a bounded cache (replay-cache.ts). The index refreshes in the background every
 * second and grown logs of cached runs are read on, so in-progress runs update live over SSE;
 * requests never wait for a refresh. Run ids are looked up in the index, never joined into a
 * path, so nothing outside the folder is served. THREADING: event loop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KindlingError } from '@kindling/shared/compute';
import { html } from '../ui/html.js';
import { applicationJson } from '../ui/rest-api.js';
import type { StatusStore } from '../ui/status-store.js';
import { sendHtml, sendJson, serveApi, serveRun, serveStatic, type MountedRun } from '../ui/ui-router.js';
import { comparePage, DEFAULT_METRIC_COLUMNS, historyDocument, MAX_COMPARE, runListPage } from './history-pages.js';
import { ReplayCache } from './replay-cache.js';
import { RunIndex, type IndexedRun } from './run-index.js';

/** Spark's history server port. */
export const HISTORY_DEFAULT_PORT = 18080;

/** A running history server. */
export class HistoryServer {
  private constructor(
    private readonly server: Server,
    private readonly timer: NodeJS.Timeout,
    readonly index: RunIndex,
    readonly cache: ReplayCache,
    readonly url: string,
  ) {}

  /**
   * Indexes `dir` once, then serves it; rejects on a bad folder or a taken port (E_INVALID_VALUE).
   * `persistIndex: false` keeps the index in memory only; `cacheEntries` bounds the replayed runs kept.
   */
  static async start(o: {
    dir: string;
    port?: number;
    host?: string;
    refreshMs?: number;
    persistIndex?: boolean;
    cacheEntries?: number;
  }): Promise<HistoryServer> {
    const index = await RunIndex.open(o.dir, { persist: o.persistIndex ?? true });
    // At least a full compare view's runs, so comparing 10 runs does not replay them twice.
    const cache = new ReplayCache(Math.max(o.cacheEntries ?? 16, MAX_COMPARE));
    index.onChange((run, file) => {
      if (!run) return cache.drop(file);
      // A live page may be following this run: read on now rather than at its next request.
      void cache
        .advance(file)
        .then(() => void (run.status === 'INCOMPLETE' && cache.peek(file)?.markIncomplete()))
        .catch(() => cache.drop(file));
    });
    await index.refresh();
    const host = o.host ?? '127.0.0.1';
    const server = createServer((req, res) => {
      let url: URL;
      let path: string;
      try {
        url = new URL(req.url ?? '/', 'http://history.invalid');
        path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      route(index, cache, path, url, req, res).catch((err: unknown) => {
        // The log vanished or became unreadable between the listing and the read.
        if (res.headersSent) return void res.end();
        notFoundPage(res, `cannot read this run's log: ${(err as Error).message}`);
      });
    });
    const port = o.port ?? HISTORY_DEFAULT_PORT;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new KindlingError(
            'E_INVALID_VALUE',
            err.code === 'EADDRINUSE'
              ? `--port ${port}: port ${port} on ${host} is already in use; pick another with --port`
              : `cannot serve the history on ${host}:${port}: ${err.message}`,
            { host, port },
            { cause: err },
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    // A folder that vanished or a log being rotated: keep serving what is indexed, try again next tick.
    const timer = setInterval(() => void index.refresh().catch(() => undefined), o.refreshMs ?? 1000);
    timer.unref();
    const actual = (server.address() as AddressInfo).port;
    return new HistoryServer(server, timer, index, cache, `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`);
  }

  /** Stops serving, and brings the index file up to date. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.index.flush();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** The replayed store of `run` as its log is now, marked incomplete when its writer is gone. */
async function replay(cache: ReplayCache, run: IndexedRun): Promise<StatusStore> {
  const store = await cache.store(run.file);
  if (run.status === 'INCOMPLETE') store.markIncomplete();
  return store;
}

function mount(run: IndexedRun, store: StatusStore): MountedRun {
  return { store, runId: run.runId, live: () => store.status === 'RUNNING', home: '../../' };
}

function notFoundPage(res: import('node:http').ServerResponse, message: string): void {
  sendHtml(
    res,
    404,
    historyDocument(
      'Not found',
      html`<h2>Not found</h2>
        <p class="error">${message}</p>
        <p><a href="./">All runs</a></p>`,
    ),
  );
}

async function route(
  index: RunIndex,
  cache: ReplayCache,
  path: string,
  url: URL,
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
): Promise<void> {
  if (path === '' || path === 'index.html') {
    const metrics = (url.searchParams.get('metrics') ?? DEFAULT_METRIC_COLUMNS.join(','))
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)
      .slice(0, 20);
    return sendHtml(res, 200, historyDocument('Runs', runListPage(index.list(), metrics)));
  }
  if (serveStatic(path, res)) return;
  if (path === 'compare') {
    const ids = url.searchParams
      .getAll('runs')
      .flatMap((v) => v.split(','))
      .filter(Boolean);
    if (ids.length === 0)
      return sendHtml(res, 400, historyDocument('Compare', html`<p class="error">Pick runs to compare: compare?runs=a,b</p>`));
    if (ids.length > MAX_COMPARE)
      return sendHtml(
        res,
        400,
        historyDocument('Compare', html`<p class="error">${ids.length} runs picked; the compare view shows at most ${MAX_COMPARE}</p>`),
      );
    const missing = ids.filter((id) => !index.runs.has(id));
    if (missing.length) return notFoundPage(res, `no run ${missing.join(', ')} in ${index.dir}`);
    const runs = ids.map((id) => index.runs.get(id)!);
    const stores = await Promise.all(runs.map((r) => replay(cache, r)));
    return sendHtml(res, 200, historyDocument('Compare', comparePage(runs.map((run, i) => ({ run, store: stores[i]! })))));
  }
  if (path === 'api/v1/applications')
    return sendJson(
      res,
      200,
      index.list().map((r) => applicationJson({ ...r.summary, status: r.status }, r.summary.jobId ?? r.runId)),
    );
  const api = /^api\/v1\/applications\/([^/]+)(\/.*)?$/.exec(path);
  if (api) {
    const run = index.runs.get(api[1]!) ?? index.list().find((r) => r.summary.jobId === api[1]);
    if (!run) return sendJson(res, 404, { error: 'not found', message: `unknown application id ${api[1]}` });
    return serveApi(
      mount(run, await replay(cache, run)),
      ['applications', api[1]!, ...(api[2] ?? '').split('/').filter(Boolean)],
      url,
      res,
    );
  }
  const m = /^run\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const run = index.runs.get(m[1]!);
    if (!run) return notFoundPage(res, `no run ${m[1]} in this history`);
    if (m[2] === undefined) {
      res.writeHead(302, { location: `${encodeURIComponent(m[1]!)}/` }).end();
      return;
    }
    // Static assets need no replay.
    if (serveStatic(m[2], res)) return;
    return serveRun(mount(run, await replay(cache, run)), m[2], url, req, res);
  }
  notFoundPage(res, `no page /${path}`);
}
