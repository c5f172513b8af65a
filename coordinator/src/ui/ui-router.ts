/**
 * Routes one run's HTTP requests: the pages (`?page=…`, `fragment=1` for the live refresh),
 * static assets, the Server-Sent Events stream (`events`) and the Spark-shaped REST API under
 * `api/v1/applications/{id}/…`. Paths are relative to wherever the run is mounted (the live
 * UI's root, the history server's `run/{id}/`), so one router serves both. Unknown ids give a
 * 404 (an HTML page, or a JSON error under api/). THREADING: event loop; no blocking I/O.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  applicationJson,
  environmentJson,
  executorsJson,
  iterationsJson,
  jobsJson,
  metricsJson,
  stageJson,
  storageJson,
  taskJson,
  taskSummaryJson,
} from './rest-api.js';
import { TASK_SORT_KEYS, type StatusStore, type TaskSortKey } from './status-store.js';
import { UI_CSS, UI_JS } from './ui-assets.js';
import { document, notFound, renderPage } from './ui-pages.js';

/** One run as the router sees it. */
export interface MountedRun {
  readonly store: StatusStore;
  /** The id the REST API accepts for this run (besides the job id). */
  readonly runId: string;
  /** True while the run may still change (the pages subscribe to `events`). */
  live(): boolean;
  /** Link back to the run list (history server only). */
  readonly home?: string;
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Sends an HTML body. */
export function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    ...headers,
  });
  res.end(body);
}

/** Serves the static assets (any mount); returns false when `sub` is not one. */
export function serveStatic(sub: string, res: ServerResponse): boolean {
  if (sub === 'static/ui.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=60' });
    res.end(UI_JS);
    return true;
  }
  if (sub === 'static/ui.css') {
    res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=60' });
    res.end(UI_CSS);
    return true;
  }
  return false;
}

/** Handles a request for `sub` (the path below the run's mount point, no leading slash). */
export function serveRun(run: MountedRun, sub: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (serveStatic(sub, res)) return;
  if (sub === 'events') return serveEvents(run, req, res);
  if (sub === 'api/v1' || sub.startsWith('api/v1/')) return serveApi(run, sub.slice('api/v1'.length).split('/').filter(Boolean), url, res);
  if (sub !== '' && sub !== 'index.html')
    return sendHtml(res, 404, document(run.store, notFound(`no page ${sub}`), '', { live: false, ...(run.home && { home: run.home }) }));
  const q = url.searchParams;
  const page = q.get('page') ?? 'jobs';
  const num = (k: string): number | undefined => (q.get(k) !== null && /^\d+$/.test(q.get(k)!) ? Number(q.get(k)) : undefined);
  const rendered = renderPage(run.store, {
    page,
    ...(q.get('id') !== null && { id: q.get('id')! }),
    ...(num('offset') !== undefined && { offset: num('offset')! }),
    ...(num('length') !== undefined && { length: num('length')! }),
    ...(q.get('sortBy') !== null && { sortBy: q.get('sortBy')! }),
    desc: q.get('desc') === '1',
  });
  if (q.get('fragment') === '1') return sendHtml(res, rendered.status, rendered.body.text, { 'x-run-status': run.store.status });
  sendHtml(res, rendered.status, document(run.store, rendered, page, { live: run.live(), ...(run.home && { home: run.home }) }));
}

/** The REST API for one run: `parts` are the path segments after api/v1. */
export function serveApi(run: MountedRun, parts: string[], url: URL, res: ServerResponse): void {
  const s = run.store;
  const id = s.jobId ?? run.runId;
  const notFoundJson = (what: string): void => sendJson(res, 404, { error: 'not found', message: what });
  if (parts[0] !== 'applications') return notFoundJson(`unknown endpoint /api/v1/${parts.join('/')}`);
  if (parts.length === 1) return sendJson(res, 200, [applicationJson(s, id)]);
  if (parts[1] !== id && parts[1] !== run.runId) return notFoundJson(`unknown application id ${parts[1]}`);
  const [, , what, ...rest] = parts;
  switch (what) {
    case undefined:
      return sendJson(res, 200, applicationJson(s, id));
    case 'jobs':
      return rest.length === 0
        ? sendJson(res, 200, jobsJson(s))
        : rest[0] === '0'
          ? sendJson(res, 200, jobsJson(s)[0] ?? {})
          : notFoundJson(`unknown job id ${rest[0]}`);
    case 'executors':
    case 'allexecutors':
      return sendJson(res, 200, executorsJson(s));
    case 'environment':
      return sendJson(res, 200, environmentJson(s));
    case 'iterations':
      return sendJson(res, 200, iterationsJson(s));
    case 'metrics': {
      const m = metricsJson(s);
      return m ? sendJson(res, 200, m) : notFoundJson('no evaluation yet: the job has not finished');
    }
    case 'stages':
      return serveStages(run, rest, url, res);
    case 'storage': {
      if (rest[0] !== 'rdd') return notFoundJson(`unknown endpoint storage/${rest.join('/')}`);
      if (rest.length === 1) return sendJson(res, 200, storageJson(s, false));
      const rdd = storageJson(s, true).find((d) => String(d['id']) === rest[1]);
      return rdd && rest.length === 2 ? sendJson(res, 200, rdd) : notFoundJson(`unknown cached dataset id ${rest[1] ?? ''}`);
    }
    default:
      return notFoundJson(`unknown endpoint ${what}`);
  }
}

function serveStages(run: MountedRun, rest: string[], url: URL, res: ServerResponse): void {
  const s = run.store;
  if (rest.length === 0) {
    const status = url.searchParams.get('status')?.toUpperCase();
    return sendJson(
      res,
      200,
      [...s.stages.values()]
        .reverse()
        .filter((st) => !status || st.status === status)
        .map(stageJson),
    );
  }
  const stageId = Number(rest[0]);
  const st = /^\d+$/.test(rest[0]!) ? s.stages.get(stageId) : undefined;
  if (!st) return sendJson(res, 404, { error: 'not found', message: `unknown stage id ${rest[0]}` });
  if (rest.length === 1) return sendJson(res, 200, [stageJson(st)]);
  if (rest[1] !== '0')
    return sendJson(res, 404, {
      error: 'not found',
      message: `unknown attempt ${rest[1]} of stage ${stageId} (Kindling stages have attempt 0)`,
    });
  if (rest.length === 2) return sendJson(res, 200, stageJson(st));
  if (rest[2] === 'taskSummary') {
    const raw = url.searchParams.get('quantiles') ?? '0.0,0.25,0.5,0.75,1.0';
    const qs = raw.split(',').map(Number);
    if (qs.some((q) => !Number.isFinite(q) || q < 0 || q > 1))
      return sendJson(res, 400, { error: 'bad request', message: `quantiles=${raw}: expected numbers in [0, 1] separated by commas` });
    return sendJson(res, 200, taskSummaryJson(s, stageId, qs));
  }
  if (rest[2] === 'taskList') {
    const p = url.searchParams;
    const sortRaw = p.get('sortBy') ?? 'taskId';
    const desc = sortRaw.startsWith('-');
    const key =
      ({ ID: 'taskId', runtime: 'runMs', duration: 'runMs' } as Record<string, string>)[sortRaw.replace(/^-/, '')] ??
      sortRaw.replace(/^-/, '');
    if (!(TASK_SORT_KEYS as readonly string[]).includes(key))
      return sendJson(res, 400, {
        error: 'bad request',
        message: `sortBy=${sortRaw}: expected one of ${TASK_SORT_KEYS.join(', ')} (prefix - for descending)`,
      });
    const offset = Math.max(0, Number(p.get('offset') ?? 0) || 0);
    const length = Math.min(1000, Math.max(1, Number(p.get('length') ?? 20) || 20));
    return sendJson(res, 200, s.taskPage(stageId, { offset, length, sortBy: key as TaskSortKey, desc })!.tasks.map(taskJson));
  }
  return sendJson(res, 404, { error: 'not found', message: `unknown endpoint ${rest.slice(2).join('/')}` });
}

/** One SSE stream: `update` (id = store version) on each change, at most 5 a second; `done` at the end. */
function serveEvents(run: MountedRun, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    timer = undefined;
    res.write(`event: update\nid: ${run.store.version}\ndata: {"status":"${run.store.status}"}\n\n`);
    if (!run.live()) {
      res.write('event: done\ndata: {}\n\n');
    }
  };
  const off = run.store.onChange(() => {
    timer ??= setTimeout(send, 200);
  });
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  send();
  req.on('close', () => {
    off();
    clearInterval(keepAlive);
    if (timer) clearTimeout(timer);
  });
}
