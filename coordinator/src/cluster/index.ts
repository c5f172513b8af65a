/**
 * @kindling/coordinator/cluster — the driver's NATS side (ClusterBackend). A separate entry
 * so that local-mode runs do not load the wire layer (NATS client, zod schemas).
 * @module
 */
export { ClusterBackend, RemoteExecutorClient, type ClusterBackendOptions } from './cluster-backend.js';
