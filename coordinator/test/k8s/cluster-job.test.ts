// No Kubernetes API server runs on this machine: these tests drive the real @kubernetes/client-node
// against fake-kube-api.ts, a local HTTP server answering with the Job/ConfigMap/Pod/log shapes the API returns.
import t from 'tap';
import type { KindlingError } from '@kindling/shared';
import type { V1ConfigMap, V1Job, V1Service } from '@kubernetes/client-node';
import { deleteClusterJob, followClusterJob, submitClusterJob } from '../../src/k8s/cluster-job.js';
import { kubeStatus, startFakeKubeApi, type Route } from './fake-kube-api.js';

const JOBS = '/apis/batch/v1/namespaces/ns/jobs';
const CONFIGMAPS = '/api/v1/namespaces/ns/configmaps';
const PODS = '/api/v1/namespaces/ns/pods';
const SERVICES = '/api/v1/namespaces/ns/services';
const JOB = 'kindling-bank-lr-abc';
const POD = `${JOB}-x7k2p`;
const JOB_YAML = 'name: bank-lr\ninput:\n  path: /app/examples/data/bank.csv\n';

/** A Job as the API server returns it after `status` has been set by the Job controller. */
function jobJson(status: Record<string, unknown>): unknown {
  return {
    kind: 'Job',
    apiVersion: 'batch/v1',
    metadata: { name: JOB, namespace: 'ns', uid: 'job-uid-1', creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: { backoffLimit: 0 },
    status,
  };
}

function driverPodJson(phase: string, state: Record<string, unknown>): unknown {
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '9' },
    items: [
      {
        metadata: {
          name: POD,
          namespace: 'ns',
          creationTimestamp: '2025-01-01T00:00:01Z',
          labels: { 'app.kubernetes.io/instance': JOB, 'batch.kubernetes.io/job-name': JOB },
        },
        spec: { containers: [{ name: 'driver', image: 'kindling:dev' }] },
        status: {
          phase,
          containerStatuses: [{ name: 'driver', ready: phase === 'Running', restartCount: 0, image: 'kindling:dev', imageID: '', state }],
        },
      },
    ],
  };
}

const RUNNING = { running: { startedAt: '2025-01-01T00:00:03Z' } };
const COMPLETE = {
  succeeded: 1,
  completionTime: '2025-01-01T00:01:00Z',
  conditions: [
    { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: '2025-01-01T00:01:00Z', lastTransitionTime: '2025-01-01T00:01:00Z' },
    { type: 'Complete', status: 'True', lastProbeTime: '2025-01-01T00:01:00Z', lastTransitionTime: '2025-01-01T00:01:00Z' },
  ],
};

function createRoutes(created: { job?: V1Job; configMap?: V1ConfigMap; service?: V1Service }): Route[] {
  return [
    {
      method: 'POST',
      path: JOBS,
      handle: (req) => {
        created.job = JSON.parse(req.body) as V1Job;
        return {
          status: 201,
          json: {
            ...created.job,
            metadata: { ...created.job.metadata, uid: 'job-uid-1', creationTimestamp: '2025-01-01T00:00:00Z' },
            status: {},
          },
        };
      },
    },
    {
      method: 'POST',
      path: CONFIGMAPS,
      handle: (req) => {
        created.configMap = JSON.parse(req.body) as V1ConfigMap;
        return { status: 201, json: { ...created.configMap, metadata: { ...created.configMap.metadata, uid: 'cm-uid-1' } } };
      },
    },
    {
      method: 'POST',
      path: SERVICES,
      handle: (req) => {
        created.service = JSON.parse(req.body) as V1Service;
        return { status: 201, json: { ...created.service, metadata: { ...created.service.metadata, uid: 'svc-uid-1' } } };
      },
    },
  ];
}

/** Routes serving a Job that goes through `steps` (one per poll), with matching driver pod states. */
function followRoutes(steps: Array<{ job: Record<string, unknown>; phase: string; state: Record<string, unknown> }>, log: string): Route[] {
  let poll = 0;
  return [
    { method: 'GET', path: `${JOBS}/${JOB}`, handle: () => ({ json: jobJson(steps[Math.min(poll, steps.length - 1)]!.job) }) },
    {
      method: 'GET',
      path: PODS,
      handle: () => {
        const step = steps[Math.min(poll, steps.length - 1)]!;
        poll++;
        return { json: driverPodJson(step.phase, step.state) };
      },
    },
    { method: 'GET', path: `${PODS}/${POD}/log`, handle: () => ({ text: log }) },
  ];
}

t.test('cluster-job: submit creates the Job, then its ConfigMap owned by it; follow reaches Succeeded with the log', async (t) => {
  const created: { job?: V1Job; configMap?: V1ConfigMap; service?: V1Service } = {};
  const log = 'INFO job bank-lr started\nareaUnderROC 0.8862\n';
  const api = await startFakeKubeApi([
    ...createRoutes(created),
    ...followRoutes(
      [
        { job: { active: 1 }, phase: 'Pending', state: { waiting: { reason: 'ContainerCreating' } } },
        { job: { active: 1, ready: 1 }, phase: 'Running', state: RUNNING },
        { job: COMPLETE, phase: 'Succeeded', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
      log,
    ),
  ]);
  t.teardown(() => api.close());
  const kc = api.kubeConfig();

  const submitted = await submitClusterJob(kc, 'ns', {
    jobName: JOB,
    jobYaml: JOB_YAML,
    image: 'kindling:dev',
    args: ['--conf', 'model.maxIter=5'],
  });
  t.same(submitted, { namespace: 'ns', jobName: JOB, configMapName: `${JOB}-spec`, uid: 'job-uid-1' });
  t.same(
    api.requests.map((r) => `${r.method} ${r.path}`),
    [`POST ${JOBS}`, `POST ${CONFIGMAPS}`, `POST ${SERVICES}`],
    'Job first, so the ConfigMap and Service can name it as owner',
  );
  t.same(
    created.service?.metadata?.ownerReferences,
    [{ apiVersion: 'batch/v1', kind: 'Job', name: JOB, uid: 'job-uid-1' }],
    'the Service goes with the Job',
  );
  const container = created.job?.spec?.template.spec?.containers[0];
  t.same(container?.args, [
    'submit',
    '--master',
    '$(KINDLING_MASTER)',
    '--output',
    `/out/${JOB}`,
    '--no-progress',
    '--metrics-port',
    '9464',
    '--metrics-host',
    '0.0.0.0',
    '--conf',
    'model.maxIter=5',
    '/etc/kindling/job.yaml',
  ]);
  t.equal(created.job?.spec?.backoffLimit, 0);
  t.equal(created.configMap?.data?.['job.yaml'], JOB_YAML);
  t.same(created.configMap?.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: JOB, uid: 'job-uid-1' }]);

  const phases: string[] = [];
  const result = await followClusterJob(kc, 'ns', JOB, { pollMs: 1, onPodPhase: (pod, phase) => phases.push(`${pod}:${phase}`) });
  t.same(result, { jobName: JOB, succeeded: true, podName: POD, exitCode: 0, log });
  t.same(phases, [`${POD}:Pending`, `${POD}:Running`, `${POD}:Succeeded`]);
  const podQuery = api.requests.find((r) => r.path === PODS)!.query.get('labelSelector');
  t.equal(podQuery, `app.kubernetes.io/name=kindling,app.kubernetes.io/component=driver,app.kubernetes.io/instance=${JOB}`);
  t.equal(api.requests.find((r) => r.path.endsWith('/log'))?.query.get('container'), 'driver');
});

t.test('cluster-job: a failed driver Job is reported with its reason, exit code and log', async (t) => {
  const log = 'E_CSV_MALFORMED /data/bank.csv line 12: unterminated quote\n';
  const api = await startFakeKubeApi(
    followRoutes(
      [
        {
          job: {
            failed: 1,
            conditions: [
              {
                type: 'FailureTarget',
                status: 'True',
                reason: 'BackoffLimitExceeded',
                message: 'Job has reached the specified backoff limit',
              },
              { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
            ],
          },
          phase: 'Failed',
          state: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
      log,
    ),
  );
  t.teardown(() => api.close());
  const result = await followClusterJob(api.kubeConfig(), 'ns', JOB, { pollMs: 1 });
  t.same(result, {
    jobName: JOB,
    succeeded: false,
    podName: POD,
    exitCode: 1,
    reason: 'BackoffLimitExceeded',
    message: 'Job has reached the specified backoff limit',
    log,
  });
});

t.test('cluster-job: a driver image that cannot be pulled ends the follow instead of waiting forever', async (t) => {
  const api = await startFakeKubeApi(
    followRoutes(
      [
        {
          job: { active: 1 },
          phase: 'Pending',
          state: {
            waiting: { reason: 'ErrImageNeverPull', message: 'Container image "kindling:dev" is not present with pull policy of Never' },
          },
        },
      ],
      'never read',
    ),
  );
  t.teardown(() => api.close());
  const result = await followClusterJob(api.kubeConfig(), 'ns', JOB, { pollMs: 1 });
  t.equal(result.succeeded, false);
  t.equal(result.reason, 'ErrImageNeverPull');
  t.match(result.message, /not present with pull policy of Never/);
  t.equal(result.log, '');
  t.notOk(
    api.requests.some((r) => r.path.endsWith('/log')),
    'no log is asked of a container that never started',
  );
});

t.test('cluster-job: a forbidden log read keeps the outcome and explains the missing pods/log rule', async (t) => {
  const routes = followRoutes([{ job: COMPLETE, phase: 'Succeeded', state: { terminated: { exitCode: 0 } } }], '');
  routes[2] = {
    method: 'GET',
    path: `${PODS}/${POD}/log`,
    handle: () => kubeStatus(403, 'Forbidden', 'pods "x" is forbidden: cannot get resource "pods/log"'),
  };
  const api = await startFakeKubeApi(routes);
  t.teardown(() => api.close());
  const result = await followClusterJob(api.kubeConfig(), 'ns', JOB, { pollMs: 1 });
  t.equal(result.succeeded, true);
  t.match(result.logError?.message, /RBAC forbids: get pods\/log ".*" in namespace "ns".*resources: \["pods\/log"\], verbs: \["get"\]/);
});

t.test('cluster-job: follow gives up after timeoutMs naming the Job and its pod', async (t) => {
  const api = await startFakeKubeApi(followRoutes([{ job: { active: 1 }, phase: 'Running', state: RUNNING }], ''));
  t.teardown(() => api.close());
  await t.rejects(followClusterJob(api.kubeConfig(), 'ns', JOB, { pollMs: 5, timeoutMs: 20 }), {
    code: 'E_IO',
    message: new RegExp(`driver Job "${JOB}" in namespace "ns" did not finish within 20 ms \\(pod ${POD}, Running\\)`),
  });
});

t.test('cluster-job: when the ConfigMap cannot be created the Job is deleted again and the error names the rule', async (t) => {
  const created: { job?: V1Job } = {};
  const routes = createRoutes(created);
  routes[1] = {
    method: 'POST',
    path: CONFIGMAPS,
    handle: () => kubeStatus(403, 'Forbidden', 'configmaps is forbidden: cannot create resource "configmaps"'),
  };
  routes.push({ method: 'DELETE', path: `${JOBS}/${JOB}`, handle: () => ({ json: jobJson({}) }) });
  const api = await startFakeKubeApi(routes);
  t.teardown(() => api.close());
  const err = (await submitClusterJob(api.kubeConfig(), 'ns', { jobName: JOB, jobYaml: JOB_YAML, image: 'kindling:dev' }).then(
    () => undefined,
    (e: unknown) => e,
  )) as KindlingError;
  t.equal(err.code, 'E_IO');
  t.match(err.message, /create configmaps "kindling-bank-lr-abc-spec" in namespace "ns".*verbs: \["create"\]/);
  t.same(
    api.requests.map((r) => `${r.method} ${r.path}`),
    [`POST ${JOBS}`, `POST ${CONFIGMAPS}`, `DELETE ${JOBS}/${JOB}`],
  );
});

t.test('cluster-job: invalid options are rejected before any request', async (t) => {
  const api = await startFakeKubeApi([]);
  t.teardown(() => api.close());
  await t.rejects(submitClusterJob(api.kubeConfig(), 'ns', { jobName: 'Bank_LR', jobYaml: JOB_YAML, image: 'kindling:dev' }), {
    code: 'E_INVALID_VALUE',
    message: /jobName: "Bank_LR" is not a DNS-1123 label/,
  });
  t.equal(api.requests.length, 0);
});

t.test('cluster-job: delete removes the Job with its pods (background propagation) and the ConfigMap', async (t) => {
  const api = await startFakeKubeApi([
    { method: 'DELETE', path: `${JOBS}/${JOB}`, handle: () => ({ json: jobJson({ succeeded: 1 }) }) },
    // The garbage collector may already have removed the ConfigMap with its owner.
  ]);
  t.teardown(() => api.close());
  const result = await deleteClusterJob(api.kubeConfig(), 'ns', JOB);
  t.same(result, { jobDeleted: true, configMapDeleted: false });
  const del = api.requests[0]!;
  const policy =
    del.query.get('propagationPolicy') ??
    (del.body ? (JSON.parse(del.body) as { propagationPolicy?: string }).propagationPolicy : undefined);
  t.equal(policy, 'Background', 'pods go with the Job');
  t.equal(api.requests[1]?.path, `${CONFIGMAPS}/${JOB}-spec`);
});
