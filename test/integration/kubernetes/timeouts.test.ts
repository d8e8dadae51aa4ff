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
  let clusterConfig: ReturnType<typeof configFileSchema.shape.cluster.parse>;
  let token: string;

  beforeAll(async () => {
    const kubeconfig = parse(readFileSync(requiredTestEnv('kubeconfig'), 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { token: string } }[];
    };
    const target = new URL(kubeconfig.clusters[0]!.cluster.server);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    token = kubeconfig.users[0]!.user.token;
    clusterConfig = configFileSchema.shape.cluster.parse({
      namespace: 'default',
      credentials: {
        kind: 'token',
        server: `https://127.0.0.1:${proxy.port}`,
        token: { value: token },
        caData: kubeconfig.clusters[0]!.cluster['certificate-authority-data'],
      },
      connectTimeoutMs: 300,
      requestTimeoutMs: 2000,
    });
  });
  afterAll(() => proxy.close());

  const core = () => createCoreApi(createKubeConfig(clusterConfig, token), clusterConfig);

  it('works through the proxy when the server answers', async () => {
    proxy.setMode('pass');
    const namespaces = await core().listNamespace();
    expect(namespaces.items.map((namespace) => namespace.metadata?.name)).toContain('default');
  });

  it('gives up on a server that accepts connections but never answers, as a transient failure', async () => {
    proxy.setMode('blackhole');
    const failure = await core()
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
