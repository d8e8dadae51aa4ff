import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAgentClient, type AgentClient } from '../cluster/agents';
import { createCoreApi, createKubeConfig } from '../cluster/client';
import { loadConfigFile } from '../config/file';
import type { PitcrewConfig } from '../config/file-schema';
import { resolveSecret } from '../config/secrets';
import { loadSettings, type FunctionName, type Settings } from '../config/settings';
import { createQueueClient } from '../queue/client';
import { createStateClient } from '../state/client';
import type { SourceRegistry } from '../webhook/receive-webhook';
import { createSourceRegistry } from './sources';

type Env = Readonly<Record<string, string | undefined>>;

export interface Runtime {
  readonly settings: Settings;
  readonly config: PitcrewConfig;
  readonly sources: SourceRegistry;
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** Built on first use: the webhook never talks to Kubernetes. */
  agents(): AgentClient;
}

/**
 * Everything a function needs, built once per container at cold start from the environment and the
 * config file. Any problem throws one ConfigError naming every bad setting or key. This is the only
 * place below the handlers that sees `process.env` (passed in as `env`).
 */
export function createRuntime(fn: FunctionName, env: Env): Runtime {
  const settings = loadSettings(fn, env);
  const config = loadConfigFile(settings.configFile);
  const sources = createSourceRegistry(config.sources, env);
  let agents: AgentClient | undefined;
  return {
    settings,
    config,
    sources,
    db: createStateClient({ region: settings.region, endpoint: settings.dynamoDbEndpoint }),
    sqs: createQueueClient({ region: settings.region, endpoint: settings.sqsEndpoint }),
    agents() {
      if (!agents) {
        const credentials = config.cluster.credentials;
        const token =
          credentials.kind === 'token'
            ? resolveSecret(credentials.token, env, 'cluster.credentials.token')
            : undefined;
        agents = createAgentClient(createCoreApi(createKubeConfig(config.cluster, token), config.cluster));
      }
      return agents;
    },
  };
}
