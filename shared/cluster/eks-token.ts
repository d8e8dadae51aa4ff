import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the SDK's providers resolve them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface EksTokenInput {
  /** The EKS cluster's name: signed into the token, so it is only good for that cluster. */
  readonly clusterName: string;
  /** The region whose STS endpoint the token names. */
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
}

export interface EksToken {
  readonly token: string;
  /** Use a new token after this. */
  readonly expiresAt: Date;
}

export const eksTokenPrefix = 'k8s-aws-v1.';
/** The header that binds the token to one cluster (aws-iam-authenticator's `x-k8s-aws-id`). */
export const clusterIdHeader = 'x-k8s-aws-id';
/**
 * STS accepts a presigned GetCallerIdentity URL for 15 minutes after X-Amz-Date whatever
 * X-Amz-Expires says; like `aws eks get-token`, use each token for 14 of them, and sign with
 * X-Amz-Expires=60, which older authenticators require.
 */
export const eksTokenLifetimeMs = 14 * 60 * 1000;
const presignExpiresInSeconds = 60;

/** The regional STS endpoint, which aws-iam-authenticator accepts in every partition. */
export function stsHostname(region: string): string {
  if (region.startsWith('cn-')) return `sts.${region}.amazonaws.com.cn`;
  return `sts.${region}.amazonaws.com`;
}

/**
 * The bearer token `aws eks get-token` and aws-iam-authenticator make, built without exec plugins
 * (Lambda has none): `k8s-aws-v1.` + base64url (unpadded) of a presigned STS GetCallerIdentity URL
 * that also signs the `x-k8s-aws-id` header. EKS calls that URL to learn the caller's identity and
 * maps it to Kubernetes user and groups (the access entry, or aws-auth). Reference:
 * https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/token/token.go
 */
export async function createEksToken(input: EksTokenInput): Promise<EksToken> {
  const hostname = stsHostname(input.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [clusterIdHeader]: input.clusterName },
    },
    { expiresIn: presignExpiresInSeconds, signingDate: input.now },
  );
  const url = new URL(`https://${hostname}/`);
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    // Every value here is a single string; URLSearchParams escapes `/`, `+`, `=` and `;` as STS expects.
    if (typeof value === 'string') url.searchParams.append(name, value);
  }
  return {
    token: eksTokenPrefix + Buffer.from(url.toString()).toString('base64url'),
    expiresAt: new Date(input.now.getTime() + eksTokenLifetimeMs),
  };
}
