import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import { createAgentClient } from '../../../shared/cluster';
import { createBearerPodApi, notTakenRetry } from '../../../shared/cluster/bearer-api';
import type { PodApi } from '../../../shared/cluster/pod-api';
import { startKubeFaultProxy, type KubeFaultProxy } from '../../../infra/local/stand-ins/kube-fault-proxy';
import { contractPod, describeAgentClientContract } from '../../contracts/agent-client';
import { requiredTestEnv } from '../../support/env';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../support/kube';

const finalizer = 'pitcrew.dev/contract-hold';
const admin = adminKubeConfig().makeApiClient(CoreV1Api);
let proxy: KubeFaultProxy;

beforeAll(async () => {
  proxy = await startKubeFaultProxy({ kubeconfigPath: requiredTestEnv('kubeconfig') });
});
afterAll(() => proxy.close());

/** A client of the same API server through the fault proxy, which `failNext` makes answer errors. */
function proxiedCore(): CoreV1Api {
  const credentials = proxy.credentials as { token: { value: string }; caData: string };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'proxy', server: proxy.server, caData: credentials.caData }],
    users: [{ name: 'admin', token: credentials.token.value }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'admin' }],
    currentContext: 'proxy',
  });
  return kubeConfig.makeApiClient(CoreV1Api);
}

const absentOn404 = <T>(read: Promise<T>): Promise<T | undefined> =>
  read.catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  });

async function setFinalizers(namespace: string, name: string, finalizers: string[]): Promise<void> {
  // kwok writes the new pod's status meanwhile: a replace on a stale read is refused (409 Conflict),
  // so read again and retry.
  for (let attempt = 1; ; attempt++) {
    const pod = await admin.readNamespacedPod({ namespace, name });
    pod.metadata!.finalizers = finalizers;
    try {
      await admin.replaceNamespacedPod({ namespace, name, body: pod });
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
    }
  }
}

/**
 * The same API server through the client a deployed function uses with a bearer token (EKS or a
 * ServiceAccount token): bearer-api.ts, which sends the seven calls itself.
 */
function proxiedBearerApi(caData?: string, skipTlsVerify = false): PodApi {
  const credentials = proxy.credentials as { token: { value: string }; caData: string };
  const token = async (): Promise<string> => credentials.token.value;
  return createBearerPodApi({
    server: proxy.server,
    caData: caData ?? credentials.caData,
    skipTlsVerify,
    tokenSource: { token, refresh: token },
    timeouts: { connectTimeoutMs: 5000, requestTimeoutMs: 15_000 },
  });
}

/** The bearer-token client sends a call the API server did not take (429, 503) again, twice. */
const bearerSends = (status: 429 | 500 | 503): number => (status === 500 ? 1 : 1 + notTakenRetry.retries);

describe.each([
  ['@kubernetes/client-node (a kubeconfig)', proxiedCore, undefined],
  ['the bearer-token client (bearer-api.ts)', proxiedBearerApi, bearerSends],
] as const)('through %s', (_client, api: () => PodApi, sendsPerCall) =>
  describeAgentClientContract('Kubernetes API server (kwok)', async () => {
    const namespace = await createTestNamespace(admin, 'contract');
    const held = new Set<string>();
    proxy.clearRules();
    return {
      agents: createAgentClient(api()),
      namespace,
      pod: (name) => absentOn404(admin.readNamespacedPod({ namespace, name })),
      secret: (name) => absentOn404(admin.readNamespacedSecret({ namespace, name })),
      hold: async (name) => {
        await setFinalizers(namespace, name, [finalizer]);
        held.add(name);
      },
      release: async (name) => {
        await setFinalizers(namespace, name, []);
        held.delete(name);
      },
      waitGone: async (name, kind = 'pod') => {
        const read = () =>
          kind === 'pod'
            ? absentOn404(admin.readNamespacedPod({ namespace, name }))
            : absentOn404(admin.readNamespacedSecret({ namespace, name }));
        const deadline = Date.now() + 30_000;
        while (await read()) {
          if (Date.now() > deadline)
            throw new Error(`${kind} ${namespace}/${name} is still there after 30 s`);
          await sleep(100);
        }
      },
      recordEvent: async (podName, reason, message) => {
        await admin.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name: `${podName}.${randomUUID().slice(0, 8)}`, namespace },
            involvedObject: { apiVersion: 'v1', kind: 'Pod', name: podName, namespace },
            reason,
            message,
            type: 'Normal',
          },
        });
      },
      failNext: (calls, status) => proxy.addRule({ fault: { kind: 'status', status }, times: calls }),
      ...(sendsPerCall ? { sendsPerCall } : {}),
      dispose: async () => {
        proxy.clearRules();
        // A finalizer left on would keep the namespace terminating for ever.
        for (const name of held) await setFinalizers(namespace, name, []).catch(() => undefined);
        await deleteNamespace(admin, namespace);
      },
    };
  }),
);

describe("the bearer-token client checks the API server's certificate against the configured CA", () => {
  // It builds one TLS context for all its connections (bearer-api.ts): that context must still hold
  // the CA, on the first connection and on every one opened beside it.
  it('works over many connections at once with the right CA', async () => {
    const bearer = proxiedBearerApi();
    const namespace = await createTestNamespace(admin, 'tls');
    try {
      // Twelve calls at once: the keep-alive agent opens a connection for each one it cannot reuse.
      const lists = await Promise.all(
        Array.from({ length: 12 }, () => bearer.listNamespacedPod({ namespace })),
      );
      expect(lists.map((list) => list.items.length)).toEqual(Array.from({ length: 12 }, () => 0));
    } finally {
      await deleteNamespace(admin, namespace);
    }
  });

  it('still skips the check when told to (skipTlsVerify, local clusters only), even with that CA', async () => {
    const bearer = proxiedBearerApi(Buffer.from(rootCertificates[0]!).toString('base64'), true);
    const namespace = await createTestNamespace(admin, 'tls');
    try {
      await expect(bearer.listNamespacedPod({ namespace })).resolves.toMatchObject({ items: [] });
    } finally {
      await deleteNamespace(admin, namespace);
    }
  });

  it('refuses the server with a CA that did not sign its certificate, and sends nothing', async () => {
    // A real CA (the first of Node's bundled roots), just not the local cluster's.
    const bearer = proxiedBearerApi(Buffer.from(rootCertificates[0]!).toString('base64'));
    const namespace = await createTestNamespace(admin, 'tls');
    try {
      const created = bearer.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'never' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      });
      await expect(created).rejects.toThrow(/certificate/i);
      await expect(
        absentOn404(admin.readNamespacedPod({ namespace, name: 'never' })),
      ).resolves.toBeUndefined();
    } finally {
      await deleteNamespace(admin, namespace);
    }
  });
});

describe('the bearer-token client sends a call the API server did not take again, within the call', () => {
  // What a provision attempt meets on a busy cluster: a moment's throttling (API Priority and
  // Fairness), an API server restarting behind its load balancer, a connection dropped. Each used
  // to fail the attempt, and five in a row the build (docs/reliability.md, "A build given up").
  it.each([
    ['a 429 with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 1 }],
    ['a 503', { kind: 'status', status: 503 }],
    ['a refused connection', { kind: 'refuse' }],
  ] as const)('rides out %s: the pod is made once', async (_case, fault) => {
    const namespace = await createTestNamespace(admin, 'not-taken');
    try {
      proxy.clearRules();
      proxy.addRule({ fault, method: 'POST', path: /\/pods(\?|$)/, times: 1 });
      const from = proxy.calls.length;
      const agents = createAgentClient(proxiedBearerApi());
      const { adopted } = await agents.createPod(contractPod(namespace, 'agent-1'));
      expect(adopted).toBe(false);
      expect(proxy.calls.slice(from).filter((call) => call.method === 'POST')).toHaveLength(2);
      expect((await admin.listNamespacedPod({ namespace })).items.map((pod) => pod.metadata?.name)).toEqual([
        'agent-1',
      ]);
    } finally {
      proxy.clearRules();
      await deleteNamespace(admin, namespace);
    }
  });
});

describe('the bearer-token client sends a pod with field validation Strict (bug 88)', () => {
  // The API server drops a field it does not know without a word by default; a podYaml field newer
  // than the cluster (the config's check knows client-node's schema, not the cluster's) must fail the
  // build rather than make its pod without it. client-node drops such a field itself, before sending.
  it('a field the API server does not know fails the create, naming it, and makes no pod', async () => {
    const namespace = await createTestNamespace(admin, 'strict');
    try {
      const agents = createAgentClient(proxiedBearerApi());
      const pod = contractPod(namespace, 'agent-1');
      Object.assign(pod.spec ?? {}, { nodeSelecter: { dedicated: 'dind' } });
      await expect(agents.createPod(pod)).rejects.toThrow(/nodeSelecter/);
      expect(await absentOn404(admin.readNamespacedPod({ namespace, name: 'agent-1' }))).toBeUndefined();
      // The same pod without it is made.
      delete (pod.spec as unknown as Record<string, unknown>).nodeSelecter;
      expect((await agents.createPod(pod)).adopted).toBe(false);
    } finally {
      await deleteNamespace(admin, namespace);
    }
  });
});
