import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { provisionRequest } from '../../../shared/provision';
import { createCapacityStore } from '../../../shared/state';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { provisionPortsFor } from '../../support/system-ports';
import { importHandler } from '../../support/handlers';
import { startKubeFaultProxy, type KubeFaultProxy } from '../../../infra/local/stand-ins/kube-fault-proxy';
import { lambdaContext, sqsEvent } from '../../../infra/local/stand-ins/lambda';
import { requiredTestEnv } from '../../support/env';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

type ProvisionHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>;

/** A second provision "container": the same handler module, imported fresh (its own cold start). */
async function anotherProvisioner(system: ProvisioningSystem): Promise<ProvisionHandler> {
  return (await importHandler('provision', system.env)).handler as unknown as ProvisionHandler;
}

async function queueBuilds(system: ProvisioningSystem, builds: readonly Build[]): Promise<string[]> {
  const ids: string[] = [];
  for (const build of builds) {
    const delivery = deliveryFor(build, 'queued');
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(answer.statusCode).toBe(202);
    ids.push(requestIdOf(build, system.jenkins.url));
  }
  return ids;
}

/** Each request has exactly one pod, one slot, one agent at its CI, and the Secret holds that agent's credentials. */
async function expectOneAgentEach(system: ProvisioningSystem, requestIds: readonly string[]): Promise<void> {
  const pods = await system.listPods();
  for (const requestId of requestIds) {
    const record = await system.requests.get(requestId);
    expect({ requestId, status: record?.status, holdsSlot: record?.holdsSlot }).toEqual({
      requestId,
      status: 'provisioned',
      holdsSlot: true,
    });
    const podName = record!.podName!;
    const mine = pods.filter((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestId);
    expect(mine.map((pod) => pod.metadata?.name)).toEqual([podName]);
    const secret = await system.core.readNamespacedSecret({ namespace: system.namespace, name: podName });
    const data = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
    );
    if (record?.source === 'github') {
      const runners = system.github.state.runners.filter((runner) => runner.name === podName);
      expect({ requestId, runners: runners.length }).toEqual({ requestId, runners: 1 });
      // The JIT config in the Secret must be the registered runner's: an older one is dead.
      expect({
        requestId,
        matches: data.ACTIONS_RUNNER_INPUT_JITCONFIG === runners[0]?.encodedJitConfig,
      }).toEqual({ requestId, matches: true });
    }
    if (record?.source === 'jenkins') {
      expect(data.JENKINS_SECRET).toBe(system.jenkins.state.nodes.get(podName)?.secret);
    }
  }
  const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
  expect(counters.global).toBe(requestIds.length);
}

const mixed = (first: number): Build[] => [
  ...[0, 1, 2, 3].map((n) => ({ source: 'github' as const, id: first + n })),
  ...[4, 5, 6].map((n) => ({ source: 'jenkins' as const, id: first + n })),
  ...[7, 8].map((n) => ({ source: 'generic' as const, id: first + n })),
];

describe('SQS delivers a provision message more than once', () => {
  // One system for the scenarios that need no proxy: each uses builds of its own.
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem();
  });
  afterAll(() => system.close());

  describe('the same message to two provisioners at the same moment', () => {
    it('makes one pod, one slot and one CI agent per build, whoever wins', async () => {
      const requestIds = await queueBuilds(system, mixed(100));
      await system.sqs.send(new PurgeQueueCommand({ QueueUrl: system.resources.queueUrl }));
      const [first, second] = [await anotherProvisioner(system), await anotherProvisioner(system)];
      const event = sqsEvent(requestIds.map((requestId) => JSON.stringify({ requestId })));
      // Both "containers" get the whole batch at once; what one reports failed is delivered again.
      let pending = event;
      for (let round = 0; round < 10 && pending.Records.length > 0; round++) {
        const answers = await Promise.all([
          first(pending, lambdaContext('provision')),
          second(pending, lambdaContext('provision')),
        ]);
        const failed = new Set(
          answers.flatMap((answer) => answer.batchItemFailures.map((f) => f.itemIdentifier)),
        );
        pending = { Records: pending.Records.filter((record) => failed.has(record.messageId)) };
        if (pending.Records.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(pending.Records).toEqual([]);
      await expectOneAgentEach(system, requestIds);
    });
  });

  describe("a later release's message, met during a deploy or after a rollback", () => {
    it('is delivered again untouched, rather than acted on in part, while one not ours is dropped', async () => {
      const [later, known] = await queueBuilds(
        system,
        mixed(200).filter(({ source }) => source === 'generic'),
      );
      await system.sqs.send(new PurgeQueueCommand({ QueueUrl: system.resources.queueUrl }));
      const provision = await anotherProvisioner(system);
      // A key this release does not know: a message that only removes an agent, say, read here as
      // a build to provision would make an agent under a name the sender did not mean (upgrades review).
      const event = sqsEvent([
        JSON.stringify({ requestId: later, removeOnly: 'pc-generic-linux-old' }),
        JSON.stringify({ requestId: known }),
        'not a provision message',
      ]);
      const answer = await provision(event, lambdaContext('provision'));
      expect(answer.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
      expect(await system.requests.get(later!)).toMatchObject({ status: 'queued', holdsSlot: false });
      expect(await system.requests.get(known!)).toMatchObject({ status: 'provisioned', holdsSlot: true });
      const pods = await system.listPods();
      expect(pods.filter((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === later)).toEqual([]);
    });
  });

  describe('again while the first attempt still runs (visibility timeout shorter than a slow API server)', () => {
    let slow: ProvisioningSystem;
    let proxy: KubeFaultProxy;
    beforeAll(async () => {
      proxy = await startKubeFaultProxy({ kubeconfigPath: requiredTestEnv('kubeconfig') });
      slow = await startProvisioningSystem({ clusterCredentials: proxy.credentials });
    });
    afterAll(async () => {
      await slow?.close();
      await proxy?.close();
    });

    it('the second attempt does not undo the first: one pod, one slot and one CI agent per build', async () => {
      // Pod creation takes 2.5 s; the messages come back after 1 s, to a second provisioner.
      proxy.addRule({
        method: 'POST',
        path: /\/pods(\?|$)/,
        fault: { kind: 'delay', delayMs: 2500 },
        times: 9,
      });
      const requestIds = await queueBuilds(slow, mixed(200));
      const second = await anotherProvisioner(slow);
      const secondPoller = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        return slow.pollOnceWith(second);
      })();
      await slow.provisionAll();
      await secondPoller;
      await slow.provisionAll();
      await expectOneAgentEach(slow, requestIds);
    });
  });

  describe('a build cancelled while its agent is being made', () => {
    it.each(['jenkins', 'github'] as const)(
      '%s: the attempt removes the pod and the CI agent at once, and gives back nothing twice',
      async (source) => {
        const build: Build = { source, id: source === 'github' ? 301 : 302 };
        const capacity = createCapacityStore(system.db, system.resources.tableName);
        const before = (await capacity.readCounters()).global;
        const [requestId] = await queueBuilds(system, [build]);
        const real = provisionPortsFor(system);
        const ports = {
          ...real,
          agents: {
            ...real.agents,
            // The CI cancels the build right after its pod is created.
            async createPod(...args: Parameters<typeof real.agents.createPod>) {
              const created = await real.agents.createPod(...args);
              const cancel = deliveryFor(build, 'cancelled');
              await system.sendWebhook(cancel.source, cancel.body, cancel.headers);
              return created;
            },
          },
        };
        const outcome = await provisionRequest(requestId!, ports);
        expect(outcome).toMatchObject({ kind: 'skipped' });
        const record = await system.requests.get(requestId!);
        expect(record).toMatchObject({ status: 'cancelled', holdsSlot: false });
        const live = (await system.listPods()).filter(
          (pod) =>
            pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestId &&
            !pod.metadata?.deletionTimestamp,
        );
        expect(live).toEqual([]);
        const agents =
          [...system.jenkins.state.nodes.keys()].filter((name) => name === record?.podName).length +
          system.github.state.runners.filter((runner) => runner.name === record?.podName).length;
        expect(agents).toBe(0);
        expect((await capacity.readCounters()).global).toBe(before);
      },
    );
  });
});
