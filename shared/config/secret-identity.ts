import type { SecretRef } from '../sources/config-parts';
import { stagePlaceholder } from './stage-placeholder';

/**
 * The secret a reference names, spelled one way, so that a check that compares references
 * (file-schema.ts: a secret every agent holds must never sign a delivery) cannot be passed by
 * spelling one secret two ways:
 * - an SSM parameter by its name with a leading `/`: its ARN says `parameter/<name>`, and a
 *   hierarchical name starts with `/`;
 * - a Secrets Manager secret by its name and the key read from it: its full ARN adds `-` and six
 *   characters to the name; an SSM reference to it (`/aws/reference/secretsmanager/<name>`) reads
 *   the whole secret;
 * - `env`, `file` and `value` as written (a deployed stage refuses them: insecure-settings.ts).
 *
 * An ARN's account and region are dropped, and the name in any Secrets Manager ARN that ends in `-`
 * and six characters is read as a full ARN's (a partial ARN's may end so too): references that may
 * name one secret are taken for one, which only refuses more.
 */
export function secretIdentity(ref: SecretRef): string {
  if ('ssm' in ref) {
    const name = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(ref.ssm)?.[1] ?? ref.ssm;
    const absolute = name.startsWith('/') ? name : `/${name}`;
    const referenced = /^\/aws\/reference\/secretsmanager\/(.+)$/.exec(absolute)?.[1];
    return referenced === undefined ? `ssm:${absolute}` : secretsManagerIdentity(referenced, undefined);
  }
  if ('secretsManager' in ref) return secretsManagerIdentity(ref.secretsManager, ref.key);
  if ('env' in ref) return `env:${ref.env}`;
  if ('file' in ref) return `file:${ref.file}`;
  return `value:${ref.value}`;
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
