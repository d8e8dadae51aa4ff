import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  createCoreApi,
  createKubeConfig,
  ClusterUnavailableError,
  translateClusterError,
} from '../../../shared/cluster';
import { configFileSchema } from '../../../shared/config';
import { requiredTestEnv } from '../../support/env';
import { startTcpProxy } from '../../support/tcp-proxy';

describe('cluster client timeouts (config cluster.connectTimeoutMs / requestTimeoutMs)', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let kubeconfig: {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };

  beforeAll(async () => {
    kubeconfig = parse(readFileSync(requiredTestEnv('kubeconfig'), 'utf8')) as typeof kubeconfig;
    const target = new URL(kubeconfig.clusters[0]!.cluster.server);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  });
  afterAll(() => proxy.close());

  const core = (timeouts: { connectTimeoutMs: number; requestTimeoutMs: number }) => {
    const token = kubeconfig.users[0]!.user.token;
    const clusterConfig = configFileSchema.shape.cluster.parse({
      namespace: 'default',
      credentials: {
        kind: 'token',
        server: `https://127.0.0.1:${proxy.port}`,
        token: { value: token },
        caData: kubeconfig.clusters[0]!.cluster['certificate-authority-data'],
      },
      ...timeouts,
    });
    return createCoreApi(createKubeConfig(clusterConfig, token), clusterConfig);
  };

  it('works through the proxy when the server answers', async () => {
    proxy.setMode('pass');
    // Generous timeouts here: on a loaded 2-core CI machine a TLS handshake has taken over 300 ms,
    // and this case checks the proxy path, not the timer.
    const namespaces = await core({ connectTimeoutMs: 10_000, requestTimeoutMs: 10_000 }).listNamespace();
    expect(namespaces.items.map((namespace) => namespace.metadata?.name)).toContain('default');
  });

  it('gives up on a server that accepts connections but never answers, as a transient failure', async () => {
    proxy.setMode('blackhole');
    const failure = await core({ connectTimeoutMs: 300, requestTimeoutMs: 2000 })
      .listNamespacedPod({ namespace: 'default' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeDefined();
    const translated = translateClusterError(failure, 'listing pods');
    expect(translated).toBeInstanceOf(ClusterUnavailableError);
    // The connect timeout (300 ms), not the 2 s request timeout, ends it.
    expect(translated.message).toMatch(/no TLS connection to the API server within 300 ms/);
    proxy.setMode('pass');
  });
});
