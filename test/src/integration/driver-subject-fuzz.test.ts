/**
 * A live driver under fuzzed traffic: a real nats-server, real executor processes and a
 * DriverContext built as the harness builds it run the bank job while a raw NATS client
 * publishes seeded random and mutated messages to every subject the driver listens on — its
 * results subject, its fetch-range subject (with a reply inbox, as an executor asks) and the
 * executors' heartbeat subject. The job must finish with the bits of an undisturbed run on the
 * same cluster; what the driver refuses is logged and dropped, and no handler throws.
 */
import t from 'tap';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { DriverContext, EventBus, parseJobSpecFile, type JobResult, type Logger } from '@kindling/coordinator';
import type { ClusterBackend } from '@kindling/coordinator/cluster';
import { decodeMessage, NatsTransport, PROTOCOL_VERSION, subjects, type Message } from '@kindling/shared';
import { LocalCluster } from '../harness/local-cluster.js';
import { bankCsv, bankJob } from '../harness/paths.js';

const SEED = 20261204;

type Line = { level: string; msg: string } & Record<string, unknown>;

/** The driver's and its transport's log, kept to check what an operator would read. */
function memoryLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) =>
    void lines.push(typeof obj === 'string' ? { level, msg: obj } : { level, msg: msg ?? '', ...obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Runs the bank job with a driver of this cluster; `during` runs once the backend exists and is awaited with the job. */
async function runJob(
  cluster: LocalCluster,
  name: string,
  output: string,
  logger: Logger,
  during?: (backend: ClusterBackend, jobDone: () => boolean) => Promise<void>,
): Promise<JobResult> {
  const transport = await NatsTransport.connect(cluster.connectionOptions(name), logger);
  try {
    const driver = await DriverContext.onCluster(transport, {
      events: new EventBus(),
      logger,
      executorWaitMs: 10_000,
      cluster: { prefix: cluster.prefix, heartbeatMs: 250, executorTimeoutMs: 2000 },
    });
    const backend = driver.backend!;
    try {
      await backend.waitForExecutors(2, 10_000);
      let done = false;
      const job = driver.runJob(await parseJobSpecFile(bankJob, { output, conf: { 'input.path': bankCsv } })).finally(() => (done = true));
      const [result] = await Promise.all([job, during?.(backend, () => done)]);
      return result;
    } finally {
      await driver.close();
    }
  } finally {
    await transport.close();
  }
}

/**
 * Real messages seen on the driver-side subjects while the reference job ran (decoded, as
 * templates). Outcomes that came back in a launch's answer (an executor whose launch ended
 * within its hold answers with them) become tasks-finished templates too: a driver takes
 * both alike, and most gradient outcomes travel that way on a quiet machine.
 */
async function capture(raw: NatsConnection, prefix: string) {
  const seen: Array<{ kind: 'results' | 'heartbeat'; msg: Record<string, unknown> }> = [];
  const launches = new Map<string, { executorId: string; jobId: unknown }>();
  const decoded = (m: Msg): Record<string, unknown> | undefined => {
    try {
      return decodeMessage(m.data) as unknown as Record<string, unknown>;
    } catch {
      return undefined; // a chunk of a large message: not a template
    }
  };
  const subs = [
    { kind: 'results' as const, subject: `${prefix}.driver.*.results` },
    { kind: 'heartbeat' as const, subject: subjects(prefix).executorHeartbeats },
  ].map(({ kind, subject }) =>
    raw.subscribe(subject, {
      callback: (_err: Error | null, m: Msg) => {
        const msg = decoded(m);
        if (msg) seen.push({ kind, msg });
      },
    }),
  );
  subs.push(
    raw.subscribe(`${prefix}.executor.*.launch`, {
      callback: (_err: Error | null, m: Msg) => {
        const msg = decoded(m);
        if (msg && m.reply) launches.set(m.reply, { executorId: m.subject.split('.').at(-2)!, jobId: msg['jobId'] });
      },
    }),
    raw.subscribe('_INBOX.>', {
      callback: (_err: Error | null, m: Msg) => {
        const msg = decoded(m);
        const launch = launches.get(m.subject);
        if (msg?.['type'] !== 'tasks-accepted' || !Array.isArray(msg['outcomes']) || !launch) return;
        seen.push({ kind: 'results', msg: { type: 'tasks-finished', version: msg['version'], ...launch, outcomes: msg['outcomes'] } });
      },
    }),
  );
  await raw.flush();
  return { seen, stop: () => subs.forEach((s) => s.unsubscribe()) };
}

t.test('driver-subject-fuzz: random and mutated messages to a live driver leave its job bit-identical', async (t) => {
  const cluster = await LocalCluster.start(2);
  t.teardown(() => cluster.stop());
  const S = subjects(cluster.prefix);
  const raw = await connect({ servers: cluster.url, name: 'fuzzer' });
  t.teardown(() => raw.close());

  // The undisturbed run, which also shows what real traffic to a driver looks like.
  const tap = await capture(raw, cluster.prefix);
  const reference = await runJob(cluster, 'driver-ref', t.testdir() + '/ref', memoryLogger());
  tap.stop();
  const results = tap.seen.filter((s) => s.kind === 'results').map((s) => s.msg);
  const heartbeats = tap.seen.filter((s) => s.kind === 'heartbeat').map((s) => s.msg);
  t.ok(results.length > 10 && heartbeats.length > 0, `templates: ${results.length} outcome messages, ${heartbeats.length} heartbeats`);

  // Every fuzzed message is one of these: a real one with a field set, deleted or added
  // (outcomes inside tasks-finished too), a random msgpack value, or random bytes.
  const anyValue = fc.anything({ maxDepth: 2, withTypedArray: true, withBigInt: true, withDate: true, withMap: true, withSet: true });
  const field = fc.record({ key: fc.string({ maxLength: 10 }), value: anyValue, op: fc.constantFrom('set', 'delete', 'add') });
  const mutate = (msg: Record<string, unknown>, f: { key: string; value: unknown; op: string }): Record<string, unknown> => {
    const keys = Object.keys(msg);
    const target = f.op === 'add' ? `x${f.key}` : keys[f.key.length % keys.length]!;
    const copy: Record<string, unknown> = { ...msg };
    if (f.op === 'delete') delete copy[target];
    else copy[target] = f.value;
    return copy;
  };
  type Target = 'results' | 'fetch' | 'heartbeat';
  type Fuzz =
    | { target: Target; kind: 'mutated'; template: number; fields: Array<{ key: string; value: unknown; op: string }>; inOutcome: boolean }
    | { target: Target; kind: 'value'; value: unknown }
    | { target: Target; kind: 'bytes'; bytes: Uint8Array }
    | { target: 'results'; kind: 'forged'; wrong: 'executor' | 'job' | 'partition'; ok: boolean };
  const target = fc.constantFrom<Target>('results', 'results', 'fetch', 'heartbeat');
  const fuzz: fc.Arbitrary<Fuzz> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        target,
        kind: fc.constant('mutated' as const),
        template: fc.nat(),
        fields: fc.array(field, { minLength: 1, maxLength: 3 }),
        inOutcome: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ target, kind: fc.constant('value' as const), value: anyValue }) },
    { weight: 2, arbitrary: fc.record({ target, kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 200 }) }) },
    // An outcome naming a task in flight right now, but from another executor, job or
    // partition: the driver must drop it, not settle or fail the task.
    {
      weight: 2,
      arbitrary: fc.record({
        target: fc.constant('results' as const),
        kind: fc.constant('forged' as const),
        wrong: fc.constantFrom('executor' as const, 'job' as const, 'partition' as const),
        ok: fc.boolean(),
      }),
    },
  );
  const plan = fc.sample(fuzz, { seed: SEED, numRuns: 1500 });

  const log = memoryLogger();
  const thrown: unknown[] = [];
  const onThrow = (err: unknown) => void thrown.push(err);
  process.on('uncaughtException', onThrow);
  process.on('unhandledRejection', onThrow);
  t.teardown(() => {
    process.off('uncaughtException', onThrow);
    process.off('unhandledRejection', onThrow);
  });
  const inbox = `fuzz-replies.${SEED}`;
  let replies = 0;
  raw.subscribe(`${inbox}.>`, { callback: () => void replies++ });

  const sent: Record<string, number> = { results: 0, fetch: 0, heartbeat: 0, forged: 0 };
  let own: Record<Target, string> | undefined;
  const fuzzed = await runJob(cluster, 'driver-fuzzed', t.testdir() + '/fuzzed', log, async (backend, jobDone) => {
    own = {
      results: S.taskResults(backend.driverId),
      fetch: S.fetchRange(backend.driverId),
      heartbeat: S.executorHeartbeats,
    };
    // A real-looking fetch-range for the job's own input, as an executor without the file sends.
    const fetchTemplate = (): Record<string, unknown> => ({
      type: 'fetch-range',
      version: PROTOCOL_VERSION,
      jobId: backend.diagnostics().inFlight[0]?.jobId ?? 'job',
      file: bankCsv,
      start: 0,
      end: 64,
    });
    for (const [i, f] of plan.entries()) {
      if (jobDone()) break;
      let payload: Uint8Array | undefined;
      try {
        if (f.kind === 'bytes') payload = f.bytes;
        else if (f.kind === 'value') payload = pack(f.value);
        else if (f.kind === 'forged') {
          const task = backend.diagnostics().inFlight[0];
          if (task === undefined) continue;
          const msg: Message = {
            type: 'tasks-finished',
            version: PROTOCOL_VERSION,
            executorId: f.wrong === 'executor' ? 'executor-9' : task.executorId,
            jobId: f.wrong === 'job' ? `${task.jobId}-other` : task.jobId,
            outcomes: [
              f.ok
                ? { taskId: task.taskId, partition: f.wrong === 'partition' ? task.partition + 1 : task.partition, ok: true, result: {} }
                : {
                    taskId: task.taskId,
                    partition: f.wrong === 'partition' ? task.partition + 1 : task.partition,
                    ok: false,
                    error: { code: 'E_INTERNAL', name: 'KindlingError', message: 'forged' },
                  },
            ],
          };
          payload = pack(msg);
          sent.forged!++;
        } else {
          const pool = f.target === 'heartbeat' ? heartbeats : f.target === 'results' ? results : [fetchTemplate()];
          let msg = pool[f.template % pool.length]!;
          const outcomes = msg['outcomes'];
          for (const fl of f.fields) {
            if (f.inOutcome && Array.isArray(outcomes) && outcomes.length > 0) {
              msg = { ...msg, outcomes: [mutate(outcomes[0] as Record<string, unknown>, fl), ...outcomes.slice(1)] };
            } else msg = mutate(msg, fl);
          }
          // A mutated heartbeat keeps no real executor's id: a forged "restart" of a real
          // executor is a valid message, and what it costs (lost tasks, rerun) is not a bug.
          if (f.target === 'heartbeat' && typeof msg['executorId'] === 'string' && /^executor-\d+$/.test(msg['executorId']))
            msg = { ...msg, executorId: `fuzz-${i}` };
          payload = pack(msg);
        }
      } catch {
        continue; // not encodable by msgpack: nothing a peer could send
      }
      raw.publish(own[f.target]!, payload, f.target === 'fetch' ? { reply: `${inbox}.${i}` } : undefined);
      sent[f.target]!++;
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
    }
    await raw.flush();
  });

  const total = sent.results! + sent.fetch! + sent.heartbeat!;
  t.ok(total >= 300, `${total} fuzzed messages reached the driver while its job ran (${JSON.stringify(sent)}, ${replies} fetch replies)`);
  t.ok(sent.forged! > 0, 'outcomes naming tasks in flight were forged');
  t.same(bits(fuzzed.coefficients), bits(reference.coefficients), 'coefficients bit-identical to the undisturbed run');
  t.ok(Object.is(fuzzed.intercept, reference.intercept), 'intercept bit-identical');
  t.same(fuzzed.objectiveHistory, reference.objectiveHistory, 'objective history');
  t.same(fuzzed.metrics, reference.metrics, 'metrics');

  const rejected = log.lines.filter((l) => l.level === 'warn' && l.msg === 'rejected message');
  const subjectsRejected = new Set(rejected.map((l) => String(l['subject'])));
  t.ok(rejected.length > 50, `${rejected.length} refused messages logged`);
  for (const subject of Object.values(own!)) t.ok(subjectsRejected.has(subject), `refusals logged on ${subject}`);
  t.ok(
    log.lines.some((l) => l.msg === 'outcome from the wrong executor, job or partition ignored'),
    'forged outcomes are dropped with a warning',
  );
  const failedHandlers = log.lines.filter((l) => l.msg === 'message handler failed');
  t.same(
    failedHandlers.map((l) => `${String(l['subject'])}: ${String(l['reason'])}`),
    [],
    'no handler threw on a fuzzed message',
  );
  t.same(
    log.lines.filter((l) => l.level === 'error').map((l) => l.msg),
    [],
    'nothing logged as an error',
  );
  t.same(thrown, [], 'no uncaught exception or unhandled rejection');
});
