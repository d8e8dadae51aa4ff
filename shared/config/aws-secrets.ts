import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretReadError } from './errors';
import type { SecretReadOptions, SecretReader } from './secrets';

export interface AwsSecretReaderOptions {
  readonly region: string;
}

/**
 * Reads SSM parameters and Secrets Manager secrets through Powertools Parameters, whose providers
 * cache each value for `maxAgeSeconds` (per container) and fetch again with `forceFetch`. Each
 * provider, and its SDK client, is imported on first use: a function whose config names no Secrets
 * Manager secret never loads that client.
 */
export function createAwsSecretReader(options: AwsSecretReaderOptions): SecretReader {
  let ssm: Promise<SSMProvider> | undefined;
  let secrets: Promise<SecretsProvider> | undefined;
  const clientConfig = { region: options.region };

  return {
    async parameter(name: string, read: SecretReadOptions): Promise<string> {
      ssm ??= import('@aws-lambda-powertools/parameters/ssm').then(
        (module) => new module.SSMProvider({ clientConfig }),
      );
      const provider = await ssm;
      const value = await provider
        .get(name, { decrypt: true, maxAge: read.maxAgeSeconds, forceFetch: read.forceFetch })
        .catch((error: unknown) => Promise.reject(translateReadError(error)));
      if (typeof value !== 'string') throw new SecretReadError('it has no value', 'not-found');
      return value;
    },

    async secret(id: string, read: SecretReadOptions): Promise<string> {
      secrets ??= import('@aws-lambda-powertools/parameters/secrets').then(
        (module) => new module.SecretsProvider({ clientConfig }),
      );
      const provider = await secrets;
      const value = await provider
        .get(id, { maxAge: read.maxAgeSeconds, forceFetch: read.forceFetch })
        .catch((error: unknown) => Promise.reject(translateReadError(error)));
      if (typeof value === 'string') return value;
      if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
      throw new SecretReadError('it has no value', 'not-found');
    },
  };
}

/** The AWS SDK error under Powertools' GetParameterError. */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
}

// SSM's and Secrets Manager's not-found and access-denied errors are not all modelled as classes
// in the SDK (AccessDeniedException never is), so this adapter sorts them by their wire names.
const notFound = new Set(['ParameterNotFound', 'ParameterVersionNotFound', 'ResourceNotFoundException']);
const denied = new Set(['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException']);

/** Sorts a failed read into what the operator must do; `unavailable` (throttling, 5xx, network) may heal. */
export function translateReadError(error: unknown): SecretReadError {
  const sdk = ((error instanceof Error && error.cause) || error) as SdkError;
  const message = sdk.message ?? String(error);
  if (sdk.name && notFound.has(sdk.name)) return new SecretReadError(message, 'not-found', { cause: error });
  if (sdk.name && denied.has(sdk.name)) return new SecretReadError(message, 'denied', { cause: error });
  const throttled = sdk.name !== undefined && /Throttl|TooManyRequests|RequestLimitExceeded/.test(sdk.name);
  if (sdk.$fault === 'client' && !throttled)
    return new SecretReadError(message, 'rejected', { cause: error });
  return new SecretReadError(message, 'unavailable', { cause: error });
}
