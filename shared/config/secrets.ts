import { readFileSync } from 'node:fs';
import { ConfigError, SecretReadError, type SettingProblem } from './errors';
import type { SecretRef } from './file-schema';
import { stagePlaceholder } from './stage-placeholder';

/** What the resolver needs from AWS: shared/config/aws-secrets.ts reads through Powertools Parameters. */
export interface SecretReader {
  /** An SSM parameter's value, SecureStrings decrypted. */
  parameter(name: string, options: SecretReadOptions): Promise<string>;
  /** A Secrets Manager secret's value (SecretString, or SecretBinary as UTF-8). */
  secret(id: string, options: SecretReadOptions): Promise<string>;
}

export interface SecretReadOptions {
  /** A cached value younger than this is returned without asking AWS. */
  readonly maxAgeSeconds: number;
  /** Ask AWS even if the cached value is young (the API server said 401: the token was rotated). */
  readonly forceFetch: boolean;
}

export interface SecretResolverOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Replaces `{stage}` in SSM and Secrets Manager names. */
  readonly stage: string;
  /** Needed only when the config names SSM parameters or Secrets Manager secrets. */
  readonly reader?: SecretReader;
  readonly maxAgeSeconds: number;
}

export interface SecretResolver {
  /** The secret's value; `where` names the config key in errors. Never logs or returns it elsewhere. */
  resolve(ref: SecretRef, where: string, options?: { forceFetch?: boolean }): Promise<string>;
}

/** A config key and the secret reference found there. */
export interface SecretEntry {
  readonly where: string;
  readonly ref: SecretRef;
}

/** The SSM parameter or Secrets Manager secret a reference names for `stage` (`{stage}` replaced). */
export function awsSecretName(ref: { ssm: string } | { secretsManager: string }, stage: string): string {
  const name = 'ssm' in ref ? ref.ssm : ref.secretsManager;
  return name.replaceAll(stagePlaceholder, stage);
}

/**
 * Resolves secret references. env, file and value are read as they are each time (a file may be a
 * projected token that the kubelet rotates); SSM and Secrets Manager go through the reader, whose
 * cache keeps a value `maxAgeSeconds`. Every message names the reference, never the value.
 */
export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const problem = (where: string, text: string): ConfigError =>
    new ConfigError([{ setting: where, problem: text }]);

  async function readAws(
    ref: { ssm: string } | { secretsManager: string; key?: string },
    where: string,
    forceFetch: boolean,
  ) {
    const name = awsSecretName(ref, options.stage);
    const what = 'ssm' in ref ? `SSM parameter '${name}'` : `Secrets Manager secret '${name}'`;
    if (!options.reader) throw problem(where, `${what} cannot be read here (no AWS access configured)`);
    const readOptions = { maxAgeSeconds: options.maxAgeSeconds, forceFetch };
    try {
      return 'ssm' in ref
        ? await options.reader.parameter(name, readOptions)
        : await options.reader.secret(name, readOptions);
    } catch (error) {
      if (error instanceof SecretReadError && error.reason !== 'unavailable')
        throw problem(where, `${what} ${error.explain()}`);
      throw error;
    }
  }

  function pickKey(json: string, key: string, name: string, where: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw problem(where, `Secrets Manager secret '${name}' is not JSON, so it has no key '${key}'`);
    }
    const value =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'string' || value === '')
      throw problem(where, `Secrets Manager secret '${name}' has no non-empty string at key '${key}'`);
    return value;
  }

  return {
    async resolve(ref, where, resolveOptions = {}) {
      if ('value' in ref) return ref.value;
      if ('env' in ref) {
        const value = options.env[ref.env];
        if (!value) throw problem(where, `environment variable ${ref.env} is not set`);
        return value;
      }
      if ('file' in ref) return readSecretFile(ref.file, where);
      const raw = await readAws(ref, where, resolveOptions.forceFetch ?? false);
      const value =
        'secretsManager' in ref && ref.key
          ? pickKey(raw, ref.key, awsSecretName(ref, options.stage), where)
          : raw.trim();
      // An empty webhook secret would make every HMAC keyless: refuse it like an unset variable.
      if (!value) throw problem(where, 'the secret is empty');
      return value;
    },
  };
}

function readSecretFile(file: string, where: string): string {
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError([{ setting: where, problem: `cannot read secret file '${file}'` }]);
  }
  if (!value) throw new ConfigError([{ setting: where, problem: `secret file '${file}' is empty` }]);
  return value;
}

/**
 * Resolves every entry at once, in parallel, and reports every bad one in a single ConfigError (a
 * transient AWS failure is rethrown as it is: a retry may fix it, the config is not wrong).
 */
export async function resolveSecrets(
  resolver: SecretResolver,
  entries: readonly SecretEntry[],
): Promise<Map<string, string>> {
  const results = await Promise.allSettled(
    entries.map(async (entry) => [entry.where, await resolver.resolve(entry.ref, entry.where)] as const),
  );
  const problems: SettingProblem[] = [];
  const values = new Map<string, string>();
  for (const result of results) {
    if (result.status === 'fulfilled') values.set(...result.value);
    else if (result.reason instanceof ConfigError) problems.push(...result.reason.problems);
    else throw result.reason;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}
