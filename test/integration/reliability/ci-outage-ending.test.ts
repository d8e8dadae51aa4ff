import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { RetryLaterError } from '../../../shared/provision/errors';
import { provisionRequest } from '../../../shared/provision/provision-request';
import { ClusterUnavailableError } from '../../../shared/cluster/errors';
import { createCapacityStore, type CapacityStore } from '../../../shared/state/capacity-store';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { provisionPortsFor } from '../../support/system-ports';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * A build the CI ended while its agent held a slot (`ending`), when removing that agent fails for a
 * while: the slot stays taken and the request keeps pointing at the agent until the CI has forgotten
 * it, so a CI outage leaves no agent registered with nothing left to remove it (found by the faulted
 * storm: bugs 15 and 16 in docs/reliability.md).
 */
describe('an ended build whose agent cannot be removed yet', () => {
  let system: ProvisioningSystem;
  let capacity: CapacityStore;
  beforeAll(async () => {
    system = await startProvisioningSystem();
    capacity = createCapacityStore(system.db, system.resources.tableName);
  });
  afterAll(() => system.close());

  const send = async (
    build: Build,
    action: 'queued' | 'started' | 'completed' | 'cancelled',
  ): Promise<void> => {
    const delivery = deliveryFor(build, action);
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(answer.statusCode).toBeLessThan(300);
  };
  const registered = (name: string | undefined): number =>
    [...system.jenkins.state.nodes.keys()].filter((node) => node === name).length +
    system.github.state.runners.filter((runner) => runner.name === name).length;

  it.each([
    ['github', 401, { status: 503, method: 'DELETE', path: /\/actions\/runners\/\d+$/ }],
    ['jenkins', 402, { status: 502, method: 'POST', path: /doDelete/ }],
  ] as const)(
    '%s: the CI failing to deregister keeps the slot and the request until the reaper succeeds',
    async (source, id, failure) => {
      const build: Build = { source, id };
      const ci = source === 'github' ? system.github : system.jenkins;
      await send(build, 'queued');
      await system.provisionAll();
      await send(build, 'started');
      const provisioned = await system.requests.get(requestIdOf(build, system.jenkins.url));
      expect(provisioned).toMatchObject({ status: 'started', holdsSlot: true });
      const before = (await capacity.readCounters()).global;

      ci.failFor(60_000, failure);
      await send(build, 'completed');
      await system.provisionAll();
      const held = await system.requests.get(provisioned!.requestId);
      expect(held).toMatchObject({ status: 'ending', holdsSlot: true });
      expect(registered(held?.podName)).toBe(1);
      expect((await capacity.readCounters()).global).toBe(before);

      // Still down: a reaper run keeps it too.
      await system.reapNow(true);
      expect(await system.requests.get(provisioned!.requestId)).toMatchObject({ status: 'ending' });
      expect(registered(held?.podName)).toBe(1);

      ci.clearFailures();
      await system.reapNow(true);
      expect(await system.requests.get(provisioned!.requestId)).toMatchObject({
        status: 'completed',
        holdsSlot: false,
      });
      expect(registered(held?.podName)).toBe(0);
      expect((await capacity.readCounters()).global).toBe(before - 1);
      expect(ci.failuresServed()[failure.status]).toBeGreaterThanOrEqual(2);
    },
  );

  it("on its message's last delivery, an API server failure leaves it to the reaper instead of the DLQ", async () => {
    const build: Build = { source: 'generic', id: 403 };
    await send(build, 'queued');
    await system.provisionAll();
    const provisioned = await system.requests.get(requestIdOf(build, system.jenkins.url));
    expect(provisioned).toMatchObject({ status: 'provisioned' });
    // The CI ends the build; its message is read here, on the last delivery SQS makes.
    await send(build, 'completed');
    const real = provisionPortsFor(system);
    const down = new ClusterUnavailableError('the API server is unreachable (test)');
    const ports = {
      ...real,
      agents: {
        ...real.agents,
        findAgent: () => Promise.reject(down),
        deletePod: () => Promise.reject(down),
      },
    };
    const outcome = await provisionRequest(provisioned!.requestId, ports, true);
    expect(outcome).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('left to the reaper') });
    expect(await system.requests.get(provisioned!.requestId)).toMatchObject({
      status: 'ending',
      holdsSlot: true,
    });

    // Not the last delivery: SQS tries again.
    await expect(provisionRequest(provisioned!.requestId, ports, false)).rejects.toThrow('unreachable');

    await system.reapNow(true);
    expect(await system.requests.get(provisioned!.requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
    expect(await system.listPods()).not.toContainEqual(
      expect.objectContaining({ metadata: expect.objectContaining({ name: provisioned!.podName }) }),
    );
  });
  // Since bug 57 no later agent takes an earlier one's name, so an agent its attempt could not
  // remove needs a removal of its own once the build ends; the webhook ended such a request (it holds
  // no slot) in its own write, and nothing removed the agent.
  it('github: a runner its failing attempt could not remove goes once the build that then waited is cancelled', async () => {
    const build: Build = { source: 'github', id: 404 };
    await system.provisionAll(); // what the tests before left in the queue
    await send(build, 'queued');
    const requestId = requestIdOf(build, system.jenkins.url);
    const real = provisionPortsFor(system);
    const down = new ClusterUnavailableError('the API server is unreachable (test)');
    system.github.failFor(60_000, { status: 503, method: 'DELETE', path: /\/actions\/runners\/\d+$/ });
    // The attempt registers the runner, fails for now at the pod, and cannot remove the runner.
    await expect(
      provisionRequest(requestId, {
        ...real,
        agents: { ...real.agents, createPod: () => Promise.reject(down) },
      }),
    ).rejects.toBeInstanceOf(RetryLaterError);
    system.github.clearFailures();
    const queued = await system.requests.get(requestId);
    expect(queued).toMatchObject({ status: 'queued', holdsSlot: false });
    expect(registered(queued?.podName)).toBe(1);
    // Its message is spent (its next delivery found the cap full, say, and the build waited).
    const { Messages = [] } = await system.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: system.resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}').requestId)).toEqual([requestId]);
    await system.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: system.resources.queueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
      }),
    );

    await send(build, 'cancelled');
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(await system.provisionAll()).toMatchObject({ received: 1, failed: 0 });
    expect(registered(queued?.podName)).toBe(0);
    expect(await system.listPods()).not.toContainEqual(
      expect.objectContaining({ metadata: expect.objectContaining({ name: queued?.podName }) }),
    );
  });
});
