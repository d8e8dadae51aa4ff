import type { SecretRef } from '../sources/config-parts';
import { stagePlaceholder } from './stage-placeholder';

/**
 * The secret a reference names, spelled one way, so that a check that compares references
 * (file-schema.ts: a secret every agent holds must never sign a delivery) cannot be passed by
 * spelling one secret two ways:
 * - an SSM parameter by its name with a leading `/`: its ARN says `parameter/<name>`, and a
 *   hierarchical name starts with `/`;
 * - a Secrets Manager secret by its name and the key read from it: its full ARN adds `-` and six
 *   characters to the name (an SSM reference to one, `/aws/reference/secretsmanager/<name>`, is
 *   refused at load: file-schema.ts);
 * - `env`, `file` and `value` as written (a deployed stage refuses them: insecure-settings.ts).
 *
 * An ARN's account and region are dropped, and the name in any Secrets Manager ARN that ends in `-`
 * and six characters is read as a full ARN's (a partial ARN's may end so too): references that may
 * name one secret are taken for one, which only refuses more.
 */
export function secretIdentity(ref: SecretRef): string {
  if ('ssm' in ref) return `ssm:${parameterName(ref.ssm)}`;
  if ('secretsManager' in ref) return secretsManagerIdentity(ref.secretsManager, ref.key);
  if ('env' in ref) return `env:${ref.env}`;
  if ('file' in ref) return `file:${ref.file}`;
  return `value:${ref.value}`;
}

/**
 * The secret an SSM reference reads from Secrets Manager (`/aws/reference/secretsmanager/<name>`, by
 * name or ARN); undefined for a parameter of its own.
 */
export const secretsManagerReferenceName = (ssm: string): string | undefined =>
  /^\/aws\/reference\/secretsmanager\/(.+)$/.exec(parameterName(ssm))?.[1];

/** An SSM parameter's name from its name or ARN, with the leading `/` a hierarchical name has. */
function parameterName(ssm: string): string {
  const name = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(ssm)?.[1] ?? ssm;
  return name.startsWith('/') ? name : `/${name}`;
}

function secretsManagerIdentity(id: string, key: string | undefined): string {
  const arnName = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(id)?.[1];
  const name = arnName === undefined ? id : arnName.replace(/-[A-Za-z0-9]{6}$/, '');
  return `secretsManager:${name}#${key ?? ''}`;
}

const anyStage = '(?:\\{stage\\}|[A-Za-z0-9-]+)';
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * `{stage}` stands for any stage (it is not known where the config is checked), or for itself. A
 * Secrets Manager secret read whole (no `key`) holds every key of it, so it matches each of them.
 */
function patternOf(identity: string): RegExp {
  const wholeSecret = identity.startsWith('secretsManager:') && identity.endsWith('#');
  const pattern = identity.split(stagePlaceholder).map(escaped).join(anyStage);
  return new RegExp(`^${pattern}${wholeSecret ? '.*' : ''}$`);
}

/** Whether two identities (secretIdentity) may name one secret on some stage. */
export const mayBeOneSecret = (a: string, b: string): boolean =>
  a === b || patternOf(a).test(b) || patternOf(b).test(a);
