import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { provisionRequest } from '../../../shared/provision';
import { createCapacityStore } from '../../../shared/state';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { crashingPorts, crashPoints, type CrashPoint } from '../../../infra/local/stand-ins/crash-ports';
import { provisionPortsFor } from '../../support/system-ports';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * A provision attempt killed right after each of its steps (the step done on the real server, nothing
 * after it run), for a Jenkins and a GitHub build at each point. Then the next provision (SQS brings
 * the message back), or the reaper, must converge: one pod whose credentials are the ones the CI
 * holds, one slot, and no agent left registered at the CI that no pod will use.
 */
interface Case {
  readonly point: CrashPoint;
  readonly build: Build;
  requestId: string;
  message?: Message;
}

const sources = ['jenkins', 'github'] as const;

function casesFrom(firstId: number, points: readonly CrashPoint[] = crashPoints): Case[] {
  return points.flatMap((point, index) =>
    sources.map((source, sourceIndex) => ({
      point,
      build: { source, id: firstId + index * 10 + sourceIndex },
      requestId: '',
    })),
  );
}

/** Runs the real provision handler until `count` messages were received (the dead attempts' come back). */
async function provisionUntil(system: ProvisioningSystem, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  let received = 0;
  while (received < count && Date.now() < deadline) received += (await system.pollOnce(1)).received;
  expect(received).toBeGreaterThanOrEqual(count);
  await system.provisionAll();
}

async function secretOf(system: ProvisioningSystem, name: string): Promise<Record<string, string>> {
  const secret = await system.core.readNamespacedSecret({ namespace: system.namespace, name });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
}

/** The agents each CI still has registered for these builds' pod names. */
function ciAgents(system: ProvisioningSystem, podName: string): number {
  return (
    [...system.jenkins.state.nodes.keys()].filter((name) => name === podName).length +
    system.github.state.runners.filter((runner) => runner.name === podName).length
  );
}

/** Sends each build's queued webhook, takes its message off the queue and runs an attempt that dies. */
async function crashAll(system: ProvisioningSystem, cases: Case[], labels?: string[]): Promise<void> {
  for (const entry of cases) {
    const delivery = deliveryFor(entry.build, 'queued', labels ? { labels } : {});
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(answer.statusCode).toBe(202);
    entry.requestId = String(answer.body.requestId);
    expect(entry.requestId).toBe(requestIdOf(entry.build, system.jenkins.url));
  }
  const messages: Message[] = [];
  const taken = (entry: Case): boolean => messages.some((message) => message.Body?.includes(entry.requestId));
  while (!cases.every(taken)) {
    const { Messages = [] } = await system.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: system.resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 2,
      }),
    );
    messages.push(...Messages);
  }
  const real = provisionPortsFor(system);
  await Promise.all(
    cases.map(async (entry) => {
      entry.message = messages.find((message) => message.Body?.includes(entry.requestId));
      expect(entry.message).toBeDefined();
      const { ports, crashed } = crashingPorts(real, entry.point);
      void provisionRequest(entry.requestId, ports);
      await crashed;
    }),
  );
}

async function expectOneAgent(system: ProvisioningSystem, entry: Case): Promise<void> {
  const record = await system.requests.get(entry.requestId);
  const where = `${entry.build.source} build crashed ${entry.point}`;
  expect({ where, status: record?.status, holdsSlot: record?.holdsSlot }).toEqual({
    where,
    status: 'provisioned',
    holdsSlot: true,
  });
  const podName = record!.podName!;
  const pods = (await system.listPods()).filter(
    (pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === entry.requestId,
  );
  expect({ where, pods: pods.map((pod) => pod.metadata?.name) }).toEqual({ where, pods: [podName] });
  expect({ where, agents: ciAgents(system, podName) }).toEqual({ where, agents: 1 });
  // The pod's Secret holds the credentials the CI knows now (not those of an agent since replaced).
  const secret = await secretOf(system, podName);
  if (entry.build.source === 'jenkins') {
    expect(secret.JENKINS_SECRET).toBe(system.jenkins.state.nodes.get(podName)?.secret);
  } else {
    const runner = system.github.state.runners.find((candidate) => candidate.name === podName);
    expect(secret.ACTIONS_RUNNER_INPUT_JITCONFIG).toBe(runner?.encodedJitConfig);
    // An adopted agent's runner id was never recorded (the attempt that knew it died); deregistering
    // then finds the runner by its name.
    if (record?.externalId !== undefined) expect(record.externalId).toBe(String(runner?.id));
  }
  const [pod] = pods;
  const owner = (await system.core.readNamespacedSecret({ namespace: system.namespace, name: podName }))
    .metadata?.ownerReferences?.[0];
  expect(owner?.uid).toBe(pod?.metadata?.uid);
}

async function expectCounters(system: ProvisioningSystem, holders: number): Promise<void> {
  const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
  expect(counters.global).toBe(holders);
  expect(Object.values(counters.templates).reduce((sum, used) => sum + used, 0)).toBe(holders);
}

const graces = { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 0 };

describe('a provision attempt that dies between its steps', () => {
  // One system for every scenario: each uses builds of its own, and counts the slots it adds.
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      reaper: graces,
      templates: [
        { name: 'gh-once', source: 'github', labels: ['self-hosted', 'once'], retries: 0 },
        { name: 'jk-once', source: 'jenkins', labels: ['once'], retries: 0 },
      ],
    });
  });
  afterAll(() => system.close());
  let holders = 0;

  describe('when SQS delivers the message again', () => {
    it('the next attempt finishes the job: one pod, one slot, one agent at the CI, with matching credentials', async () => {
      const cases = casesFrom(1000);
      await crashAll(system, cases);
      // The dead attempts' messages come back after their visibility timeout.
      await provisionUntil(system, cases.length);
      for (const entry of cases) await expectOneAgent(system, entry);
      holders += cases.length;
      await expectCounters(system, holders);
    });
  });

  describe('when the build is cancelled before the message comes back', () => {
    it('nothing is left: no pod, no slot, and the CI agent the dead attempt registered is removed', async () => {
      const cases = casesFrom(2000);
      await crashAll(system, cases);
      for (const entry of cases) {
        const cancel = deliveryFor(entry.build, 'cancelled');
        expect((await system.sendWebhook(cancel.source, cancel.body, cancel.headers)).statusCode).toBe(202);
      }
      await provisionUntil(system, cases.length);
      await system.reapNow();
      for (const entry of cases) {
        const record = await system.requests.get(entry.requestId);
        const where = `${entry.build.source} build crashed ${entry.point}`;
        expect({ where, status: record?.status, holdsSlot: record?.holdsSlot }).toEqual({
          where,
          status: 'cancelled',
          holdsSlot: false,
        });
        expect({ where, agents: ciAgents(system, record?.podName ?? '') }).toEqual({ where, agents: 0 });
      }
      const pods = (await system.listPods()).filter(
        (pod) =>
          !pod.metadata?.deletionTimestamp &&
          cases.some((entry) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === entry.requestId),
      );
      expect(pods).toEqual([]);
      await expectCounters(system, holders);
    });
  });

  describe('when the message is lost (it was the last delivery) and only the reaper runs', () => {
    const loseMessages = async (cases: Case[]): Promise<void> => {
      for (const entry of cases)
        await system.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: system.resources.queueUrl,
            ReceiptHandle: entry.message!.ReceiptHandle,
          }),
        );
    };

    it('with a retry left, the reaper gives the build another go and it ends with one agent', async () => {
      const cases = casesFrom(3000);
      await crashAll(system, cases);
      await loseMessages(cases);
      await system.reapNow();
      await system.provisionAll();
      await system.reapNow();
      await system.provisionAll();
      for (const entry of cases) await expectOneAgent(system, entry);
      holders += cases.length;
      await expectCounters(system, holders);
    });

    it('with no retry left, a build whose pod never came fails with the reason, and no CI agent is left behind', async () => {
      const cases = casesFrom(4000, ['after-reserve', 'after-credentials']);
      const labels = { jenkins: ['once'], github: ['self-hosted', 'once'] };
      for (const source of sources)
        await crashAll(
          system,
          cases.filter((entry) => entry.build.source === source),
          labels[source],
        );
      await loseMessages(cases);
      await system.reapNow();
      await system.provisionAll();
      await system.reapNow();
      for (const entry of cases) {
        const record = await system.requests.get(entry.requestId);
        const where = `${entry.build.source} build crashed ${entry.point}`;
        expect({ where, status: record?.status, holdsSlot: record?.holdsSlot }).toEqual({
          where,
          status: 'failed',
          holdsSlot: false,
        });
        expect(record?.reason).toBeTruthy();
        expect({ where, agents: ciAgents(system, record?.podName ?? '') }).toEqual({ where, agents: 0 });
        const pods = (await system.listPods()).filter(
          (pod) =>
            pod.metadata?.labels?.['pitcrew.dev/request-id'] === entry.requestId &&
            !pod.metadata.deletionTimestamp,
        );
        expect({ where, pods: pods.length }).toEqual({ where, pods: 0 });
      }
      await expectCounters(system, holders);
    });
  });
});
