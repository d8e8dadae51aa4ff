import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PodApi } from '../cluster/pod-api';
import type { CiSource } from '../sources/names';
import type { createSourceLoader } from './api-sources';
import type { ClusterAccessDeps } from '../cluster/connect';
import { createAwsSecretReader } from '../config/aws-secrets';
import { loadConfig } from '../config/load';
import type { PitcrewConfig } from '../config/file-schema';
import {
  createSecretResolver,
  resolveSecrets,
  type SecretEntry,
  type SecretReader,
  type SecretResolver,
} from '../config/secrets';
import { sourceSecretEntries } from '../config/secret-entries';
import { loadSettings, type FunctionName, type Settings } from '../config/settings';
import { createQueueClient } from '../queue/client';
import { createStateClient } from '../state/client';
import type { SourceRegistry } from '../sources/types';
import type { WebhookRegistry } from '../webhook/receive-webhook';
import type { SecretLookup } from '../sources/module';
import type { SecretRefresh } from './webhook-secrets';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the webhook builds at cold start and no other function does: the CIs' receivers
 * (./sources.ts).
 */
export interface WebhookSide {
  createWebhookRegistry(sources: PitcrewConfig['sources'], secretOf: SecretLookup): WebhookRegistry;
  /**
   * The webhook's `refreshSecrets`, which fails a source closed when its secret is gone
   * (./webhook-secrets.ts): over the config, the webhook secrets' entries, their resolver, the values
   * read at cold start and the registry to change in place.
   */
  createSecretRefresh(
    config: Pick<PitcrewConfig, 'sources' | 'secrets'>,
    entries: readonly SecretEntry[],
    resolver: SecretResolver,
    values: ReadonlyMap<string, string>,
    webhooks: WebhookRegistry,
    now?: () => number,
  ): () => Promise<SecretRefresh>;
}

/**
 * What provision, reap and ops build and the webhook never does: the cluster client, at cold start,
 * and the loader of the CIs' API adapters, which builds each the first time `Runtime.loadSources`
 * names it (./api-sources.ts).
 */
export interface CiSide {
  connectCluster(cluster: PitcrewConfig['cluster'], deps: ClusterAccessDeps): Promise<PodApi>;
  readonly createSourceLoader: typeof createSourceLoader;
}

/** The side a function's handler passes in: the webhook's, or the CI side for the others. */
export type SideOf<F extends FunctionName> = F extends 'webhook' ? WebhookSide : CiSide;

export interface Runtime {
  readonly settings: Settings;
  readonly config: PitcrewConfig;
  /**
   * The CIs' API adapters built so far (`loadSources`); empty in the webhook function, which never
   * holds CI API credentials. The same object for the container's life: `loadSources` adds to it, and
   * `refreshSecrets` swaps its entries in place.
   */
  readonly sources: SourceRegistry;
  /** The CIs' webhook receivers and secrets, in the webhook function only (empty in the others); swapped in place like `sources`. */
  readonly webhooks: WebhookRegistry;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /**
   * The cluster's API, connected at cold start, over which a function binds the agent calls it makes;
   * the webhook function has none (it never needs one).
   */
  cluster(): PodApi;
  /**
   * Builds into `sources` the adapters of `names` (every configured CI when absent) not built yet,
   * loading each CI's code then; a no-op for those built, and in the webhook. An adapter that cannot
   * be built over its settings (a GitHub App key that is not a private key) rejects here, each time
   * it is asked for.
   */
  loadSources(names?: readonly CiSource[]): Promise<void>;
  /**
   * Resolves the CI secrets again (SSM and Secrets Manager answer from cache until
   * `secrets.maxAgeSeconds`) and rebuilds the adapters of a source whose secret changed, so a
   * rotated webhook secret or API token is picked up without a new container. In the webhook, a
   * source whose secret is gone or invalid is closed (its deliveries get 503) and the answer says
   * why; a read that may heal keeps the old secret one more `maxAgeSeconds` at most. Elsewhere a
   * failed read throws, and the secrets read before stay in use.
   */
  refreshSecrets(): Promise<SecretRefresh | undefined>;
}

export interface RuntimeOptions {
  /** Default: SSM and Secrets Manager through Powertools Parameters, in the function's region. */
  readonly secretReader?: SecretReader;
  /** Test seams for EKS access (credentials, DescribeCluster, clock). */
  readonly cluster?: Omit<ClusterAccessDeps, 'secrets' | 'region'>;
  /** The clock of the webhook secrets' grace; Date.now by default. */
  readonly now?: () => number;
}

/**
 * Everything a function needs, built once per container at cold start from the environment and the
 * config file: settings, the config, every secret it names, the AWS clients and, for the functions
 * that reach Kubernetes, the cluster client. Any problem throws one ConfigError naming every bad
 * setting, key or secret. This is the only place below the handlers that sees `process.env`
 * (passed in as `env`). Handlers call it with top-level await.
 *
 * The handler passes its `side` in, imported statically: the webhook's bundle then holds neither the
 * cluster client nor an API adapter, the others' hold no receiver, and none of Pitcrew's own code
 * loads at cold start through a dynamic import, so each bundle's static imports show what its cold
 * start loads (bundles.test.ts checks it with every CI of the example configured). No CI's API
 * adapter is built at cold start: each is built, its code loaded, when `loadSources` first names its
 * CI (./api-sources.ts). What the config alone may make a cold start load on demand: the SSM or
 * Secrets Manager reader for a secret kept there, the EKS client for `kind: eks`, client-node for a
 * kubeconfig, and the YAML parser for a config file that was not compiled.
 */
export async function createRuntime<F extends FunctionName>(
  fn: F,
  env: Env,
  side: SideOf<F>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const given: unknown = side;
  const has = (member: string): boolean => typeof given === 'object' && given !== null && member in given;
  const webhookSide = has('createWebhookRegistry') ? (side as WebhookSide) : undefined;
  const ciSide = has('connectCluster') && has('createSourceLoader') ? (side as CiSide) : undefined;
  if (fn === 'webhook' ? !webhookSide || ciSide : !ciSide || webhookSide)
    throw new TypeError(
      `createRuntime('${fn}') needs the ${fn === 'webhook' ? 'webhook side (runtime/sources.ts)' : 'CI side (runtime/ci-side.ts)'}`,
    );
  const settings = loadSettings(fn, env);
  const config = await loadConfig(settings.configFile, settings);
  const secrets = createSecretResolver({
    env,
    stage: settings.stage,
    reader: options.secretReader ?? createAwsSecretReader({ region: settings.region }),
    maxAgeSeconds: config.secrets.maxAgeSeconds,
  });
  const entries = sourceSecretEntries(config.sources, fn);
  // One after the other, not in parallel: jest's ESM loader cannot link two dynamic imports that
  // share modules at once (the secret readers and the cluster access each may load an AWS client).
  const resolved = await resolveSecrets(secrets, entries);
  const cluster = await ciSide?.connectCluster(config.cluster, {
    ...options.cluster,
    secrets,
    region: settings.region,
  });
  let values = resolved;
  const secretOf = (_ref: unknown, where: string): string => {
    const value = values.get(where);
    if (value === undefined) throw new Error(`${where} was not resolved`);
    return value;
  };
  // The webhook resolves only webhook secrets (its role may read no more) and builds no API adapter:
  // it verifies and parses, and never calls a CI.
  const sources: SourceRegistry = {};
  const sourceLoader = ciSide?.createSourceLoader(config.sources, secretOf, sources);
  // Only the webhook receives deliveries, so only it builds the receivers, and it reads their secrets
  // again its own way (./webhook-secrets.ts, set up in the webhook side's module: positional, so the
  // other functions carry none of it).
  const webhooks = webhookSide?.createWebhookRegistry(config.sources, secretOf) ?? {};

  return {
    settings,
    config,
    sources,
    webhooks,
    db: createStateClient({ region: settings.region, endpoint: settings.dynamoDbEndpoint }),
    sqs: createQueueClient({ region: settings.region, endpoint: settings.sqsEndpoint }),
    cluster() {
      if (!cluster) throw new Error(`the ${fn} function has no cluster access`);
      return cluster;
    },
    loadSources: (names) => sourceLoader?.load(names) ?? Promise.resolve(),
    refreshSecrets:
      webhookSide?.createSecretRefresh(config, entries, secrets, resolved, webhooks, options.now) ??
      (async () => {
        const fresh = await resolveSecrets(secrets, entries);
        if (entries.every((entry) => fresh.get(entry.where) === values.get(entry.where))) return undefined;
        const previous = values;
        values = fresh;
        try {
          Object.assign(sources, sourceLoader?.rebuilt());
        } catch (error) {
          values = previous;
          throw error;
        }
        return undefined;
      }),
  };
}
