/**
 * A fake Kubernetes API server for the k8s/ tests. No Kubernetes API server runs on the
 * build machine (and no Docker engine), so the tests point a real @kubernetes/client-node
 * KubeConfig at this node:http server on 127.0.0.1. It serves only the routes a test gives
 * it, answering with the response shapes the real API server sends (Status objects for errors,
 * newline-delimited JSON watch streams), and records every request so tests can assert the
 * method, path, query, content type and body the client sent. Unknown paths get a 404 Status.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** A request as the fake server received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A canned reply: JSON (default), or text with its content type. */
export interface Reply {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
}

/** A route: a handler returns a Reply, or writes the response itself (watch streams) and returns undefined. */
export interface Route {
  readonly method: string;
  readonly path: string;
  /** Only for requests with `?watch=true` (true), only without (false), or both (undefined). */
  readonly watch?: boolean;
  readonly handle: (req: RecordedRequest, res: http.ServerResponse) => Reply | undefined | Promise<Reply | undefined>;
}

/** The running fake server. */
export interface FakeKubeApi {
  readonly requests: RecordedRequest[];
  readonly url: string;
  /** A KubeConfig whose current context points here (bearer token "t"). */
  kubeConfig(): KubeConfig;
  close(): Promise<void>;
}

/** Kubernetes' error body: what the real API server returns with any 4xx/5xx JSON error. */
export function kubeStatus(code: number, reason: string, message: string, details: Record<string, unknown> = {}): Reply {
  return { status: code, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code } };
}

/** Starts the server on a free loopback port. */
export async function startFakeKubeApi(routes: readonly Route[]): Promise<FakeKubeApi> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const isWatch = url.searchParams.get('watch') === 'true';
      const route = routes.find((r) => r.method === rec.method && r.path === rec.path && (r.watch === undefined || r.watch === isWatch));
      void Promise.resolve(route ? route.handle(rec, res) : kubeStatus(404, 'NotFound', 'the server could not find the requested resource'))
        .then((reply) => {
          if (reply) send(res, reply);
        })
        .catch((err: unknown) => send(res, kubeStatus(500, 'InternalError', String(err))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    requests,
    url,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'u', namespace: 'ns' }],
        currentContext: 'fake',
      });
      return kc;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts a watch response: 200 with chunked newline-delimited JSON, as the API server streams it. */
export function startWatchStream(res: http.ServerResponse): (type: string, object: unknown) => void {
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  return (type, object) => res.write(`${JSON.stringify({ type, object })}\n`);
}

/** A pod as the API server returns it (the fields the k8s/ code reads, plus the usual ones). */
export function podJson(
  name: string,
  o: { phase?: string; ready?: boolean; restarts?: number; node?: string; labels?: Record<string, string>; namespace?: string } = {},
): Record<string, unknown> {
  const ready = o.ready ?? true;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: o.namespace ?? 'ns',
      uid: `uid-${name}`,
      resourceVersion: '100',
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: o.labels ?? {
        'app.kubernetes.io/name': 'kindling',
        'app.kubernetes.io/component': 'executor',
        'statefulset.kubernetes.io/pod-name': name,
      },
    },
    spec: { nodeName: o.node ?? 'node-a', containers: [{ name: 'executor', image: 'kindling:dev' }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False' },
        { type: 'ContainersReady', status: ready ? 'True' : 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [
        {
          name: 'executor',
          ready,
          restartCount: o.restarts ?? 0,
          image: 'kindling:dev',
          imageID: 'docker://sha256:0',
          started: true,
          state: { running: { startedAt: '2025-01-01T00:00:05Z' } },
        },
      ],
    },
  };
}

/** A PodList with a list resourceVersion. */
export function podListJson(resourceVersion: string, items: readonly unknown[]): Record<string, unknown> {
  return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion }, items };
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.text ?? JSON.stringify(reply.json ?? {});
  res.writeHead(reply.status ?? 200, {
    'content-type': reply.contentType ?? (reply.text !== undefined ? 'text/plain' : 'application/json'),
  });
  res.end(body);
}
