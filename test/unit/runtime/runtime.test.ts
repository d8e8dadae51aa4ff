import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, SecretReadError, type SecretReader } from '../../../shared/config';
import { createRuntime } from '../../../shared/runtime';
import { functionEnv } from '../../support/lambda';

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

/** SSM and Secrets Manager in memory; `values` may change between reads, as a rotation does. */
function storeOf(values: Record<string, string>) {
  const reads: string[] = [];
  const reader: SecretReader = {
    parameter: async (name) => {
      reads.push(name);
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
  return { reader, reads, values };
}

const envFor = (file: string) => ({ ...functionEnv, PITCREW_STAGE: 'prod', PITCREW_CONFIG_FILE: file });

describe('createRuntime', () => {
  it('resolves only the webhook secrets for the webhook, which gets no cluster client', async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'webhook-secret',
      'pitcrew/prod/agents': JSON.stringify({ token: 'agent-token' }),
    });
    const runtime = await createRuntime('webhook', envFor(configFile(kubeconfigCluster + sources)), {
      secretReader: store.reader,
    });
    expect(runtime.sources.generic?.webhookSecret).toBe('webhook-secret');
    // Not the agent token: the webhook verifies signatures and never calls a CI.
    expect(store.reads.sort()).toEqual(['/pitcrew/prod/generic']);
    expect(() => runtime.agents()).toThrow(/the webhook function has no cluster access/);
  });

  it('names every missing secret in one ConfigError', async () => {
    const failure = await createRuntime('provision', envFor(configFile(kubeconfigCluster + sources)), {
      secretReader: storeOf({}).reader,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems.map((problem) => problem.setting)).toEqual([
      'sources.generic.webhookSecret',
      'sources.generic.agentToken',
    ]);
  });

  it('picks up a rotated secret on refresh, in the same registry object the ports hold', async () => {
    const store = storeOf({
      '/pitcrew/prod/generic': 'before',
      'pitcrew/prod/agents': JSON.stringify({ token: 'agent-token' }),
    });
    const runtime = await createRuntime('webhook', envFor(configFile(kubeconfigCluster + sources)), {
      secretReader: store.reader,
    });
    const registry = runtime.sources;
    const adapter = registry.generic?.adapter;
    await runtime.refreshSecrets();
    expect(registry.generic?.adapter).toBe(adapter);
    store.values['/pitcrew/prod/generic'] = 'after';
    await runtime.refreshSecrets();
    expect(runtime.sources).toBe(registry);
    expect(registry.generic?.webhookSecret).toBe('after');
    expect(registry.generic?.adapter).not.toBe(adapter);
  });

  it('connects the provision function to an EKS cluster at cold start, with one DescribeCluster', async () => {
    const described: string[] = [];
    const runtime = await createRuntime(
      'provision',
      envFor(configFile(`cluster:\n  credentials: { kind: eks, clusterName: ci-agents }\n${sources}`)),
      {
        secretReader: storeOf({
          '/pitcrew/prod/generic': 's',
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
    expect(typeof runtime.agents().createPod).toBe('function');
  });
});
