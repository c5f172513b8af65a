/**
 * The Kubernetes side of the CLI: `kindling scale N`, `kindling executors --master k8s://ns`
 * (pods with metrics-server figures, merged with executor heartbeats when NATS is
 * reachable) and `kindling submit --master k8s://ns --deploy-mode cluster|client`.
 * Everything goes through @kindling/coordinator's k8s module and the user's kubeconfig.
 */
import { readFile } from 'node:fs/promises';
import type { ExecutorHeartbeat } from '@kindling/shared';
import type { JobResult, JobSpec, Logger } from '@kindling/coordinator';
import type { ClusterBackend } from '@kindling/coordinator/cluster';
import { Argument, type Command } from 'commander';
import { errorLine, type ExitCode } from '../error-report.js';
import { kubernetesName, nonEmpty, wholeNumber } from '../flag-values.js';
import { natsOptions, type NatsFlags } from '../nats-connection.js';
import type { CliIo } from './submit-io.js';

/** Adds `scale`. */
export function addScaleCommand(program: Command, io: CliIo, onExit: (code: ExitCode) => void): Command {
  return program
    .command('scale')
    .description('set the number of executors (the kindling-executor StatefulSet), like kubectl scale')
    .addArgument(new Argument('<replicas>', 'executor count').argParser(wholeNumber(0, 10_000)))
    .option('--namespace <ns>', "namespace (default: the kubeconfig context's)", kubernetesName)
    .option('--name <name>', 'StatefulSet name', kubernetesName, 'kindling-executor')
    .option('--context <ctx>', 'kubeconfig context', nonEmpty)
    .action(async (replicas: string, o: { namespace?: string; name: string; context?: string }) => {
      try {
        const n = Number(replicas);
        const { loadKubeConfig, currentNamespace, scaleExecutors } = await import('@kindling/coordinator/k8s');
        const kc = loadKubeConfig(o.context ? { context: o.context } : {});
        const ns = o.namespace ?? currentNamespace(kc);
        const r = await scaleExecutors(kc, ns, n, o.name);
        io.stdout.write(`statefulset ${r.namespace}/${r.name} scaled: ${r.previous} → ${r.replicas} executors\n`);
        onExit(0);
      } catch (err) {
        io.stderr.write(`${errorLine(err)}\n`);
        onExit(1);
      }
    });
}

/** `kindling executors --master k8s://ns`: pods, their CPU/memory, and heartbeat state if NATS answers. */
export async function listKubernetesExecutors(
  namespace: string,
  flags: NatsFlags & { natsUrl?: string; json?: boolean },
  io: CliIo,
): Promise<ExitCode> {
  const { loadKubeConfig, executorPodStatus } = await import('@kindling/coordinator/k8s');
  const report = await executorPodStatus(loadKubeConfig(), namespace);
  const beats = flags.natsUrl ? await heartbeats(flags.natsUrl, flags).catch(() => [] as ExecutorHeartbeat[]) : [];
  const byId = new Map(beats.map((b) => [b.executorId, b]));
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ ...report, heartbeats: beats }, null, 2)}\n`);
    return 0;
  }
  const head = ['POD', 'PHASE', 'READY', 'RESTARTS', 'CPU', 'MEMORY', 'REGISTERED', 'RUNNING', 'CACHED'];
  const rows = report.pods.map((p) => {
    const hb = byId.get(p.name);
    const usage = p as { cpuMillicores?: number; memoryBytes?: number };
    return [
      p.name,
      p.phase,
      p.ready ? 'yes' : 'no',
      String(p.restarts),
      usage.cpuMillicores !== undefined ? `${usage.cpuMillicores}m` : '-',
      usage.memoryBytes !== undefined ? `${(usage.memoryBytes / 1048576).toFixed(0)}Mi` : '-',
      hb ? (hb.draining ? 'draining' : 'yes') : flags.natsUrl ? 'no' : '?',
      hb ? String(hb.runningTasks) : '-',
      hb ? `${(hb.cachedBytes / 1048576).toFixed(1)}Mi` : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  io.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
  if (!report.metricsAvailable) io.stdout.write(`CPU and memory unavailable: ${report.reason}\n`);
  if (!flags.natsUrl)
    io.stdout.write(
      'registration: pass --nats-url (e.g. after kubectl port-forward svc/kindling-nats 4222) to merge executor heartbeats\n',
    );
  return 0;
}

async function heartbeats(url: string, flags: NatsFlags): Promise<ExecutorHeartbeat[]> {
  const { NatsTransport, subjects, PROTOCOL_VERSION } = await import('@kindling/shared');
  const conn = natsOptions(url, flags, 'kindling-executors');
  const t = await NatsTransport.connect(conn);
  try {
    const replies = await t.requestMany(
      subjects(conn.prefix).discover,
      { type: 'discover-executors', version: PROTOCOL_VERSION },
      { timeoutMs: 500 },
    );
    return replies.filter((m): m is ExecutorHeartbeat => m.type === 'executor-heartbeat');
  } finally {
    await t.close();
  }
}

/** Options of a Kubernetes submission. */
export interface KubernetesSubmitOptions extends NatsFlags {
  readonly conf?: readonly string[];
  readonly name?: string;
  readonly deployMode?: string;
  readonly image?: string;
  readonly natsUrl?: string;
  readonly dataClaim?: string;
  readonly outputClaim?: string;
  /** Secret with the driver pod's NATS client certificate (cert-manager layout). */
  readonly natsTlsSecret?: string;
  /** Secret with the NATS user NKey seed (key user.nk): the driver pod authenticates with it instead of the token. */
  readonly natsNkeySecret?: string;
}

/**
 * Cluster deploy mode: the job file goes into a ConfigMap and the driver runs as a Job in
 * the namespace; we follow it and print its log. Resolves to the exit code.
 */
export async function submitToKubernetes(
  jobFile: string,
  spec: JobSpec,
  namespace: string,
  o: KubernetesSubmitOptions,
  io: CliIo,
  logger: Logger,
): Promise<ExitCode> {
  const { loadKubeConfig, submitClusterJob, followClusterJob, clusterJobName } = await import('@kindling/coordinator/k8s');
  const kc = loadKubeConfig();
  const jobName = clusterJobName(spec.name);
  const submitted = await submitClusterJob(kc, namespace, {
    jobName,
    jobYaml: await readFile(jobFile, 'utf8'),
    image: o.image ?? 'kindling:dev',
    // The driver pod re-reads the job file: hand it the same overrides.
    args: [...(o.conf ?? []).flatMap((kv) => ['--conf', kv]), ...(o.name ? ['--name', o.name] : [])],
    ...(o.dataClaim ? { dataClaim: o.dataClaim } : {}),
    ...(o.outputClaim ? { outputClaim: o.outputClaim } : {}),
    ...(o.natsTlsSecret ? { natsTlsSecret: o.natsTlsSecret } : {}),
    ...(o.natsNkeySecret ? { natsNkeySecret: o.natsNkeySecret } : {}),
  });
  logger.info({ namespace, job: submitted.jobName }, `driver job ${namespace}/${submitted.jobName} created; following it`);
  const r = await followClusterJob(kc, namespace, submitted.jobName, {
    onPodPhase: (pod, phase) => logger.info({ pod, phase }, `driver pod ${pod}: ${phase}`),
  });
  io.stdout.write(r.log.endsWith('\n') || r.log === '' ? r.log : `${r.log}\n`);
  if (!r.succeeded) {
    io.stderr.write(
      `kindling: error: driver job ${namespace}/${r.jobName} failed${r.reason ? `: ${r.reason}` : ''}${r.message ? ` (${r.message})` : ''} [E_TASK_FAILED]\n`,
    );
    return 1;
  }
  return 0;
}

/**
 * Client deploy mode against Kubernetes executors: the driver runs here and reaches NATS
 * (port-forwarded or exposed); executor pod deletions seen through the API mark executors
 * lost at once instead of after the heartbeat deadline.
 */
export function watchPodsForBackend(namespace: string, backend: ClusterBackend, logger: Logger): Promise<() => void> {
  return import('@kindling/coordinator/k8s').then(({ loadKubeConfig, watchExecutorPods }) =>
    watchExecutorPods(
      loadKubeConfig(),
      namespace,
      (pod) => backend.markLost(pod as Parameters<ClusterBackend['markLost']>[0], `pod ${namespace}/${pod} deleted`),
      (err) => logger.warn({ err: err.message }, 'executor pod watch failed; relying on heartbeats'),
    ),
  );
}

/**
 * Executor pods' usage from metrics-server, for the UI's CPU and memory charts of a k8s:// job:
 * undefined while metrics.k8s.io is not available (no metrics-server), so the charts fall back
 * to the executors' heartbeats.
 */
export function podUsageSampler(
  namespace: string,
): () => Promise<ReadonlyMap<string, { cpuCores: number; memoryBytes: number }> | undefined> {
  const k8s = import('@kindling/coordinator/k8s');
  return async () => {
    const { loadKubeConfig, podMetrics } = await k8s;
    const m = await podMetrics(loadKubeConfig(), namespace);
    if (!m.available) return undefined;
    return new Map([...m.pods].map(([pod, u]) => [pod, { cpuCores: u.cpuMillicores / 1000, memoryBytes: u.memoryBytes }]));
  };
}

export type { JobResult };
