import type { SettingProblem } from './errors';
import type { PitcrewConfig, SecretRef } from './file-schema';
import { registeredModules } from '../sources/registry';
import { clusterSecretEntries } from './cluster-secret-entries';
import { sourceSecretEntries } from './secret-entries';

/** The kinds of secret reference: the key that names where a secret is (`key` picks a field). */
type KeysOf<T> = T extends unknown ? keyof T : never;
type SecretKind = Exclude<KeysOf<SecretRef>, 'key'>;

/**
 * Every kind of secret reference, and why a deployed function must not hold it: undefined for the
 * kinds a deployed function reads through its role (the build grants exactly those, aws-access.ts).
 * A Record over every kind, so a new kind does not compile until it is judged here.
 */
const heldInPlace: Record<SecretKind, string | undefined> = {
  value: 'the value itself is in the config file, and so in every bundle',
  file: 'a file beside the function, which a bundle does not carry',
  env: "an environment variable, which anyone who may read the function's configuration can read",
  ssm: undefined,
  secretsManager: undefined,
};

const secretKindOf = (ref: SecretRef): SecretKind => (Object.keys(ref) as SecretKind[])[0] ?? 'value';

/**
 * The settings of a config that are fine on a local system but must not reach a deployed stage:
 * secrets held in the config, a file or the environment instead of SSM or Secrets Manager, a cluster
 * whose certificate is not verified or whose credentials are a local kubeconfig, and CI or cluster
 * URLs that are not https. Pure: the build calls it for every stage but the local ones
 * (scripts/build.ts; `--allow-insecure-config` builds anyway). Names keys, never values.
 */
export function insecureSettings(config: PitcrewConfig): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const secrets = [...sourceSecretEntries(config.sources, 'all'), ...clusterSecretEntries(config.cluster)];
  for (const { where, ref } of secrets) {
    const kind = secretKindOf(ref);
    const held = heldInPlace[kind];
    if (held)
      problems.push({
        setting: where,
        problem: `is a { ${kind} } secret (${held}): a deployed function reads its secrets from SSM ({ ssm: name }) or Secrets Manager ({ secretsManager: name })`,
      });
  }

  const credentials = config.cluster.credentials;
  if (credentials.kind === 'kubeconfig')
    problems.push({
      setting: 'cluster.credentials.kind',
      problem:
        'is kubeconfig, a file of credentials for local clusters and tests: use eks, or token with the token in Secrets Manager',
    });
  if (credentials.kind === 'token' && credentials.skipTlsVerify)
    problems.push({
      setting: 'cluster.credentials.skipTlsVerify',
      problem:
        "is true: anyone between the function and the API server could read the cluster token; give the cluster's CA as caData instead",
    });

  // Each CI names its own URL settings (CiModule.urlSettings), in the registry's order.
  const urls: [string, unknown][] = [];
  for (const module of registeredModules) {
    const configured = config.sources[module.name] as Readonly<Record<string, unknown>> | undefined;
    if (configured)
      for (const setting of module.urlSettings)
        urls.push([`sources.${module.name}.${setting}`, configured[setting]]);
  }
  urls.push([
    'cluster.credentials.server',
    credentials.kind === 'kubeconfig' ? undefined : credentials.server,
  ]);
  for (const [setting, url] of urls) {
    if (typeof url === 'string' && !isHttps(url))
      problems.push({
        setting,
        problem: `is not https (${schemeOf(url)}): credentials sent to it would cross the network in clear text`,
      });
  }
  return problems;
}

function schemeOf(url: string): string {
  try {
    return `${new URL(url).protocol}//`;
  } catch {
    return 'not a URL';
  }
}

const isHttps = (url: string): boolean => schemeOf(url) === 'https://';
