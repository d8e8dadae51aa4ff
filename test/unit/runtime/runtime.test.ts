import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileConfig, ConfigError, SecretReadError, type SecretReader } from '../../../shared/config';
import { createRuntime } from '../../../shared/runtime';
import { ciSide } from '../../../shared/runtime/ci-side';
import { webhookSide } from '../../../shared/runtime/sources';
import { failedReadRetryMs } from '../../../shared/runtime/webhook-secrets';
import { ciSources } from '../../../shared/sources';
import { functionEnv } from '../../support/function-env';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pitcrew-runtime-')), 'pitcrew.yaml');
  writeFileSync(file, text);
  return file;
}

const sources = `
sources:
  generic: { webhookSecret: { ssm: '/pitcrew/{stage}/generic' }, agentToken: { secretsManager: 'pitcrew/{stage}/agents', key: token } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`;
const kubeconfigCluster = `
cluster:
  credentials: { kind: kubeconfig, path: test/fixtures/config/kubeconfig.yaml }
`;

/**
 * SSM and Secrets Manager in memory; `values` may change between reads, as a rotation does, and a
 * name in `failures` fails with that error (throttling, access denied) until it is taken out.
 */
function storeOf(values: Record<string, string>) {
  const reads: string[] = [];
  const failures: Record<string, SecretReadError> = {};
  const reader: SecretReader = {
    parameter: async (name) => {
      reads.push(name);
      if (failures[name]) throw failures[name];
      const value = values[name];
      if (value === undefined) throw new SecretReadError('ParameterNotFound', 'not-found');
      return value;
    },
    secret: async (id) => {
      reads.push(id);
      const value = values[id];
      if (value === undefined) throw new SecretReadError('ResourceNotFoundException', 'not-found');
      return value;
    },
  };
  return { reader, reads, values, failures };
}

const envFor = (file: string) => ({ ...functionEnv, PITCREW_STAGE: 'prod', PITCREW_CONFIG_FILE: file });

/** Two sources whose webhook secrets live in SSM, Jenkins's a rotation list of two. */
const twoSourcesYaml = `
sources:
  generic: { webhookSecret: { ssm: '/pitcrew/{stage}/generic' } }
  jenkins:
    webhookSecret: [{ ssm: '/pitcrew/{stage}/jenkins' }, { ssm: '/pitcrew/{stage}/jenkins-next' }]
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { ssm: '/pitcrew/{stage}/jenkins-api' }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`;

describe('createRuntime', () => {
  it('resolves only the webhook secrets for the webhook, which gets no cluster client', async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'webhook-secret-0123456789',
      'pitcrew/prod/agents': JSON.stringify({ token: 'agent-token' }),
    });
    const runtime = await createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + sources)),
      webhookSide,
      {
        secretReader: store.reader,
      },
    );
    expect(runtime.webhooks.generic?.secrets).toEqual(['webhook-secret-0123456789']);
    // Not the agent token, and no API adapter: the webhook verifies signatures and never calls a CI.
    expect(store.reads.sort()).toEqual(['/pitcrew/prod/generic']);
    expect(runtime.sources).toEqual({});
    expect(() => runtime.cluster()).toThrow(/the webhook function has no cluster access/);
  });

  it('refuses two sources whose webhook secrets resolve to the same value', async () => {
    const twoSources = twoSourcesYaml;
    const store = storeOf({
      '/pitcrew/prod/generic': 'same-value-0123456789',
      '/pitcrew/prod/jenkins': 'jenkins-value-0123456789',
      '/pitcrew/prod/jenkins-next': 'same-value-0123456789',
      '/pitcrew/prod/jenkins-api': 'api',
    });
    const failure = await createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + twoSources)),
      webhookSide,
      {
        secretReader: store.reader,
      },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(String(failure)).toContain('jenkins and generic resolve to the same webhook secret');
    expect(String(failure)).not.toContain('same-value-0123456789');

    store.values['/pitcrew/prod/jenkins-next'] = 'jenkins-next-value-0123456789';
    const runtime = await createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + twoSources)),
      webhookSide,
      {
        secretReader: store.reader,
      },
    );
    expect(runtime.webhooks.jenkins?.secrets).toEqual([
      'jenkins-value-0123456789',
      'jenkins-next-value-0123456789',
    ]);
    // A rotation that would make them equal is refused: neither source verifies anything until it is
    // fixed (the secrets read before are not kept: either may be the one an operator replaced).
    store.values['/pitcrew/prod/generic'] = 'jenkins-value-0123456789';
    const refresh = await runtime.refreshSecrets();
    expect(refresh?.closed).toEqual([
      expect.objectContaining({
        problem: expect.stringContaining('jenkins and generic resolve to the same'),
      }),
    ]);
    expect(runtime.webhooks.generic).toMatchObject({ closed: true, secrets: [] });
    expect(runtime.webhooks.jenkins).toMatchObject({ closed: true, secrets: [] });
  });

  it('refuses two sources whose webhook secrets differ only by trailing NULs: one HMAC key (bug 89)', async () => {
    // HMAC pads a key shorter than its block with zero bytes: a delivery signed for one would verify
    // at the other.
    const store = storeOf({
      '/pitcrew/prod/generic': 'same-value-0123456789\0\0',
      '/pitcrew/prod/jenkins': 'jenkins-value-0123456789',
      '/pitcrew/prod/jenkins-next': 'same-value-0123456789',
      '/pitcrew/prod/jenkins-api': 'api',
    });
    const started = createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + twoSourcesYaml)),
      webhookSide,
      {
        secretReader: store.reader,
      },
    );
    await expect(started).rejects.toThrow('jenkins and generic resolve to the same webhook secret');
  });

  it('refuses at cold start a bundle built for the local stage on any other stage (bug 95), and in AWS Lambda a config no build compiled (bug 96)', async () => {
    // `npm run build -- --stage local` skips the deployed stage's checks; `serverless deploy --stage
    // prod` takes its stage apart from the build's, so such a bundle, its secrets held in the file,
    // could be deployed: it stops there, and runs on the local stage only.
    const local = `${kubeconfigCluster}sources:
  generic: { webhookSecret: { value: a-local-webhook-secret } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`;
    const built = configFile(compileConfig(local, 'pitcrew.yaml', { localOnly: true }));
    const startOn = (stage: string) =>
      createRuntime('webhook', { ...envFor(built), PITCREW_STAGE: stage }, webhookSide, {
        secretReader: storeOf({}).reader,
      });
    for (const stage of ['prod', 'dev'])
      await expect(startOn(stage)).rejects.toThrow(
        `localOnly: was built for a local stage, unchecked for stage '${stage}'`,
      );
    expect((await startOn('local')).webhooks.generic?.secrets).toEqual(['a-local-webhook-secret']);
    // In AWS Lambda it is deployed whatever its stage is called; `serverless invoke local` says IS_LOCAL.
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'pitcrew-local-webhook' };
    const startIn = (env: Record<string, string>) =>
      createRuntime('webhook', { ...envFor(built), PITCREW_STAGE: 'local', ...env }, webhookSide, {
        secretReader: storeOf({}).reader,
      });
    await expect(startIn(lambda)).rejects.toThrow(
      'localOnly: was built for a local stage, unchecked for AWS Lambda',
    );
    expect((await startIn({ ...lambda, IS_LOCAL: 'true' })).webhooks.generic).toBeDefined();
    // Nor does a config no build compiled: its stage's checks never ran (a YAML file named in
    // serverless.yml, or JSON written by hand).
    for (const text of [local, JSON.stringify(parseYaml(local))]) {
      const uncompiled = configFile(text);
      const inLambda = createRuntime('webhook', { ...envFor(uncompiled), ...lambda }, webhookSide, {
        secretReader: storeOf({}).reader,
      });
      await expect(inLambda).rejects.toThrow(
        `PITCREW_CONFIG_FILE: '${uncompiled}' is not a config npm run package compiled`,
      );
      const invokedLocally = { ...envFor(uncompiled), ...lambda, IS_LOCAL: 'true' };
      expect(
        (await createRuntime('webhook', invokedLocally, webhookSide, { secretReader: storeOf({}).reader }))
          .webhooks.generic,
      ).toBeDefined();
    }
    // Built for a deployed stage (checked, or --allow-insecure-config), it starts anywhere.
    const checked = configFile(compileConfig(local, 'pitcrew.yaml'));
    expect((await createRuntime('webhook', envFor(checked), webhookSide)).webhooks.generic).toBeDefined();
  });

  it("refuses the other functions' side, or a partial one, before reading anything: the webhook never builds API adapters, nor the others receivers", async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'generic-secret-0123456789',
      'pitcrew/prod/agents': JSON.stringify({ token: 't' }),
    });
    const env = envFor(configFile(kubeconfigCluster + sources));
    await expect(
      createRuntime('webhook', env, ciSide as never, { secretReader: store.reader }),
    ).rejects.toThrow(/createRuntime\('webhook'\) needs the webhook side/);
    await expect(
      createRuntime('provision', env, webhookSide as never, { secretReader: store.reader }),
    ).rejects.toThrow(/createRuntime\('provision'\) needs the CI side/);
    // Nor half a side, or none: the function would start and fail at its first event.
    for (const side of [
      {},
      { connectCluster: ciSide.connectCluster },
      undefined,
      { ...ciSide, ...webhookSide },
    ])
      await expect(createRuntime('reap', env, side as never, { secretReader: store.reader })).rejects.toThrow(
        /createRuntime\('reap'\) needs the CI side/,
      );
    expect(store.reads).toEqual([]);
  });

  it("names every missing secret of its function's in one ConfigError, and reads no other", async () => {
    const missing = async (fn: 'provision' | 'webhook') => {
      const store = storeOf({});
      const failure = await createRuntime(
        fn,
        envFor(configFile(kubeconfigCluster + sources)),
        fn === 'webhook' ? webhookSide : ciSide,
        { secretReader: store.reader },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigError);
      return {
        problems: (failure as ConfigError).problems.map(({ setting }) => setting),
        reads: store.reads,
      };
    };
    // The functions that call the CIs never verify a delivery: they read no webhook secret.
    expect(await missing('provision')).toEqual({
      problems: ['sources.generic.agentToken'],
      reads: ['pitcrew/prod/agents'],
    });
    expect(await missing('webhook')).toEqual({
      problems: ['sources.generic.webhookSecret'],
      reads: ['/pitcrew/prod/generic'],
    });
  });

  it("builds each function's CI adapters when first asked to, into the registry the ports hold, and keeps them", async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'webhook-secret-0123456789',
      'pitcrew/prod/agents': JSON.stringify({ token: 'agent-token' }),
    });
    const file = configFile(kubeconfigCluster + sources);
    const ops = await createRuntime(
      'ops',
      { ...envFor(file), PITCREW_DLQ_URL: 'http://127.0.0.1:1/dlq' },
      ciSide,
      {
        secretReader: store.reader,
      },
    );
    const registry = ops.sources;
    expect(registry).toEqual({});
    await ops.loadSources();
    expect(ops.sources).toBe(registry);
    const adapter = registry.generic?.adapter;
    expect(adapter).toBeDefined();
    await ops.loadSources(['generic']);
    expect(registry.generic?.adapter).toBe(adapter);
    // Ops makes no agent, so it never reads the agents' token: rotating it changes nothing here.
    store.values['pitcrew/prod/agents'] = JSON.stringify({ token: 'rotated' });
    await ops.refreshSecrets();
    expect(registry.generic?.adapter).toBe(adapter);
    expect(store.reads).not.toContain('pitcrew/prod/agents');
    // The reaper's cold start builds none either; a CI the config does not have is none to build.
    const reap = await createRuntime('reap', envFor(file), ciSide, { secretReader: store.reader });
    expect(reap.sources).toEqual({});
    await reap.loadSources(['jenkins']);
    expect(reap.sources).toEqual({});
    await reap.loadSources();
    expect(reap.sources.generic?.adapter).toBeDefined();
    // Provision, which hands the token to its agents, reads it, and a rotation rebuilds its adapter.
    const provision = await createRuntime('provision', envFor(file), ciSide, { secretReader: store.reader });
    await provision.loadSources(['generic']);
    const before = provision.sources.generic!.adapter;
    const agentRequest = {
      requestId: 'r',
      agentName: 'a',
      labels: [],
      details: { source: 'generic' as const },
    } as unknown as Parameters<typeof before.createAgentCredentials>[0];
    expect((await before.createAgentCredentials(agentRequest)).secretEnv).toEqual({
      PITCREW_AGENT_TOKEN: 'rotated',
    });
    store.values['pitcrew/prod/agents'] = JSON.stringify({ token: 'rotated-again' });
    await provision.refreshSecrets();
    expect(provision.sources.generic!.adapter).not.toBe(before);
    expect((await provision.sources.generic!.adapter.createAgentCredentials(agentRequest)).secretEnv).toEqual(
      { PITCREW_AGENT_TOKEN: 'rotated-again' },
    );
    expect(store.reads).not.toContain('/pitcrew/prod/generic');
  });

  it("loads a CI's adapter only when named, also when asked for twice at once, and one that cannot be built again at the next ask", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const store = storeOf({
      '/pitcrew/prod/jenkins-api': 'jenkins-token',
      '/pitcrew/prod/github-key': 'not a key',
      '/pitcrew/prod/jenkins-hook': 'jenkins-webhook-secret-0123456789',
      '/pitcrew/prod/github-hook': 'github-webhook-secret-0123456789',
    });
    const file = configFile(`${kubeconfigCluster}
sources:
  jenkins:
    webhookSecret: { ssm: '/pitcrew/{stage}/jenkins-hook' }
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { ssm: '/pitcrew/{stage}/jenkins-api' }
  github:
    webhookSecret: { ssm: '/pitcrew/{stage}/github-hook' }
    auth: { app: { appId: '1', installationId: 2, privateKey: { ssm: '/pitcrew/{stage}/github-key' } } }
    repositories: [your-org/app]
templates:
  - { name: jk, source: jenkins, labels: [linux], image: busybox }
  - { name: gh, source: github, labels: [linux], image: busybox }
`);
    // The App's key is read at cold start, as every secret is; only building GitHub's adapter parses it.
    const provision = await createRuntime('provision', envFor(file), ciSide, { secretReader: store.reader });
    expect(provision.sources).toEqual({});
    await Promise.all([provision.loadSources(['jenkins']), provision.loadSources(['jenkins'])]);
    const jenkins = provision.sources.jenkins?.adapter;
    expect({ jenkins: jenkins?.name, github: provision.sources.github }).toEqual({
      jenkins: 'jenkins',
      github: undefined,
    });
    await expect(provision.loadSources(['github'])).rejects.toThrow(
      /GitHub App privateKey is not a PEM private key/,
    );
    await expect(provision.loadSources()).rejects.toThrow(/GitHub App privateKey is not a PEM private key/);
    expect(provision.sources.jenkins?.adapter).toBe(jenkins);
    expect(provision.sources.github).toBeUndefined();
    // The operator mends the key: the next refresh reads it, and the next ask builds the adapter.
    store.values['/pitcrew/prod/github-key'] = pem;
    await provision.refreshSecrets();
    await provision.loadSources(['github']);
    expect(provision.sources.github?.adapter.name).toBe('github');
  });

  it('refuses a webhook secret from SSM or Secrets Manager shorter than 16 characters, naming it, not its value', async () => {
    const twoSecrets = `
sources:
  generic:
    webhookSecret: [{ ssm: '/pitcrew/{stage}/generic' }, { secretsManager: 'pitcrew/{stage}/hooks', key: generic }]
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`;
    const store = storeOf({
      '/pitcrew/prod/generic': 'hunter2',
      'pitcrew/prod/hooks': JSON.stringify({ generic: '   ' }),
    });
    const start = () =>
      createRuntime('webhook', envFor(configFile(kubeconfigCluster + twoSecrets)), webhookSide, {
        secretReader: store.reader,
      });
    const failure = await start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual([
      {
        setting: 'sources.generic.webhookSecret.0',
        problem:
          'is 7 characters: a webhook secret needs at least 16, or one captured delivery lets anyone find it offline',
      },
      {
        setting: 'sources.generic.webhookSecret.1',
        problem:
          'is 0 characters: a webhook secret needs at least 16, or one captured delivery lets anyone find it offline',
      },
    ]);
    expect(String(failure)).not.toContain('hunter2');

    store.values['/pitcrew/prod/generic'] = '0123456789abcdef';
    store.values['pitcrew/prod/hooks'] = JSON.stringify({ generic: 'fedcba9876543210' });
    expect((await start()).webhooks.generic?.secrets).toEqual(['0123456789abcdef', 'fedcba9876543210']);
  });

  it('picks up a rotated secret on refresh, in the same registry object the ports hold', async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'secret-before-0123456789',
      'pitcrew/prod/agents': JSON.stringify({ token: 'agent-token' }),
    });
    const runtime = await createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + sources)),
      webhookSide,
      {
        secretReader: store.reader,
      },
    );
    const registry = runtime.webhooks;
    const receiver = registry.generic?.receiver;
    await runtime.refreshSecrets();
    expect(registry.generic?.receiver).toBe(receiver);
    store.values['/pitcrew/prod/generic'] = 'secret-after-0123456789';
    await runtime.refreshSecrets();
    expect(runtime.webhooks).toBe(registry);
    expect(registry.generic?.secrets).toEqual(['secret-after-0123456789']);
    expect(registry.generic?.receiver).not.toBe(receiver);
  });

  it('connects the provision function to an EKS cluster at cold start, with one DescribeCluster', async () => {
    const described: string[] = [];
    const runtime = await createRuntime(
      'provision',
      envFor(configFile(`cluster:\n  credentials: { kind: eks, clusterName: ci-agents }\n${sources}`)),
      ciSide,
      {
        secretReader: storeOf({
          '/pitcrew/prod/generic': 'generic-secret-0123456789',
          'pitcrew/prod/agents': JSON.stringify({ token: 't' }),
        }).reader,
        cluster: {
          credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }),
          describeClusterClient: async (region) => ({
            describeCluster: async (name) => {
              described.push(`${region}/${name}`);
              return { endpoint: 'https://127.0.0.1:9', certificateAuthority: { data: 'Q0E=' } };
            },
          }),
        },
      },
    );
    expect(described).toEqual(['us-east-1/ci-agents']);
    expect(typeof runtime.cluster().createNamespacedPod).toBe('function');
  });

  it.each([
    ['as shipped', (file: string) => file],
    // What `npm run package` bundles: the same config as JSON, read without a YAML parser.
    ['as packaged', (file: string) => configFile(compileConfig(readFileSync(file, 'utf8'), file))],
  ])(
    'starts every function from the example config %s (GitHub App, EKS, secrets in SSM and Secrets Manager)',
    async (_form, configOf) => {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const store = storeOf({
        '/pitcrew/prod/github/webhook-secret': 'gh-secret-0123456789',
        '/pitcrew/prod/jenkins/webhook-secret': 'jk-secret-0123456789',
        '/pitcrew/prod/jenkins/api-token': 'jk-token',
        '/pitcrew/prod/generic/webhook-secret': 'gen-secret-0123456789',
        'pitcrew/prod/github-app-key': privateKey,
        '/pitcrew/prod/buildkite/webhook-token': 'bk-secret-0123456789',
        '/pitcrew/prod/buildkite/api-token': 'bkua_token',
        '/pitcrew/prod/buildkite/agent-token': 'bk-agent-token',
        '/pitcrew/prod/gitlab/webhook-secret': 'gl-secret-0123456789',
        '/pitcrew/prod/gitlab/api-token': 'glpat-token',
      });
      const cluster = {
        credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }),
        describeClusterClient: async () => ({
          describeCluster: async () => ({
            endpoint: 'https://127.0.0.1:9',
            certificateAuthority: { data: 'Q0E=' },
          }),
        }),
      };
      const env = envFor(configOf('infra/pitcrew.example.yaml'));
      const webhook = await createRuntime('webhook', env, webhookSide, {
        secretReader: store.reader,
        cluster,
      });
      // Every CI the example configures: the five registered.
      expect(Object.keys(webhook.webhooks).sort()).toEqual([...ciSources].sort());
      // The webhook reads only the webhook secrets: never an API token, the App key or an agent token.
      expect([...new Set(store.reads)].sort()).toEqual([
        '/pitcrew/prod/buildkite/webhook-token',
        '/pitcrew/prod/generic/webhook-secret',
        '/pitcrew/prod/github/webhook-secret',
        '/pitcrew/prod/gitlab/webhook-secret',
        '/pitcrew/prod/jenkins/webhook-secret',
      ]);
      for (const fn of ['provision', 'reap', 'ops'] as const) {
        store.reads.length = 0;
        const runtime = await createRuntime(fn, env, ciSide, {
          secretReader: store.reader,
          cluster,
        });
        expect(runtime.sources).toEqual({});
        // Every CI's adapter builds over the example's secrets (the App key among them).
        await runtime.loadSources();
        expect(Object.keys(runtime.sources).sort()).toEqual([...ciSources].sort());
        // And the functions that call the CIs read no webhook secret.
        expect(store.reads.length).toBeGreaterThan(0);
        expect(store.reads.filter((name) => /webhook/.test(name))).toEqual([]);
      }
    },
  );
});

describe('refreshSecrets in the webhook: a secret removed or revoked stops verifying', () => {
  const twoSources = `${twoSourcesYaml}secrets: { maxAgeSeconds: 60 }\n`;
  const generic = 'generic-secret-0123456789';
  const jenkins = ['jenkins-secret-0123456789', 'jenkins-next-0123456789'];

  async function start() {
    const store = storeOf({
      '/pitcrew/prod/generic': generic,
      '/pitcrew/prod/jenkins': jenkins[0]!,
      '/pitcrew/prod/jenkins-next': jenkins[1]!,
    });
    const clock = { ms: Date.parse('2026-03-01T12:00:00Z') };
    const runtime = await createRuntime(
      'webhook',
      envFor(configFile(kubeconfigCluster + twoSources)),
      webhookSide,
      { secretReader: store.reader, now: () => clock.ms },
    );
    return { store, clock, runtime };
  }

  const closed = { closed: true, secrets: [] };

  it("a deleted parameter stops verifying at the next refresh, naming it; its list's other entry and the other sources verify on", async () => {
    const { store, clock, runtime } = await start();
    delete store.values['/pitcrew/prod/jenkins-next'];
    const refresh = await runtime.refreshSecrets();
    expect(refresh).toEqual({
      closed: [
        {
          setting: 'sources.jenkins.webhookSecret.1',
          problem: expect.stringContaining("SSM parameter '/pitcrew/prod/jenkins-next' does not exist"),
        },
      ],
      kept: [],
    });
    // While a secret is rotated, deleting one parameter leaves the other verifying: no outage.
    expect(runtime.webhooks.jenkins).toMatchObject({ secrets: [jenkins[0]] });
    expect(runtime.webhooks.jenkins?.closed).toBeUndefined();
    expect(runtime.webhooks.generic).toMatchObject({ secrets: [generic] });
    expect(runtime.webhooks.generic?.closed).toBeUndefined();
    // Written again: the source opens at the first refresh that reads it again, with what is there
    // now. A failed read is not tried again for failedReadRetryMs, whatever the deliveries.
    store.values['/pitcrew/prod/jenkins-next'] = 'jenkins-new-0123456789';
    const reads = store.reads.length;
    clock.ms += failedReadRetryMs - 1;
    for (let delivery = 0; delivery < 5; delivery++)
      expect((await runtime.refreshSecrets())?.closed).toHaveLength(1);
    expect(store.reads.slice(reads)).not.toContain('/pitcrew/prod/jenkins-next');
    clock.ms += 1;
    expect(await runtime.refreshSecrets()).toEqual({ closed: [], kept: [] });
    expect(store.reads.slice(reads)).toContain('/pitcrew/prod/jenkins-next');
    expect(runtime.webhooks.jenkins).toMatchObject({ secrets: [jenkins[0], 'jenkins-new-0123456789'] });
    expect(runtime.webhooks.jenkins?.closed).toBeUndefined();
  });

  it("judges a list's entries by their own names once one is gone: the one left too short closes that source only", async () => {
    const { store, runtime } = await start();
    delete store.values['/pitcrew/prod/jenkins'];
    store.values['/pitcrew/prod/jenkins-next'] = 'short';
    expect((await runtime.refreshSecrets())?.closed).toEqual([
      { setting: 'sources.jenkins.webhookSecret.0', problem: expect.stringContaining('does not exist') },
      { setting: 'sources.jenkins.webhookSecret.1', problem: expect.stringContaining('is 5 characters') },
    ]);
    expect(runtime.webhooks.jenkins).toMatchObject(closed);
    expect(runtime.webhooks.generic).toMatchObject({ secrets: [generic] });
    expect(runtime.webhooks.generic?.closed).toBeUndefined();
  });

  it('a source whose every entry is gone is closed', async () => {
    const { store, runtime } = await start();
    delete store.values['/pitcrew/prod/jenkins'];
    delete store.values['/pitcrew/prod/jenkins-next'];
    expect((await runtime.refreshSecrets())?.closed.map(({ setting }) => setting)).toEqual([
      'sources.jenkins.webhookSecret.0',
      'sources.jenkins.webhookSecret.1',
    ]);
    expect(runtime.webhooks.jenkins).toMatchObject(closed);
    expect(runtime.webhooks.generic).toMatchObject({ secrets: [generic] });
  });

  it('access denied closes its source at once', async () => {
    const { store, runtime } = await start();
    store.failures['/pitcrew/prod/generic'] = new SecretReadError('AccessDeniedException', 'denied');
    expect((await runtime.refreshSecrets())?.closed).toEqual([
      {
        setting: 'sources.generic.webhookSecret',
        problem: expect.stringContaining("may not be read by this function's role"),
      },
    ]);
    expect(runtime.webhooks.generic).toMatchObject(closed);
    expect(runtime.webhooks.jenkins).toMatchObject({ secrets: jenkins });
  });

  it('a value overwritten with one under 16 characters closes its source, naming the key, not the value', async () => {
    const { store, runtime } = await start();
    store.values['/pitcrew/prod/generic'] = 'hunter2';
    const refresh = await runtime.refreshSecrets();
    expect(refresh?.closed).toEqual([
      { setting: 'sources.generic.webhookSecret', problem: expect.stringContaining('is 7 characters') },
    ]);
    expect(JSON.stringify(refresh)).not.toContain('hunter2');
    expect(runtime.webhooks.generic).toMatchObject(closed);
    expect(runtime.webhooks.jenkins).toMatchObject({ secrets: jenkins });
    expect(runtime.webhooks.jenkins?.closed).toBeUndefined();
  });

  it('a read that may heal keeps the secret one more maxAgeSeconds past its last read, then closes its source', async () => {
    const { store, clock, runtime } = await start();
    const registry = runtime.webhooks;
    const receiver = registry.generic?.receiver;
    clock.ms += 30_000;
    store.failures['/pitcrew/prod/generic'] = new SecretReadError('Rate exceeded', 'unavailable');
    // Last read at cold start: kept until then + 60 s.
    expect(await runtime.refreshSecrets()).toEqual({
      closed: [],
      kept: [
        {
          setting: 'sources.generic.webhookSecret',
          problem: 'Rate exceeded',
          until: '2026-03-01T12:01:00.000Z',
        },
      ],
    });
    expect(registry.generic).toMatchObject({ secrets: [generic] });
    expect(registry.generic?.receiver).toBe(receiver);
    clock.ms += 29_999;
    expect((await runtime.refreshSecrets())?.kept).toHaveLength(1);
    expect(registry.generic?.closed).toBeUndefined();
    clock.ms += 1;
    expect((await runtime.refreshSecrets())?.closed).toEqual([
      {
        setting: 'sources.generic.webhookSecret',
        problem: 'not read since 2026-03-01T12:00:00.000Z: Rate exceeded',
      },
    ]);
    expect(registry.generic).toMatchObject(closed);
    expect(registry.jenkins).toMatchObject({ secrets: jenkins });
    // Still failing: still closed, not kept again.
    clock.ms += 1_000;
    expect(await runtime.refreshSecrets()).toMatchObject({ closed: [expect.anything()], kept: [] });
    // Read again once the failure is failedReadRetryMs old: open, and a later blip is kept from this read on.
    delete store.failures['/pitcrew/prod/generic'];
    clock.ms += failedReadRetryMs;
    expect(await runtime.refreshSecrets()).toEqual({ closed: [], kept: [] });
    expect(registry.generic).toMatchObject({ secrets: [generic] });
    expect(registry.generic?.closed).toBeUndefined();
    expect(runtime.webhooks).toBe(registry);
  });

  it('keeps a blip of one entry from closing a source whose other reads went well', async () => {
    const { store, clock, runtime } = await start();
    clock.ms += 10_000;
    store.failures['/pitcrew/prod/jenkins'] = new SecretReadError('Service unavailable', 'unavailable');
    store.values['/pitcrew/prod/jenkins-next'] = 'jenkins-rotated-0123456789';
    expect((await runtime.refreshSecrets())?.kept).toEqual([
      expect.objectContaining({ setting: 'sources.jenkins.webhookSecret.0' }),
    ]);
    expect(runtime.webhooks.jenkins).toMatchObject({ secrets: [jenkins[0], 'jenkins-rotated-0123456789'] });
    expect(runtime.webhooks.jenkins?.closed).toBeUndefined();
  });
});
