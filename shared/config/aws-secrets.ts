import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretReadError } from './errors';
import type { SecretReadOptions, SecretReader } from './secrets';

export interface AwsSecretReaderOptions {
  readonly region: string;
  /** For tests: the clock that times a failed read's back-off. */
  readonly now?: () => number;
}

/**
 * How long a failed read is answered with its error without asking AWS again. Powertools caches
 * only values, and the webhook reads its secrets before every delivery: without this, anyone could
 * make each request to a source whose secret is gone or throttled one more SSM call (SSM's
 * GetParameter quota is the account's, shared with every other function that reads a parameter).
 */
export const failedReadRetrySeconds = 10;

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
  const now = options.now ?? Date.now;
  const failures = new Map<string, { readonly error: SecretReadError; readonly at: number }>();

  /** `read`, unless the same name failed less than failedReadRetrySeconds ago (forceFetch asks anyway). */
  async function unlessFailedLately(key: string, forceFetch: boolean, read: () => Promise<string>) {
    const failed = failures.get(key);
    if (failed && !forceFetch && now() - failed.at < failedReadRetrySeconds * 1000) throw failed.error;
    try {
      const value = await read();
      failures.delete(key);
      return value;
    } catch (error) {
      const failure = error instanceof SecretReadError ? error : translateReadError(error);
      failures.set(key, { error: failure, at: now() });
      throw failure;
    }
  }

  return {
    parameter: (name: string, read: SecretReadOptions): Promise<string> =>
      unlessFailedLately(`ssm:${name}`, read.forceFetch, async () => {
        ssm ??= import('@aws-lambda-powertools/parameters/ssm').then(
          (module) => new module.SSMProvider({ clientConfig }),
        );
        const provider = await ssm;
        const value = await provider.get(name, {
          decrypt: true,
          maxAge: read.maxAgeSeconds,
          forceFetch: read.forceFetch,
        });
        if (typeof value !== 'string') throw new SecretReadError('it has no value', 'not-found');
        return value;
      }),

    secret: (id: string, read: SecretReadOptions): Promise<string> =>
      unlessFailedLately(`secretsManager:${id}`, read.forceFetch, async () => {
        secrets ??= import('@aws-lambda-powertools/parameters/secrets').then(
          (module) => new module.SecretsProvider({ clientConfig }),
        );
        const provider = await secrets;
        const value = await provider.get(id, { maxAge: read.maxAgeSeconds, forceFetch: read.forceFetch });
        if (typeof value === 'string') return value;
        if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
        throw new SecretReadError('it has no value', 'not-found');
      }),
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
