import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClusterPki } from '../../infra/local/kube/certs';
import { adminKubeConfig } from './kube';

/**
 * What EKS does with a bearer token, played locally: aws-iam-authenticator's checks of the token
 * (https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go), then
 * what STS does with the presigned URL (recompute the SigV4 signature with the caller's secret key,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), then the access
 * entry's mapping to a Kubernetes user and groups. Returns the mapped identity, or why not.
 */
export function verifyEksToken(
  token: string,
  options: { clusterName: string; secretKeys: Readonly<Record<string, string>>; now: Date },
): { accessKeyId: string } | { refused: string } {
  const prefix = 'k8s-aws-v1.';
  if (!token.startsWith(prefix)) return { refused: 'missing k8s-aws-v1. prefix' };
  const url = new URL(Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8'));
  if (url.protocol !== 'https:' || !/^sts\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(url.hostname))
    return { refused: `unexpected host ${url.host}` };
  if (url.pathname !== '/') return { refused: 'unexpected path' };
  const allowed = new Set([
    'action',
    'version',
    'x-amz-algorithm',
    'x-amz-credential',
    'x-amz-date',
    'x-amz-expires',
    'x-amz-security-token',
    'x-amz-signature',
    'x-amz-signedheaders',
  ]);
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.has(name.toLowerCase()) || params.has(name.toLowerCase()))
      return { refused: `query parameter ${name}` };
    params.set(name.toLowerCase(), value);
  }
  if (params.get('action') !== 'GetCallerIdentity') return { refused: 'not GetCallerIdentity' };
  const signedHeaders = params.get('x-amz-signedheaders') ?? '';
  if (!signedHeaders.split(';').includes('x-k8s-aws-id')) return { refused: 'x-k8s-aws-id not signed' };
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900) return { refused: 'bad X-Amz-Expires' };
  const date = params.get('x-amz-date') ?? '';
  const signedAt = Date.parse(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  if (!(options.now.getTime() <= signedAt + 15 * 60_000)) return { refused: 'expired' };

  // STS's part: the signature over the request EKS makes, with the cluster name it expects.
  const [accessKeyId, day, region, service] = (params.get('x-amz-credential') ?? '').split('/');
  const secret = accessKeyId ? options.secretKeys[accessKeyId] : undefined;
  if (!accessKeyId || !secret || !day || !region || !service) return { refused: 'unknown access key' };
  const query = [...url.searchParams]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .sort()
    .join('&');
  const headerValues: Record<string, string> = { host: url.hostname, 'x-k8s-aws-id': options.clusterName };
  const canonical = [
    'GET',
    '/',
    query,
    signedHeaders
      .split(';')
      .map((name) => `${name}:${headerValues[name] ?? ''}\n`)
      .join(''),
    signedHeaders,
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(toSign).digest();
  const given = Buffer.from(params.get('x-amz-signature') ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { refused: 'bad signature' };
  return { accessKeyId };
}

export interface EksStandIn {
  /** The endpoint and CA to put in the config (`server`, `caData`), as DescribeCluster would give them. */
  readonly server: string;
  readonly caData: string;
  readonly refusals: string[];
  close(): Promise<void>;
}

/**
 * A TLS front for the local API server that authenticates EKS tokens as EKS does, and forwards the
 * request with the admin's credentials impersonating the mapped user and groups (as an access entry
 * with `kubernetesGroups` maps the Lambda role). Tokens that fail get 401.
 */
export async function startEksStandIn(options: {
  clusterName: string;
  secretKeys: Readonly<Record<string, string>>;
  username: string;
  groups: readonly string[];
}): Promise<EksStandIn> {
  const admin = adminKubeConfig();
  const upstream = new URL(admin.getCurrentCluster()!.server);
  const upstreamOptions: { headers?: Record<string, string>; ca?: Buffer | string } = {};
  await admin.applyToHTTPSOptions(upstreamOptions);
  const pki = await makeClusterPki(mkdtempSync(join(tmpdir(), 'pitcrew-eks-')));
  const refusals: string[] = [];

  const server: Server = createServer(
    { cert: readFileSync(pki.servingCert), key: readFileSync(pki.servingKey) },
    (incoming, outgoing) => {
      const token = (incoming.headers.authorization ?? '').replace(/^Bearer /, '');
      const verdict = verifyEksToken(token, { ...options, now: new Date() });
      if ('refused' in verdict) {
        refusals.push(verdict.refused);
        outgoing.writeHead(401, { 'content-type': 'application/json' });
        outgoing.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            code: 401,
            reason: 'Unauthorized',
          }),
        );
        return;
      }
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(incoming.headers))
        if (value !== undefined && !['authorization', 'host'].includes(name)) headers[name] = value;
      headers.authorization = upstreamOptions.headers?.Authorization ?? '';
      headers['impersonate-user'] = options.username;
      headers['impersonate-group'] = [...options.groups];
      const forwarded = httpsRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: incoming.url,
          method: incoming.method,
          headers,
          ca: upstreamOptions.ca,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caData: readFileSync(pki.caCert).toString('base64'),
    refusals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
