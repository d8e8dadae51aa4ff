import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClusterPki } from '../../../infra/local/kube/certs';
import { connectCluster, eksTokenPrefix, type DescribeClusterClient } from '../../../shared/cluster';
import { ConfigError, createSecretResolver, parseConfig, type SecretReader } from '../../../shared/config';

/**
 * A stand-in API server over TLS that answers pod lists, refuses the bearer tokens in `refuse`
 * with 401, and records every Authorization header it sees. The real API server's side is tested
 * in test/integration/deploy/cluster-access.test.ts.
 */
async function startFakeApiServer(refuse: (token: string) => boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'pitcrew-fake-api-'));
  const pki = await makeClusterPki(dir);
  const seen: string[] = [];
  const server: Server = createServer(
    { cert: readFileSync(pki.servingCert), key: readFileSync(pki.servingKey) },
    (request, response) => {
      const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      seen.push(token);
      response.setHeader('content-type', 'application/json');
      if (refuse(token)) {
        response.statusCode = 401;
        response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 401 }));
        return;
      }
      response.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caData: readFileSync(pki.caCert).toString('base64'),
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type FakeApi = Awaited<ReturnType<typeof startFakeApiServer>>;

const configWith = (credentials: string) =>
  parseConfig(`
cluster:
  namespace: agents
  credentials: ${credentials}
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`);

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };

describe('connectCluster: EKS', () => {
  let api: FakeApi;
  let refuse: (token: string) => boolean = () => false;
  beforeAll(async () => {
    api = await startFakeApiServer((token) => refuse(token));
  });
  afterAll(() => api.close());

  it('asks DescribeCluster for the endpoint and CA, and sends a signed EKS token', async () => {
    const described: string[] = [];
    const describe: DescribeClusterClient = {
      describeCluster: async (name) => {
        described.push(name);
        return { endpoint: api.url, certificateAuthority: { data: api.caData } };
      },
    };
    const core = await connectCluster(configWith('{ kind: eks, clusterName: ci }').cluster, {
      secrets: createSecretResolver({ env: {}, stage: 't', maxAgeSeconds: 0 }),
      region: 'eu-west-1',
      credentials: async () => credentials,
      describeClusterClient: async () => describe,
      now: () => new Date('2026-11-25T12:00:00Z'),
    });
    await core.listNamespacedPod({ namespace: 'agents' });
    expect(described).toEqual(['ci']);
    const token = api.seen.at(-1)!;
    expect(token.startsWith(eksTokenPrefix)).toBe(true);
    const url = new URL(Buffer.from(token.slice(eksTokenPrefix.length), 'base64url').toString());
    expect(url.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/20261125\/eu-west-1\/sts\//);
  });

  it('on 401 signs a new token and retries the call once, within the same call', async () => {
    let clock = new Date('2026-11-25T12:00:00Z').getTime();
    const core = await connectCluster(
      configWith(
        `{ kind: eks, clusterName: ci, region: us-west-2, server: '${api.url}', caData: ${api.caData} }`,
      ).cluster,
      {
        secrets: createSecretResolver({ env: {}, stage: 't', maxAgeSeconds: 0 }),
        region: 'eu-west-1',
        credentials: async () => credentials,
        describeClusterClient: async () => {
          throw new Error('server and caData are configured: DescribeCluster must not be called');
        },
        now: () => new Date((clock += 10_000)),
      },
    );
    const before = api.seen.length;
    // Refuse the first token, as EKS refuses one it no longer accepts.
    let first: string | undefined;
    refuse = (token) => {
      first ??= token;
      return token === first;
    };
    await core.listNamespacedPod({ namespace: 'agents' });
    const tokens = api.seen.slice(before);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    const region = new URL(Buffer.from(tokens[1]!.slice(eksTokenPrefix.length), 'base64url').toString())
      .hostname;
    expect(region).toBe('sts.us-west-2.amazonaws.com');
  });

  it('stops the cold start with a ConfigError when the cluster does not exist', async () => {
    const missing = Object.assign(new Error('No cluster found for name: ci.'), {
      name: 'ResourceNotFoundException',
    });
    const failure = await connectCluster(configWith('{ kind: eks, clusterName: ci }').cluster, {
      secrets: createSecretResolver({ env: {}, stage: 't', maxAgeSeconds: 0 }),
      region: 'eu-west-1',
      credentials: async () => credentials,
      describeClusterClient: async () => ({
        describeCluster: async () => {
          throw missing;
        },
      }),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(String(failure)).toMatch(
      /cluster.credentials.clusterName: EKS cluster 'ci' does not exist in eu-west-1/,
    );
  });
});

describe('connectCluster: a ServiceAccount token from a secret store', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApiServer((token) => token !== 'rotated-token');
  });
  afterAll(() => api.close());

  it('reads token and CA through the resolver, and reads the token past the cache on 401', async () => {
    const reads: { id: string; forceFetch: boolean }[] = [];
    let current = 'old-token';
    const reader: SecretReader = {
      parameter: async () => {
        throw new Error('not used');
      },
      secret: async (id, options) => {
        reads.push({ id, forceFetch: options.forceFetch });
        if (options.forceFetch) current = 'rotated-token';
        return JSON.stringify({ token: current, 'ca.crt': Buffer.from(api.caData, 'base64').toString() });
      },
    };
    const cluster = configWith(`
    kind: token
    server: ${api.url}
    token: { secretsManager: 'pitcrew/{stage}/cluster', key: token }
    caData: { secretsManager: 'pitcrew/{stage}/cluster', key: ca.crt }`).cluster;
    const core = await connectCluster(cluster, {
      secrets: createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 300 }),
      region: 'eu-west-1',
    });
    await core.listNamespacedPod({ namespace: 'agents' });
    expect(api.seen.slice(-2)).toEqual(['old-token', 'rotated-token']);
    expect(reads.every((read) => read.id === 'pitcrew/prod/cluster')).toBe(true);
    expect(reads.filter((read) => read.forceFetch)).toHaveLength(1);
    // The next call reuses the rotated token without reading again.
    await core.listNamespacedPod({ namespace: 'agents' });
    expect(api.seen.at(-1)).toBe('rotated-token');
    expect(reads.filter((read) => read.forceFetch)).toHaveLength(1);
  });
});

describe('connectCluster: a kubeconfig file (pitcrew dev, tests)', () => {
  /** The problems of the ConfigError connectCluster throws for `credentials`, or what it gave otherwise. */
  const problemsOf = async (credentials: string): Promise<unknown> => {
    const outcome = await connectCluster(configWith(credentials).cluster, {
      secrets: createSecretResolver({ env: {}, stage: 't', maxAgeSeconds: 0 }),
      region: 'eu-west-1',
    }).catch((error: unknown) => error);
    return outcome instanceof ConfigError
      ? outcome.problems.map(({ setting, problem }) => `${setting}: ${problem}`)
      : outcome;
  };

  it('with a path that does not exist: a ConfigError naming cluster.credentials.path', async () => {
    expect(await problemsOf('{ kind: kubeconfig, path: /nonexistent/kubeconfig.yaml }')).toEqual([
      expect.stringMatching(
        /^cluster\.credentials\.path: cannot be loaded as a kubeconfig: .*ENOENT: no such file or directory/,
      ),
    ]);
  });

  it('with a context the file does not have, or none: a ConfigError naming cluster.credentials.context', async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'pitcrew-kubeconfig-')), 'kubeconfig.yaml');
    const contexts = `apiVersion: v1
kind: Config
clusters: [{ name: a, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: a, user: { token: x } }]
contexts: [{ name: a, context: { cluster: a, user: a } }]
`;
    writeFileSync(kubeconfig, `${contexts}current-context: a\n`);
    expect(await problemsOf(`{ kind: kubeconfig, path: ${kubeconfig}, context: kind-ci }`)).toEqual([
      `cluster.credentials.context: 'kind-ci' is not a context of '${kubeconfig}' (its contexts: a)`,
    ]);
    writeFileSync(kubeconfig, contexts);
    expect(await problemsOf(`{ kind: kubeconfig, path: ${kubeconfig} }`)).toEqual([
      `cluster.credentials.context: is not set, and '${kubeconfig}' has no current-context with a cluster: name one (its contexts: a)`,
    ]);
  });
});
