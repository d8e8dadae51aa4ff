import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from '../toolchain';

const run = promisify(execFile);
const openssl = (args: string[]): Promise<unknown> => run('openssl', args);

export interface ClusterPki {
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** Signs ServiceAccount tokens (TokenRequest API); the API server verifies with the public half. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/**
 * Makes a throw-away PKI for one local cluster with openssl: a CA, a serving certificate for
 * 127.0.0.1/localhost and the in-cluster service name, and a ServiceAccount signing key pair.
 * Node's crypto cannot issue X.509 certificates, hence openssl. Keys are EC P-256 (fast to make).
 */
export async function makeClusterPki(dir: string): Promise<ClusterPki> {
  requireTool('openssl', 'install OpenSSL (apt-get install openssl)');
  const f = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '7',
    '-subj',
    '/CN=pitcrew-local-ca',
  ]);
  await openssl([
    'req',
    ...ec,
    '-keyout',
    f('apiserver.key'),
    '-out',
    f('apiserver.csr'),
    '-subj',
    '/CN=kube-apiserver',
  ]);
  writeFileSync(
    f('apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' +
      'extendedKeyUsage=serverAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    f('apiserver.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '7',
    '-extfile',
    f('apiserver.ext'),
    '-out',
    f('apiserver.crt'),
  ]);
  await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    f('sa.key'),
  ]);
  await openssl(['pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);
  return {
    caCert: f('ca.crt'),
    servingCert: f('apiserver.crt'),
    servingKey: f('apiserver.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
}
