/**
 * ClusterPki: the certificates of `kindling cluster up --tls`: a private CA, a server
 * certificate for 127.0.0.1/localhost, and one client certificate that the executors and the
 * drivers of this machine share (used only with --mtls). Made with openssl (Debian's, through
 * execFile: no shell), EC P-256, valid for 30 days; the keys are written mode 0600. Called by
 * local-cluster.ts; the files stay in the cluster folder so `cluster status` and drivers reuse
 * them, and `cluster down` leaves them (a new `up` makes fresh ones).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KindlingError } from '@kindling/shared';

/** Paths of a cluster's TLS files. */
export interface ClusterPki {
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

const DAYS = '30';

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', [...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const missing = err instanceof Error && 'code' in err && err.code === 'ENOENT';
    const stderr = err instanceof Error && 'stderr' in err ? String(err.stderr).trim().split('\n').slice(-2).join(' ') : '';
    throw new KindlingError(
      'E_IO',
      missing ? '--tls needs openssl; install it with: apt-get install -y openssl' : `openssl ${args[0]} failed: ${stderr || String(err)}`,
    );
  }
}

/** Makes a fresh CA, server and client certificate in `dir` (created; previous files replaced). */
export function makeClusterPki(dir: string): ClusterPki {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      DAYS,
      '-subj',
      '/CN=Kindling local cluster CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const leaf = (name: string, ext: string): void => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=kindling-${name}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        DAYS,
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
    rmSync(join(dir, `${name}.csr`));
    rmSync(join(dir, `${name}.ext`));
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  for (const key of ['ca.key', 'server.key', 'client.key']) chmodSync(join(dir, key), 0o600);
  return {
    caFile: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}
