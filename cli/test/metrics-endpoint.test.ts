/**
 * `kindling submit --metrics-port`: a bad value is a usage error (exit 2) naming the flag; a
 * taken port is one clear line; and a real local job serves the driver's metrics while it runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseMetricsPort } from '../src/metrics-endpoint.js';
import { runCli } from '../src/run-cli.js';

const BANK_JOB = fileURLToPath(new URL('../../../examples/bank-lr.yaml', import.meta.url));

async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { isTTY: false, write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/** A port that was free a moment ago (the OS picked it). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

t.test('metrics-endpoint: parseMetricsPort takes 0-65535 only', async (t) => {
  t.equal(parseMetricsPort('9464'), 9464);
  t.equal(parseMetricsPort('0'), 0);
  for (const bad of ['abc', '-1', '65536', '1.5', '']) t.throws(() => parseMetricsPort(bad), /expected a port number 0-65535/, bad);
});

t.test('metrics-endpoint: --metrics-port abc exits 2 naming the flag', async (t) => {
  const r = await inProcess('submit', '--metrics-port', 'abc', BANK_JOB);
  t.equal(r.code, 2);
  t.match(r.stderr, /--metrics-port <port>.*abc.*expected a port number 0-65535/);
  t.equal(r.stdout, '');
});

t.test('metrics-endpoint: a taken port fails the submit with one line naming the address', async (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'kindling-metrics-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const r = await inProcess(
    'submit',
    '--master',
    'local[1]',
    '--no-progress',
    '--log-level',
    'error',
    '--output',
    path.join(scratch, 'out'),
    '--metrics-port',
    String(port),
    BANK_JOB,
  );
  t.equal(r.code, 1);
  t.equal(r.stderr, `kindling: error: metrics endpoint 127.0.0.1:${port}: the address is in use [E_IO]\n`);
});

t.test('metrics-endpoint: a local job serves /metrics while it runs and stops after', async (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'kindling-metrics-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const pages: string[] = [];
  let done = false;
  // Scrape as Prometheus would, for as long as the job runs (refused connections before the
  // endpoint is up and after it is gone are expected).
  const scraper = (async () => {
    while (!done) {
      try {
        pages.push(await (await fetch(url)).text());
      } catch {
        // not listening (yet, or any more)
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const r = await inProcess(
    'submit',
    '--master',
    'local[2]',
    '--no-progress',
    '--output',
    path.join(scratch, 'out'),
    '--metrics-port',
    String(port),
    BANK_JOB,
  );
  done = true;
  await scraper;
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `driver metrics at ${url}`);
  t.ok(pages.length > 0, `scraped ${pages.length} page(s) during the job`);
  const last = pages.at(-1) ?? '';
  for (const series of [
    'kindling_driver_jobs_active',
    'kindling_driver_tasks_total',
    'kindling_driver_task_duration_seconds_bucket',
    'kindling_driver_executors{state="active"} 1',
  ]) {
    t.ok(
      pages.some((p) => p.includes(series)),
      series,
    );
  }
  t.ok(
    pages.some((p) => /^kindling_driver_jobs_active 1$/m.test(p)),
    'a scrape saw the job running',
  );
  t.ok(last.includes('kindling_driver_executors'), 'the last page is a full page');
  await t.rejects(fetch(url), 'the endpoint is gone after the job');
});
