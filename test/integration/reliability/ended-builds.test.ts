import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { phaseIs, waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/** Builds that ran and ended: a replayed delivery must not bring them back, and their pods go. */
describe('ended builds', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      templates: [
        { name: 'gen-one', source: 'generic', labels: ['one'], image: 'busybox:1.36', instanceCap: 1 },
      ],
      reaper: {
        orphanGraceSeconds: 120,
        stuckGraceSeconds: 60,
        lostGraceSeconds: 60,
        staleQueuedSeconds: 900,
      },
    });
  });
  afterAll(() => system.close());

  const queueDepth = async (): Promise<number> => {
    const { Attributes } = await system.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: system.resources.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  it.each(['generic', 'jenkins', 'github'] as const)(
    '%s: the queued delivery of a build that ran, replayed after its dedupe marker expired, creates no second pod',
    async (source) => {
      const build: Build = { source, id: { generic: 11, jenkins: 12, github: 13 }[source] };
      const queued = deliveryFor(build, 'queued');
      expect((await system.sendWebhook(queued.source, queued.body, queued.headers)).statusCode).toBe(202);
      await system.provisionAll();
      const requestId = requestIdOf(build, system.jenkins.url);
      const record = await system.requests.get(requestId);
      // The build runs on its agent and ends; the reaper removes the agent.
      await steerPod(system.core, system.namespace, record!.podName!, { outcome: 'succeeded' });
      await waitForPod(system.core, system.namespace, record!.podName!, phaseIs('Succeeded'));
      for (const action of ['started', 'completed'] as const) {
        const delivery = deliveryFor(build, action);
        expect((await system.sendWebhook(delivery.source, delivery.body, delivery.headers)).statusCode).toBe(
          202,
        );
      }
      await system.reapNow();
      // The completion's own message (remove the agent, free the slot) is handled too: nothing is
      // left in the queue before the replay.
      await system.provisionAll();
      expect(await queueDepth()).toBe(0);

      // Three days later DynamoDB's TTL has removed the delivery marker; the request (kept 14 days
      // after it ended) is what stops the replay.
      const markers = await system.db.send(
        new ScanCommand({
          TableName: system.resources.tableName,
          FilterExpression: 'sk = :d',
          ExpressionAttributeValues: { ':d': 'delivery' },
        }),
      );
      for (const item of markers.Items ?? [])
        await system.db.send(
          new DeleteCommand({ TableName: system.resources.tableName, Key: { pk: item.pk, sk: item.sk } }),
        );
      const replay = await system.sendWebhook(queued.source, queued.body, queued.headers);
      expect(replay).toMatchObject({
        statusCode: 200,
        body: { status: 'ignored', reason: expect.stringContaining('completed') },
      });
      expect(await queueDepth()).toBe(0);
      await system.provisionAll();
      const pods = (await system.listPods()).filter(
        (pod) =>
          pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestId && !pod.metadata?.deletionTimestamp,
      );
      expect(pods).toEqual([]);
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'completed', holdsSlot: false });
    },
  );

  it('github: a runner that took another job of its repository is left to finish it when the job it was made for ends', async () => {
    const builds: Build[] = [31, 32].map((id) => ({ source: 'github', id }));
    for (const build of builds) {
      const queued = deliveryFor(build, 'queued');
      expect((await system.sendWebhook(queued.source, queued.body, queued.headers)).statusCode).toBe(202);
    }
    await system.provisionAll();
    const requestId = requestIdOf(builds[0]!, system.jenkins.url);
    const made = (await system.requests.get(requestId))!;
    await waitForPod(system.core, system.namespace, made.podName!, phaseIs('Running'));
    const live = async () =>
      (await system.listPods()).some(
        (pod) => pod.metadata?.name === made.podName && !pod.metadata?.deletionTimestamp,
      );
    // A just-in-time runner takes any queued job of its repository with its labels: the one made for
    // job 31 took job 32, and GitHub now calls it busy.
    const runner = system.github.state.runners.find((candidate) => String(candidate.id) === made.externalId)!;
    runner.busy = true;
    // Job 31 is cancelled. Deleting the runner's pod would cut job 32 short: GitHub refuses to delete
    // a busy runner, and the pod is left to finish the job it took, its slot still held.
    const cancel = deliveryFor(builds[0]!, 'cancelled');
    expect((await system.sendWebhook(cancel.source, cancel.body, cancel.headers)).statusCode).toBe(202);
    await system.provisionAll();
    expect(await live()).toBe(true);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'ending', holdsSlot: true });
    expect((await system.reapNow()).keptBusy).toBeGreaterThanOrEqual(1);
    expect(await live()).toBe(true);

    // Job 32 ends and the runner's process exits, GitHub calling it busy a while yet: an agent that
    // exited runs nothing, so the pod goes, and the slot.
    await steerPod(system.core, system.namespace, made.podName!, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, made.podName!, phaseIs('Succeeded'));
    await system.reapNow();
    expect(await live()).toBe(false);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'cancelled', holdsSlot: false });
  });

  it("a cancelled build's idle agent goes at the reaper's next run, not after the orphan grace, so the cap holds again", async () => {
    const [first, second] = [21, 22].map((id) =>
      deliveryFor({ source: 'generic', id }, 'queued', { labels: ['one'] }),
    );
    for (const delivery of [first!, second!])
      expect((await system.sendWebhook(delivery.source, delivery.body, delivery.headers)).statusCode).toBe(
        202,
      );
    await system.provisionAll();
    const livePods = async (): Promise<string[]> =>
      (await system.listPods())
        .filter(
          (pod) =>
            pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-one' && !pod.metadata?.deletionTimestamp,
        )
        .map((pod) => pod.metadata?.name ?? '');
    const [running] = await livePods();
    expect(running).toBeDefined();
    // The CI cancels the first build before its agent took it: its slot goes to the second build.
    const cancel = deliveryFor({ source: 'generic', id: 21 }, 'cancelled');
    expect((await system.sendWebhook(cancel.source, cancel.body, cancel.headers)).statusCode).toBe(202);
    await sleep(1100);
    await system.provisionAll();
    await system.reapNow();
    const after = await livePods();
    expect(after).toHaveLength(1);
    expect(after).not.toContain(running);
  });
});
