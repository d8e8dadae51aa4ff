import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AgentClient } from '../cluster/agents';
import type { ClusterAccessDeps } from '../cluster/connect';
import { createAwsSecretReader } from '../config/aws-secrets';
import { loadConfig } from '../config/load';
import type { PitcrewConfig } from '../config/file-schema';
import { createSecretResolver, resolveSecrets, type SecretReader } from '../config/secrets';
import { sourceSecretEntries } from '../config/secret-entries';
import { loadSettings, type FunctionName, type Settings } from '../config/settings';
import { createQueueClient } from '../queue/client';
import { createStateClient } from '../state/client';
import type { SourceRegistry } from '../sources/types';
import type { WebhookRegistry } from '../webhook/receive-webhook';

type Env = Readonly<Record<string, string | undefined>>;

export interface Runtime {
  readonly settings: Settings;
  readonly config: PitcrewConfig;
  /**
   * The CIs' API adapters; empty in the webhook function, which never holds CI API credentials. The
   * same object for the container's life: `refreshSecrets` swaps its entries in place.
   */
  readonly sources: SourceRegistry;
  /** The CIs' webhook receivers and secrets, in the webhook function only (empty in the others); swapped in place like `sources`. */
  readonly webhooks: WebhookRegistry;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** The cluster client, connected at cold start; the webhook function has none (it never needs one). */
  agents(): AgentClient;
  /**
   * Resolves the CI secrets again (SSM and Secrets Manager answer from cache until
   * `secrets.maxAgeSeconds`) and rebuilds the adapters of a source whose secret changed, so a
   * rotated webhook secret or API token is picked up without a new container.
   */
  refreshSecrets(): Promise<void>;
}

export interface RuntimeOptions {
  /** Default: SSM and Secrets Manager through Powertools Parameters, in the function's region. */
  readonly secretReader?: SecretReader;
  /** Test seams for EKS access (credentials, DescribeCluster, clock). */
  readonly cluster?: Omit<ClusterAccessDeps, 'secrets' | 'region'>;
}

/**
 * Everything a function needs, built once per container at cold start from the environment and the
 * config file: settings, the config, every secret it names, the AWS clients and, for the functions
 * that reach Kubernetes, the cluster client. Any problem throws one ConfigError naming every bad
 * setting, key or secret. This is the only place below the handlers that sees `process.env`
 * (passed in as `env`). Handlers call it with top-level await.
 */
export async function createRuntime(
  fn: FunctionName,
  env: Env,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const settings = loadSettings(fn, env);
  const config = await loadConfig(settings.configFile);
  const secrets = createSecretResolver({
    env,
    stage: settings.stage,
    reader: options.secretReader ?? createAwsSecretReader({ region: settings.region }),
    maxAgeSeconds: config.secrets.maxAgeSeconds,
  });
  const entries = sourceSecretEntries(config.sources, fn === 'webhook' ? 'webhook' : 'all');
  // One after the other, not in parallel: jest's ESM loader cannot link two dynamic imports that
  // share modules at once, and a DescribeCluster is the only AWS call the cluster side may add.
  const resolved = await resolveSecrets(secrets, entries);
  // Loaded only by the functions that call a CI and reach the cluster: the webhook's bundle holds
  // neither the API adapters nor the cluster client.
  const ciSide = fn === 'webhook' ? undefined : await import('./ci-side');
  const agents = await ciSide?.connectAgents(config.cluster, {
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
  const apiSources = (): SourceRegistry => ciSide?.createSourceRegistry(config.sources, secretOf) ?? {};
  const sources = apiSources();
  // Only the webhook receives deliveries, so only it loads the receivers, in one chunk: each dynamic
  // import a cold start awaits costs a millisecond or two, more than the receivers' bytes
  // (docs/performance.md). The other functions' bundles do not load them.
  const webhookSide = fn === 'webhook' ? await import('./sources') : undefined;
  const createWebhooks = (): WebhookRegistry =>
    webhookSide?.createWebhookRegistry(config.sources, secretOf) ?? {};
  const webhooks = createWebhooks();

  return {
    settings,
    config,
    sources,
    webhooks,
    db: createStateClient({ region: settings.region, endpoint: settings.dynamoDbEndpoint }),
    sqs: createQueueClient({ region: settings.region, endpoint: settings.sqsEndpoint }),
    agents() {
      if (!agents) throw new Error(`the ${fn} function has no cluster access`);
      return agents;
    },
    async refreshSecrets() {
      const fresh = await resolveSecrets(secrets, entries);
      if (entries.every((entry) => fresh.get(entry.where) === values.get(entry.where))) return;
      const previous = values;
      values = fresh;
      try {
        Object.assign(webhooks, createWebhooks());
        Object.assign(sources, apiSources());
      } catch (error) {
        values = previous;
        throw error;
      }
    },
  };
}
