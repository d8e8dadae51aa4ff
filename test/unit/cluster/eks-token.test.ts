import { createHash, createHmac } from 'node:crypto';
import {
  clusterIdHeader,
  createEksToken,
  eksTokenLifetimeMs,
  eksTokenPrefix,
  stsHostname,
} from '../../../shared/cluster';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN',
};
const now = new Date('2026-11-25T12:00:00Z');
const input = { clusterName: 'pitcrew-test', region: 'eu-west-1', credentials, now };

/**
 * What botocore (the library `aws eks get-token` is built on) signs for the same cluster, region,
 * credentials and frozen clock: `session.create_client('sts', region_name='eu-west-1')`, a
 * before-sign handler adding `x-k8s-aws-id: pitcrew-test`, then
 * `generate_presigned_url('get_caller_identity', ExpiresIn=60, HttpMethod='GET')` with
 * `botocore.auth.get_current_datetime` patched to 2026-11-25T12:00:00 (botocore 1.44.8).
 */
const botocoreSignature = '55654b123abd32b915bceda6c726c20733bd6dcf6864e6642587adc054f108c6';

const decode = (token: string): URL => {
  expect(token.startsWith(eksTokenPrefix)).toBe(true);
  const encoded = token.slice(eksTokenPrefix.length);
  // base64url without padding, as aws-iam-authenticator decodes it (RawURLEncoding).
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
};

/** SigV4 computed here from the AWS documentation, independent of the signer under test. */
function expectedSignature(url: URL, clusterName: string, secretAccessKey: string): string {
  const query = [...url.searchParams.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encodeURIComponent(name), encodeURIComponent(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    query,
    `host:${url.hostname}\n${clusterIdHeader}:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const [date, region, service] = scope.split('/') as [string, string, string];
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('EKS token (what `aws eks get-token` makes, without an exec plugin)', () => {
  it('is a presigned STS GetCallerIdentity URL on the regional endpoint', async () => {
    const url = decode((await createEksToken(input)).token);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
  });

  it('signs the host and the cluster-name header, dated now, with the presign valid 60 s', async () => {
    const url = decode((await createEksToken(input)).token);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261125/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261125T120000Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
  });

  it('carries only the query parameters aws-iam-authenticator accepts, each once', async () => {
    const url = decode((await createEksToken(input)).token);
    const names = [...url.searchParams.keys()];
    expect(new Set(names).size).toBe(names.length);
    expect(names.map((name) => name.toLowerCase()).sort()).toEqual([
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
  });

  it('has the signature botocore makes, and the one SigV4 defines', async () => {
    const url = decode((await createEksToken(input)).token);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(botocoreSignature);
    expect(expectedSignature(url, 'pitcrew-test', credentials.secretAccessKey)).toBe(botocoreSignature);
  });

  it('binds the token to its cluster: another cluster name gives another signature', async () => {
    const other = decode((await createEksToken({ ...input, clusterName: 'other' })).token);
    expect(other.searchParams.get('X-Amz-Signature')).not.toBe(botocoreSignature);
    expect(expectedSignature(other, 'other', credentials.secretAccessKey)).toBe(
      other.searchParams.get('X-Amz-Signature'),
    );
  });

  it('is reused for 14 minutes: STS honours the URL 15 minutes after X-Amz-Date', async () => {
    const { expiresAt } = await createEksToken(input);
    expect(expiresAt.getTime() - now.getTime()).toBe(14 * 60 * 1000);
    expect(eksTokenLifetimeMs).toBeLessThan(15 * 60 * 1000);
  });

  it('omits the session token for long-term credentials', async () => {
    const { sessionToken: _none, ...longTerm } = credentials;
    const url = decode((await createEksToken({ ...input, credentials: longTerm })).token);
    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
    expect(expectedSignature(url, 'pitcrew-test', credentials.secretAccessKey)).toBe(
      url.searchParams.get('X-Amz-Signature'),
    );
  });

  it('names the regional STS host in every partition', () => {
    expect(stsHostname('us-east-1')).toBe('sts.us-east-1.amazonaws.com');
    expect(stsHostname('us-gov-west-1')).toBe('sts.us-gov-west-1.amazonaws.com');
    expect(stsHostname('cn-north-1')).toBe('sts.cn-north-1.amazonaws.com.cn');
  });
});
