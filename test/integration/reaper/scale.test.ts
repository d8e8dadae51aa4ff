import { CoreV1Api, createConfiguration, ServerConfiguration } from '@kubernetes/client-node';
import { createAgentClient } from '../../../shared/cluster';
import { configFileSchema, templateSchema } from '../../../shared/config';
import { silentLogger } from '../../../shared/ports';
import { createSqsProvisionQueue } from '../../../shared/queue';
import { reap } from '../../../shared/reap';
import { createGenericSource } from '../../../shared/sources/generic';
import {
  createCapacityStore,
  createLeaseStore,
  createRequestStore,
  createOperatorSettingsStore,
} from '../../../shared/state';
import { createTestAwsResources, testSqsClient, testStateClient } from '../../support/aws';
import { adminKubeConfig, createTestNamespace, deleteNamespace, restrictedPod } from '../../support/kube';

const total = 1000;
const finished = 10;
const pageSize = 500;

describe(`the reaper over ${total} managed pods`, () => {
  const admin = adminKubeConfig();
  const adminCore = admin.makeApiClient(CoreV1Api);
  const db = testStateClient();
  const sqs = testSqsClient();
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(adminCore, 'scale');
    const names = Array.from({ length: total }, (_, index) => `pc-gen-scale-${index}`);
    for (let start = 0; start < names.length; start += 50) {
      await Promise.all(
        names.slice(start, start + 50).map((name, offset) => {
          const index = start + offset;
          const pod = restrictedPod(
            name,
            index < finished ? { 'kwok.pitcrew.dev/outcome': 'succeeded' } : {},
          );
          pod.metadata!.labels = {
            'app.kubernetes.io/managed-by': 'pitcrew',
            'pitcrew.dev/request-id': `generic-${index}`,
            'pitcrew.dev/template': 'gen',
            'pitcrew.dev/source': 'generic',
          };
          return adminCore.createNamespacedPod({ namespace, body: pod });
        }),
      );
    }
    // Wait until kwok has finished the ones told to finish.
    for (;;) {
      const pods = await adminCore.listNamespacedPod({ namespace, fieldSelector: 'status.phase=Succeeded' });
      if (pods.items.length === finished) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 180_000);
  afterAll(async () => {
    db.destroy();
    sqs.destroy();
    await deleteNamespace(adminCore, namespace);
  });

  it('reconciles them in one run with ceil(pods / page size) list calls plus a list and a delete per finished pod', async () => {
    let apiCalls = 0;
    const cluster = admin.getCurrentCluster()!;
    const countingCore = new CoreV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: admin },
        promiseMiddleware: [
          { pre: async (context) => (apiCalls++, context), post: async (context) => context },
        ],
      }),
    );
    const resources = await createTestAwsResources();
    const config = configFileSchema.parse({
      cluster: { namespace, credentials: { kind: 'kubeconfig', path: '/unused' } },
      sources: { generic: { webhookSecret: { value: 'x' } } },
      templates: [
        templateSchema.parse({ name: 'gen', source: 'generic', labels: ['linux'], image: 'busybox' }),
      ],
    });
    const table = resources.tableName;
    const report = await reap({
      config: { ...config, namespace },
      sources: { generic: { adapter: createGenericSource() } },
      requests: createRequestStore(db, table),
      capacity: createCapacityStore(db, table),
      settings: createOperatorSettingsStore(db, table),
      leases: createLeaseStore(db, table),
      agents: createAgentClient(countingCore),
      queue: createSqsProvisionQueue(sqs, resources.queueUrl),
      logger: silentLogger,
      now: () => new Date(),
    });

    expect(Object.values(report.podsByPhase).reduce((sum, count) => sum + count, 0)).toBe(total);
    expect(report.deleted).toEqual({ finished });
    // The bound from the algorithm: one list call per page; for each pod that had to go, a list of its
    // request's pods (is the listed one still there, before its agent is removed: bug 38) and a
    // delete; nothing per pod otherwise.
    expect(apiCalls).toBe(Math.ceil(total / pageSize) + 2 * finished);
  });
});
