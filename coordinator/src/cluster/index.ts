/**
 * @kindling/coordinator/cluster — the driver's NATS side. A separate entry so that local-mode
 * runs do not load the wire layer (NATS client, zod schemas). ClusterBackend is the entry
 * point; the roles it composes are exported for tests and for drivers that wire them
 * differently.
 *
 * ```ts
 * const backend = await ClusterBackend.start(transport, logger, { prefix: 'kindling' });
 * await backend.waitForExecutors(1, 10_000);
 * ```
 * @module
 */
export { ClusterBackend, type ClusterBackendOptions } from './cluster-backend.js';
export { ExecutorRegistry, type ExecutorConnector, type ExecutorRegistryOptions } from './executor-registry.js';
export { TaskLauncher, type TaskLauncherOptions } from './task-launcher.js';
export { RemoteExecutorClient, type TaskTraffic } from './remote-executor-client.js';
export { InputServer, type JobInputs, type ServedFile } from './input-server.js';
export type { ExecutorMembership, MembershipChange } from './executor-membership.js';
