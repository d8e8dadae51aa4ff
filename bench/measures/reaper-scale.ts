import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CoreV1Api, createConfiguration, ServerConfiguration, type V1Pod } from '@kubernetes/client-node';
import { createLocalAwsResources } from '../../infra/local/aws-resources';
import { createAgentClient } from '../../shared/cluster';
import { configFileSchema } from '../../shared/config';
import { silentLogger } from '../../shared/ports';
import { createSqsProvisionQueue } from '../../shared/queue';
import { reap } from '../../shared/reap';
import { createGenericSource } from '../../shared/sources/generic';
import {
  createCapacityStore,
  createLeaseStore,
  createRequestStore,
  createOperatorSettingsStore,
  createStateClient,
  keys,
} from '../../shared/state';
import { managedByValue, pitcrewLabels } from '../../shared/templates';
import { startAwsFaultProxy } from '../../infra/local/stand-ins/aws-fault-proxy';
import type { BenchSystem } from '../lib/system';
import { inParallel, round } from '../lib/stats';
import type { Row } from '../lib/report';

const region = 'us-east-1';

function agentPod(index: number, nodeName: string): V1Pod {
  return {
    metadata: {
      name: `pc-gen-${index}`,
      labels: {
        [pitcrewLabels.managedBy]: managedByValue,
        [pitcrewLabels.requestId]: `generic-${index}`,
        [pitcrewLabels.template]: 'gen',
        [pitcrewLabels.source]: 'generic',
      },
    },
    spec: {
      // Placed on a kwok node directly: no scheduler work, kwok marks them Running.
      nodeName,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'agent',
          image: 'busybox:1.36',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** n live agents, as the table and the cluster see them when all is well: pods and provisioned requests. */
async function seed(system: BenchSystem, count: number, namespace: string, tableName: string): Promise<void> {
  await system.core.createNamespace({ body: { metadata: { name: namespace } } });
  const nodes = system.servers.cluster?.nodeNames ?? ['kwok-node-0'];
  await inParallel(
    Array.from({ length: count }, (_, index) => index),
    50,
    async (index) => {
      await system.core.createNamespacedPod({
        namespace,
        body: agentPod(index, nodes[index % nodes.length] ?? ''),
      });
    },
  );
  const db = createStateClient({ region, endpoint: system.servers.dynamoDbEndpoint });
  const at = new Date().toISOString();
  const records = Array.from({ length: count }, (_, index) => ({
    ...keys.request(`generic-${index}`),
    requestId: `generic-${index}`,
    source: 'generic',
    jobKey: `job-${index}`,
    status: 'provisioned',
    statusSince: at,
    createdAt: at,
    labels: ['linux'],
    details: { source: 'generic' },
    template: 'gen',
    podName: `pc-gen-${index}`,
    holdsSlot: true,
    attempts: 1,
    retriesUsed: 0,
  }));
  const batches = Array.from({ length: Math.ceil(count / 25) }, (_, index) =>
    records.slice(index * 25, index * 25 + 25),
  );
  await inParallel(batches, 8, async (batch) => {
    let items = batch.map((Item) => ({ PutRequest: { Item } }));
    while (items.length > 0) {
      const answer = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: items } }));
      items = (answer.UnprocessedItems?.[tableName] ?? []) as typeof items;
    }
  });
  for (const key of [keys.globalCounter(), keys.templateCounter('gen')])
    await db.send(new PutCommand({ TableName: tableName, Item: { ...key, used: count } }));
  db.destroy();
}

/**
 * Reaper scale: one run over 1,000 and 10,000 healthy managed pods with their requests, counting
 * every API call (Kubernetes through a client middleware, DynamoDB through a counting proxy) and
 * sampling memory while it runs.
 */
export async function measureReaperScale(
  system: BenchSystem,
  counts: readonly number[],
): Promise<{ rows: Row[]; details: object }> {
  const rows: Row[] = [];
  const details: Record<string, object> = {};
  const dynamo = await startAwsFaultProxy(system.servers.dynamoDbEndpoint ?? '');
  const cluster = system.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  for (const count of counts) {
    const namespace = `pitcrew-reap-${count}`;
    const resources = await createLocalAwsResources(
      {
        sqsEndpoint: system.servers.sqsEndpoint ?? '',
        dynamoDbEndpoint: system.servers.dynamoDbEndpoint ?? '',
      },
      `reap${count}`,
    );
    await seed(system, count, namespace, resources.tableName);
    let kubeCalls = 0;
    const countingCore = new CoreV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: system.kubeConfig },
        promiseMiddleware: [
          { pre: async (context) => (kubeCalls++, context), post: async (context) => context },
        ],
      }),
    );
    const db = createStateClient({ region, endpoint: dynamo.endpoint });
    const sqs = new SQSClient({ region, endpoint: system.servers.sqsEndpoint });
    const config = configFileSchema.parse({
      cluster: { namespace, credentials: { kind: 'kubeconfig', path: '/unused' } },
      sources: { generic: { webhookSecret: { value: 'x' } } },
      templates: [
        { name: 'gen', source: 'generic', labels: ['linux'], image: 'busybox', instanceCap: count },
      ],
      capacity: { globalCap: count },
    });
    const table = resources.tableName;
    const ports = {
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
    };
    global.gc?.();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakHeap = Math.max(peakHeap, now.heapUsed);
      peakRss = Math.max(peakRss, now.rss);
    }, 20);
    const dynamoBefore = dynamo.calls.length;
    const started = performance.now();
    const report = await reap(ports);
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const dynamoCalls = dynamo.calls.length - dynamoBefore;
    const seen = Object.values(report.podsByPhase).reduce((sum, value) => sum + value, 0);
    if (seen !== count) throw new Error(`the reaper saw ${seen} pods, not ${count}`);
    rows.push(
      {
        measure: `reaper ${count} pods`,
        metric: 'wall time',
        value: round(wallMs),
        unit: 'ms',
        note: `phases ${JSON.stringify(report.podsByPhase)}`,
      },
      {
        measure: `reaper ${count} pods`,
        metric: 'Kubernetes API calls',
        value: kubeCalls,
        unit: 'calls',
        note: 'list pages of 500',
      },
      { measure: `reaper ${count} pods`, metric: 'DynamoDB calls', value: dynamoCalls, unit: 'calls' },
      {
        measure: `reaper ${count} pods`,
        metric: 'heap growth (peak)',
        value: round((peakHeap - before.heapUsed) / 2 ** 20, 1),
        unit: 'MiB',
      },
    );
    details[String(count)] = {
      wallMs,
      kubeCalls,
      dynamoCalls,
      peakHeap,
      peakRss,
      heapBefore: before.heapUsed,
      report,
    };
    db.destroy();
    sqs.destroy();
    // The pods stay until the servers stop: deleting 10,000 of them would load the API server
    // while the next count is measured.
  }
  await dynamo.close();
  return { rows, details };
}
