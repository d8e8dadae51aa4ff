import { CoreV1Api } from '@kubernetes/client-node';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { requestIdFor } from '../../../shared/requests';
import type { CiSource } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { LocalCi, RunningLocalCi } from '../../../infra/local/stand-ins/local-ci';
import { kitCis, kitTemplates, webhookSecretOf } from '../../support/provisioning';
import { generateAppKeyPair } from '../../../infra/local/stand-ins/github-api';
import { createTestAwsResources } from '../../support/aws';
import { requiredTestEnv } from '../../support/env';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../support/kube';
import { httpEvent, lambdaContext, sqsEvent } from '../../../infra/local/stand-ins/lambda';
import { functionEnv } from '../../support/function-env';

/**
 * Every function's built bundle, cold-started from a config of each GitHub auth kind, with every CI
 * configured and secrets given as `{ value }` (as a new user tries it first). The GitHub App setup
 * once failed here at every webhook cold start: the webhook was handed a stand-in for the App key
 * and the adapter parsed it. Each function must start and answer a real event, on the real servers.
 */
const authKinds = ['token', 'app'] as const;
type AuthKind = (typeof authKinds)[number];
const app = generateAppKeyPair();
const secrets = { github: 'gh-hook-secret', jenkins: 'jk-hook-secret', generic: 'gen-hook-secret' };

/** Every other registered CI, configured from its local kit against its running stand-in. */
type KitCi = { readonly kit: LocalCi; readonly running: RunningLocalCi };

function configFor(auth: AuthKind, namespace: string, kits: readonly KitCi[]): string {
  const config = {
    cluster: {
      namespace,
      credentials: { kind: 'kubeconfig', path: requiredTestEnv('kubeconfig') },
    },
    sources: {
      github: {
        webhookSecret: { value: secrets.github },
        apiUrl: 'http://127.0.0.1:9',
        auth:
          auth === 'token'
            ? { token: { value: 'ghp_token' } }
            : { app: { appId: '123456', privateKey: { value: app.privateKey }, installationId: 7 } },
        repositories: ['acme/*'],
      },
      jenkins: {
        webhookSecret: { value: secrets.jenkins },
        url: 'http://127.0.0.1:9/',
        user: 'pitcrew',
        apiToken: { value: 'jenkins-api-token' },
      },
      generic: { webhookSecret: { value: secrets.generic }, agentToken: { value: 'agent-token' } },
      ...Object.fromEntries(
        kits.map(({ kit, running }) => [kit.name, running.configSection(webhookSecretOf(kit.name))]),
      ),
    },
    templates: [
      { name: 'gh', source: 'github', labels: ['self-hosted', 'linux'] },
      { name: 'jk', source: 'jenkins', labels: ['linux'] },
      { name: 'gen', source: 'generic', labels: ['linux'], image: 'busybox:1.36' },
      ...kitTemplates(5),
    ],
  };
  const file = join(mkdtempSync(join(tmpdir(), `pitcrew-${auth}-`)), 'pitcrew.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/**
 * Where this file builds the functions, as `npm run build` does but beside dist/: other test files
 * build dist/ for other configs, and a bundle holds only its config's CIs.
 */
const builtDir = resolve('dist', '.auth-kinds');

/**
 * Imports a built bundle in a fresh Node process, as Lambda would, and calls it once. Not waiting
 * synchronously: the CIs' stand-ins the bundle calls answer from this process.
 */
async function invokeBundle(fn: string, event: unknown, env: Record<string, string>): Promise<unknown> {
  const script = `
    const { handler } = await import(${JSON.stringify(resolve(builtDir, fn, 'handler.mjs'))});
    const result = await handler(${JSON.stringify(event)}, ${JSON.stringify(lambdaContext(fn))});
    process.stdout.write('RESULT ' + JSON.stringify(result ?? null));`;
  const { stdout: output } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      env: { PATH: process.env.PATH, ...functionEnv, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
      encoding: 'utf8',
    },
  );
  return JSON.parse(output.slice(output.indexOf('RESULT ') + 'RESULT '.length));
}

/** The number of the build each kit's CI queues, one per auth kind (the runs share the stand-ins' ids). */
const buildOf = (auth: AuthKind): number => (auth === 'token' ? 41 : 42);

describe.each(authKinds)('the built functions with GitHub %s auth', (auth) => {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  let namespace: string;
  let resources: LocalAwsResources;
  let env: Record<string, string>;
  let kits: KitCi[];
  beforeAll(async () => {
    kits = await Promise.all(kitCis().map(async (kit) => ({ kit, running: await kit.start() })));
    namespace = await createTestNamespace(core, `auth-${auth}`);
    resources = await createTestAwsResources();
    env = {
      PITCREW_CONFIG_FILE: configFor(auth, namespace, kits),
      PITCREW_TABLE_NAME: resources.tableName,
      PITCREW_QUEUE_URL: resources.queueUrl,
      PITCREW_DLQ_URL: resources.dlqUrl,
      PITCREW_SQS_ENDPOINT: requiredTestEnv('sqsEndpoint'),
      PITCREW_DYNAMODB_ENDPOINT: requiredTestEnv('dynamoDbEndpoint'),
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    // The example config, every CI in: the configs above use GitHub, Jenkins, generic and the kits'.
    execFileSync('npx', ['tsx', 'scripts/build.ts'], {
      env: { ...process.env, PITCREW_DIST_DIR: builtDir },
      stdio: 'pipe',
    });
  });
  afterAll(async () => {
    await Promise.all(kits.map(({ running }) => running.close()));
    await deleteNamespace(core, namespace);
  });

  const secretOf = (source: CiSource): string =>
    source in secrets ? secrets[source as keyof typeof secrets] : webhookSecretOf(source);
  const webhook = async (source: CiSource, body: string, headers: Record<string, string>) =>
    (await invokeBundle(
      'webhook',
      httpEvent({
        source,
        body,
        headers: { ...headers, ...signedHeadersFor(source, body, secretOf(source)) },
      }),
      env,
    )) as { statusCode: number; body: string };

  it.each(kitCis().map((kit) => [kit.name, kit] as const))(
    'webhook: records a signed queued build of %s, configured as its kit configures it',
    async (_name, kit) => {
      const { running } = kits.find((started) => started.kit.name === kit.name)!;
      const { body, headers } = kit.delivery(buildOf(auth), 'queued', {}, running.context);
      const answer = await webhook(kit.name, JSON.stringify(body), headers);
      expect({ ...answer, body: JSON.parse(answer.body) as unknown }).toMatchObject({ statusCode: 202 });
    },
  );

  it('webhook: answers a signed GitHub ping and records a signed generic build', async () => {
    const ping = await webhook('github', '{"zen":"Design for failure."}', {
      'x-github-event': 'ping',
      'x-github-delivery': `ping-${auth}`,
    });
    expect(ping).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(ping.body)).toEqual({ status: 'ignored', reason: 'ping' });
    const body = JSON.stringify({ action: 'queued', job: { id: `build-${auth}`, labels: ['linux'] } });
    const queued = await webhook('generic', body, { 'x-pitcrew-delivery': `d-${auth}` });
    expect(queued).toMatchObject({ statusCode: 202 });
  });

  it('webhook: refuses a GitHub job of a repository outside the allow-list', async () => {
    const body = JSON.stringify({
      action: 'queued',
      workflow_job: { id: 1, labels: ['self-hosted', 'linux'], created_at: new Date().toISOString() },
      repository: { name: 'app', owner: { login: 'mallory' }, private: true },
      installation: { id: 7 },
    });
    const answer = await webhook('github', body, {
      'x-github-event': 'workflow_job',
      'x-github-delivery': 'd-1',
    });
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(answer.body)).toMatchObject({ refusal: 'repository-not-allowed' });
  });

  it("provision: starts and makes each queued build its pod, calling the kits' CIs through their adapters", async () => {
    // The generic build and the kits' (their adapters call their stand-ins: GitLab's makes a runner).
    const requestIds = [
      requestIdFor('generic', `build-${auth}`),
      ...kits.map(({ kit, running }) => requestIdFor(kit.name, kit.jobKeyOf(buildOf(auth), running.context))),
    ];
    const result = await invokeBundle(
      'provision',
      sqsEvent(requestIds.map((requestId) => JSON.stringify({ requestId }))),
      env,
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const pods = await core.listNamespacedPod({ namespace });
    expect(pods.items.map((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id']).sort()).toEqual(
      [...requestIds].sort(),
    );
    const gitlab = kits.find(({ kit }) => kit.name === 'gitlab');
    expect(gitlab?.running.agentNames()).toHaveLength(1);
  });

  it('reap and ops: start and answer', async () => {
    expect(await invokeBundle('reap', {}, env)).toMatchObject({
      podsByTemplate: { gen: 1, ...Object.fromEntries(kits.map(({ kit }) => [`${kit.name}-linux`, 1])) },
      expired: 0,
    });
    expect(await invokeBundle('ops', { action: 'status' }, env)).toMatchObject({
      action: 'status',
      requests: { provisioned: 1 + kits.length },
    });
  });
});
