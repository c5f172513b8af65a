/**
 * A throw-away PKI for the TLS and mutual-TLS tests of NatsServerProcess: the same CA, server
 * and client certificates `kindling cluster up --tls` makes (cluster-pki.ts), plus the CA of a
 * second, unrelated PKI for the "wrong CA" cases.
 */
import { join } from 'node:path';
import { makeClusterPki, type ClusterPki } from '../../src/cluster/cluster-pki.js';

/** Paths of a generated PKI. */
export interface TestPki extends ClusterPki {
  /** A second, unrelated CA. */
  readonly otherCaFile: string;
}

/** Makes a CA, a server certificate for 127.0.0.1/localhost, a client certificate, and an unrelated CA. */
export function makeTestPki(dir: string): TestPki {
  const pki = makeClusterPki(join(dir, 'pki'));
  const other = makeClusterPki(join(dir, 'other-pki'));
  return { ...pki, otherCaFile: other.caFile };
}
