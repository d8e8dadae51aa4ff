import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import type { SecretRef } from './file-schema';

/**
 * Resolves a secret reference once per container. SSM and Secrets Manager references come with the
 * deploy issue; env and file serve `pitcrew dev`, tests and simple deploys. Messages name the
 * reference, never the value.
 */
export function resolveSecret(
  ref: SecretRef,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  if ('value' in ref) return ref.value;
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value)
      throw new ConfigError([{ setting: where, problem: `environment variable ${ref.env} is not set` }]);
    return value;
  }
  let value: string;
  try {
    value = readFileSync(ref.file, 'utf8').trim();
  } catch {
    throw new ConfigError([{ setting: where, problem: `cannot read secret file '${ref.file}'` }]);
  }
  // An empty webhook secret would make every HMAC keyless: refuse it like an unset variable.
  if (!value) throw new ConfigError([{ setting: where, problem: `secret file '${ref.file}' is empty` }]);
  return value;
}
