import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CoreV1Api } from '@kubernetes/client-node';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { pollOnce, type SqsHandler } from '../../infra/local/dev/sqs-poller';
import type { ReapReport } from '../../shared/reap';
import { isCiSource, type CiSource } from '../../shared/sources';
import { signedHeadersFor, signingSchemeOf } from '../../shared/sources/signing';
import { createRequestStore, type RequestStore } from '../../shared/state';
import { startFakeGithub, type FakeGithub, type FakeGithubApp } from '../../infra/local/stand-ins/github-api';
import { startFakeJenkins, type FakeJenkins } from '../../infra/local/stand-ins/jenkins-api';
import type { LocalCi } from '../../infra/local/stand-ins/local-ci';
import { localCis } from '../../infra/local/stand-ins/local-cis';
import { createTestAwsResources, testSqsClient, testStateClient } from './aws';
import { requiredTestEnv } from './env';
import { importHandler } from './handlers';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from './kube';
import { closeWhenFileEnds } from './teardown';
import { httpEvent, lambdaContext } from '../../infra/local/stand-ins/lambda';

export const testSecrets = {
  github: 'gh-webhook-secret',
  jenkins: 'jenkins-webhook-secret',
  generic: 'generic-webhook-secret',
  githubToken: 'ghp_pitcrewtesttoken0000000000000000',
  jenkinsApiToken: 'jenkins-api-token-0000',
} as const;

/** The CIs this harness starts stand-ins for itself; every other registered CI comes from its local kit. */
const startedHere: ReadonlySet<string> = new Set(['github', 'jenkins', 'generic']);

/** The registered CIs started from their local kits (infra/local/stand-ins/local-cis.ts). */
export const kitCis = (): readonly LocalCi[] => localCis.filter((kit) => !startedHere.has(kit.name));

/** The webhook secret the harness configures (and signs with) for a source. */
export const webhookSecretOf = (source: CiSource): string =>
  source in testSecrets ? testSecrets[source as keyof typeof testSecrets] : `${source}-webhook-secret`;

/** A `<ci>-linux` template for each kit CI, for its kit's labels. */
export const kitTemplates = (instanceCap: number): Record<string, unknown>[] =>
  kitCis().map((kit) => ({
    name: `${kit.name}-linux`,
    source: kit.name,
    labels: [...kit.labels],
    instanceCap,
    ...kit.template,
  }));

/** A generic CI's template for `SystemOptions.templates`: busybox, `extra` (a cap, graces ...) on top. */
export const genericTemplate = (name: string, labels: string[], extra: Record<string, unknown> = {}) => ({
  name,
  source: 'generic',
  labels,
  image: 'busybox:1.36',
  ...extra,
});

export interface SystemOptions {
  /** Extra or replacement templates (by name). */
  readonly templates?: Record<string, unknown>[];
  readonly globalCap?: number;
  /** Cluster credentials; the admin kubeconfig by default. */
  readonly clusterCredentials?: Record<string, unknown>;
  readonly visibilityTimeoutSeconds?: number;
  /** The config's `reaper` timings (tests shorten the graces). */
  readonly reaper?: Record<string, number>;
  /** Let the reaper poll the fake Jenkins queue for lost webhooks. */
  readonly jenkinsPollQueue?: boolean;
  /** Run in this namespace (made by the caller, deleted on close) instead of a fresh one. */
  readonly namespace?: string;
  /** Where the handlers reach DynamoDB and SQS (a fault proxy); the test servers by default. */
  readonly dynamoDbEndpoint?: string;
  readonly sqsEndpoint?: string;
  /** The config's `cluster` timeouts. */
  readonly clusterTimeouts?: { readonly connectTimeoutMs?: number; readonly requestTimeoutMs?: number };
  /** A static token for generic agents (`sources.generic.agentToken`). */
  readonly genericAgentToken?: string;
  /**
   * Settings merged over each source's test defaults (GitHub's are token auth and the repositories
   * `acme/*`), e.g. App auth, an allow-list, a backlog cap, a list of webhook secrets.
   */
  readonly sourceSettings?: Partial<Record<CiSource, Record<string, unknown>>>;
  /** A GitHub App the fake GitHub knows (with App auth in sourceSettings.github). */
  readonly githubApp?: FakeGithubApp;
  /** Let the handlers print their CloudWatch metrics (EMF) on stdout; off by default. */
  readonly emitMetrics?: boolean;
  /** The handlers' POWERTOOLS_LOG_LEVEL; PITCREW_TEST_LOG_LEVEL or ERROR by default. */
  readonly logLevel?: string;
}

type WebhookHandler = (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The provisioning path as Lambda runs it, against the real local servers: the real webhook and
 * provision handlers (fresh cold starts with a config file written for this test), ElasticMQ,
 * DynamoDB Local, the API server, and fake GitHub and Jenkins APIs.
 */
export async function startProvisioningSystem(options: SystemOptions = {}) {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const namespace =
    options.namespace ??
    (await createTestNamespace(core, 'prov', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    }));
  // Each part is closed when the test file ends, even if this start outlives a timed-out hook.
  const closeNamespace = closeWhenFileEnds(() => deleteNamespace(core, namespace));
  const resources = await createTestAwsResources({
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
  });
  const github: FakeGithub = await startFakeGithub({
    tokens: [testSecrets.githubToken],
    ...(options.githubApp ? { app: options.githubApp } : {}),
  });
  const closeGithub = closeWhenFileEnds(() => github.close());
  const jenkins: FakeJenkins = await startFakeJenkins({
    user: 'pitcrew',
    apiToken: testSecrets.jenkinsApiToken,
  });
  const closeJenkins = closeWhenFileEnds(() => jenkins.close());
  const kits = await Promise.all(
    kitCis().map(async (kit) => {
      const running = await kit.start();
      return { kit, running, close: closeWhenFileEnds(() => running.close()) };
    }),
  );
  const defaultTemplates: Record<string, unknown>[] = [
    ...kitTemplates(20),
    { name: 'gh-linux', source: 'github', labels: ['self-hosted', 'linux', 'x64'], instanceCap: 20 },
    { name: 'jk-linux', source: 'jenkins', labels: ['linux'], instanceCap: 20 },
    {
      name: 'gen-linux',
      source: 'generic',
      labels: ['linux'],
      image: 'busybox:1.36',
      instanceCap: 20,
      env: { BUILD_TOOL: 'make' },
    },
  ];
  const overrides = new Map((options.templates ?? []).map((template) => [template.name, template]));
  const templates = [
    ...defaultTemplates.filter((template) => !overrides.has(template.name)),
    ...overrides.values(),
  ];
  const config = {
    cluster: {
      namespace,
      credentials: options.clusterCredentials ?? { kind: 'kubeconfig', path: requiredTestEnv('kubeconfig') },
      ...options.clusterTimeouts,
    },
    capacity: { globalCap: options.globalCap ?? 100 },
    sources: {
      github: {
        webhookSecret: { value: testSecrets.github },
        apiUrl: github.url,
        auth: { token: { value: testSecrets.githubToken } },
        repositories: ['acme/*'],
        ...options.sourceSettings?.github,
      },
      jenkins: {
        webhookSecret: { value: testSecrets.jenkins },
        url: jenkins.url,
        user: 'pitcrew',
        apiToken: { value: testSecrets.jenkinsApiToken },
        pollQueue: options.jenkinsPollQueue ?? false,
        ...options.sourceSettings?.jenkins,
      },
      generic: {
        webhookSecret: { value: testSecrets.generic },
        ...(options.genericAgentToken ? { agentToken: { value: options.genericAgentToken } } : {}),
        ...options.sourceSettings?.generic,
      },
      ...Object.fromEntries(
        kits.map(({ kit, running }) => [
          kit.name,
          { ...running.configSection(webhookSecretOf(kit.name)), ...options.sourceSettings?.[kit.name] },
        ]),
      ),
    },
    templates,
    ...(options.reaper ? { reaper: options.reaper } : {}),
  };
  const configFile = join(mkdtempSync(join(tmpdir(), 'pitcrew-config-')), 'pitcrew.yaml');
  writeFileSync(configFile, stringify(config));
  const env = {
    PITCREW_STAGE: 'test',
    AWS_REGION: 'us-east-1',
    PITCREW_TABLE_NAME: resources.tableName,
    PITCREW_QUEUE_URL: resources.queueUrl,
    PITCREW_DLQ_URL: resources.dlqUrl,
    PITCREW_CONFIG_FILE: configFile,
    PITCREW_SQS_ENDPOINT: options.sqsEndpoint ?? requiredTestEnv('sqsEndpoint'),
    PITCREW_DYNAMODB_ENDPOINT: options.dynamoDbEndpoint ?? requiredTestEnv('dynamoDbEndpoint'),
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env.PITCREW_TEST_LOG_LEVEL ?? 'ERROR',
    // CloudWatch metrics (EMF lines on stdout) only where a test reads them.
    POWERTOOLS_METRICS_DISABLED: options.emitMetrics ? 'false' : 'true',
  };
  const webhook = (await importHandler('webhook', env)).handler as unknown as WebhookHandler;
  const provisionHandler = (await importHandler('provision', env)).handler as unknown as SqsHandler;
  const reapHandler = (await importHandler('reap', env)).handler as unknown as (
    event: unknown,
    context: unknown,
  ) => Promise<ReapReport>;
  const sqs: SQSClient = testSqsClient();
  const db = testStateClient();
  const closeClients = closeWhenFileEnds(() => {
    sqs.destroy();
    db.destroy();
  });
  const requests: RequestStore = createRequestStore(db, resources.tableName);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const pollOptions = {
    sqs,
    queueUrl: resources.queueUrl,
    queueArn: Attributes?.QueueArn ?? '',
    batchSize: 10,
  };

  /** POSTs a webhook through the real handler, signed with the source's secret unless told otherwise. */
  async function sendWebhook(
    source: string,
    body: unknown,
    headers: Record<string, string> = {},
    sign: 'valid' | 'none' | string = 'valid',
  ): Promise<{ statusCode: number; body: Record<string, unknown> }> {
    const { statusCode, body: answer } = await sendWebhookWithHeaders(source, body, headers, sign);
    return { statusCode, body: answer };
  }

  /** As sendWebhook, with the answer's headers too (Retry-After). */
  async function sendWebhookWithHeaders(
    source: string,
    body: unknown,
    headers: Record<string, string> = {},
    sign: 'valid' | 'none' | string = 'valid',
  ): Promise<{ statusCode: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const known = isCiSource(source) ? source : 'generic';
    const secret = webhookSecretOf(known);
    const signatureHeader = signingSchemeOf(known).signatureHeader;
    const signature =
      sign === 'valid'
        ? signedHeadersFor(known, text, secret)
        : sign === 'none'
          ? {}
          : { ...signedHeadersFor(known, text, secret), [signatureHeader]: sign };
    const result = await webhook(
      httpEvent({ source, body: text, headers: { ...signature, ...headers } }),
      lambdaContext('webhook'),
    );
    return {
      statusCode: result.statusCode ?? 0,
      body: JSON.parse(result.body ?? '{}') as Record<string, unknown>,
      headers: { ...result.headers },
    };
  }

  /** Runs provision batches, `workers` at once, until the queue has been empty for one poll. */
  async function provisionAll(workers = 1): Promise<{ received: number; failed: number }> {
    const total = { received: 0, failed: 0 };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (;;) {
          const batch = await pollOnce(provisionHandler, pollOptions, 1);
          total.received += batch.received;
          total.failed += batch.failed;
          if (batch.received === 0) return;
        }
      }),
    );
    return total;
  }

  const listPods = async () => (await core.listNamespacedPod({ namespace })).items;

  return {
    namespace,
    /** The config file the handlers read, its content, and their environment (to import more handlers). */
    configFile,
    config,
    env,
    core,
    resources,
    github,
    jenkins,
    /** The other registered CIs, each with its kit's running stand-in. */
    kits,
    requests,
    sqs,
    sendWebhook,
    sendWebhookWithHeaders,
    provisionAll,
    pollOnce: (waitSeconds = 1) => pollOnce(provisionHandler, pollOptions, waitSeconds),
    /** One poll with another provision handler instance (a second "container"). */
    pollOnceWith: (handler: SqsHandler, waitSeconds = 1) => pollOnce(handler, pollOptions, waitSeconds),
    listPods,
    /** One reaper run through the real reap handler. */
    reapNow: (force = false) => reapHandler({ force }, lambdaContext('reap')),
    db,
    async close() {
      await Promise.all([
        closeClients(),
        closeGithub(),
        closeJenkins(),
        ...kits.map(({ close }) => close()),
        closeNamespace(),
      ]);
    },
  };
}

export type ProvisioningSystem = Awaited<ReturnType<typeof startProvisioningSystem>>;
