import { setTimeout as sleep } from 'node:timers/promises';
import { phaseIs, waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * What Jenkins's queue says when Pitcrew makes one agent per build (a review of the Jenkins path,
 * 2026-12-06), on the real servers. The Jenkins stand-in derives each item's why from its nodes as
 * Queue.BuildableItem.getCauseOfBlockage does, and answers GET /queue/item/ID/api/json.
 */
describe('the reaper and the Jenkins queue', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      jenkinsPollQueue: true,
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 3600 },
    });
  });
  afterAll(() => system.close());

  /** Queue item `id` waits for `linux` at Jenkins, its webhook is received, and its agent made. */
  async function provisionedItem(id: number) {
    system.jenkins.state.queue.push({ id, label: 'linux', taskName: `app-${id}` });
    const answer = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id, labels: ['linux'] } },
      { 'x-pitcrew-delivery': `d-${id}` },
    );
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    const record = await system.requests.get(String(answer.body.requestId));
    expect(record).toMatchObject({ status: 'provisioned', template: 'jk-linux' });
    return record!;
  }

  const podUid = async (name: string) =>
    (await system.listPods()).find((pod) => pod.metadata?.name === name)?.metadata?.uid;

  it("finds a build whose why names the one node with its label (the last build's), and provisions it", async () => {
    const first = await provisionedItem(601);
    // Its webhook was lost; the only `linux` node is the first build's, not yet connected.
    system.jenkins.state.queue.push({ id: 602, label: 'linux', taskName: 'app-602' });
    const listed = await fetch(`${system.jenkins.url}queue/api/json`, {
      headers: { authorization: `Basic ${Buffer.from('pitcrew:jenkins-api-token-0000').toString('base64')}` },
    });
    const items = ((await listed.json()) as { items: { id: number; why: string }[] }).items;
    expect(items.find((item) => item.id === 602)?.why).toBe(`‘${first.podName}’ is offline`);

    const report = await system.reapNow();
    expect(report.recovered).toBe(1);
    await system.provisionAll();
    const recovered = (await system.requests.listByStatus('provisioned')).filter(
      (record) => record.source === 'jenkins' && record.requestId !== first.requestId,
    );
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ template: 'jk-linux', details: { queueItemId: 602 } });
  });

  it('gives a build whose agent failed before Jenkins gave it the build another agent, and ends one that left the queue', async () => {
    const record = await provisionedItem(611);
    const firstPod = record.podName!;
    const firstSecret = system.jenkins.state.nodes.get(firstPod)?.secret;
    expect(firstSecret).toMatch(/^[0-9a-f]{64}$/);
    await steerPod(system.core, system.namespace, firstPod, { outcome: 'failed' });
    await waitForPod(system.core, system.namespace, firstPod, phaseIs('Failed'));

    // Jenkins still queues item 611: a retry, and another agent.
    const report = await system.reapNow();
    expect(report.retried).toBeGreaterThanOrEqual(1);
    while ((await podUid(firstPod)) !== undefined) await sleep(100);
    await system.provisionAll();
    const retried = await system.requests.get(record.requestId);
    expect(retried).toMatchObject({ status: 'provisioned', retriesUsed: 1 });
    // A node of another name, so another secret: a build that ran on the first node and read its
    // secret cannot connect as this one (Jenkins derives the secret from the name alone).
    const podName = retried!.podName!;
    expect(podName).not.toBe(firstPod);
    expect(await podUid(podName)).toBeDefined();
    expect(system.jenkins.state.nodes.has(firstPod)).toBe(false);
    expect(system.jenkins.state.nodes.get(podName)?.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(system.jenkins.state.nodes.get(podName)?.secret).not.toBe(firstSecret);

    // The build left the queue (it ran elsewhere): the next agent that ends unstarted ends it.
    system.jenkins.state.queue.splice(
      system.jenkins.state.queue.findIndex((item) => item.id === 611),
      1,
    );
    system.jenkins.state.left.push({ id: 611, cancelled: false });
    await steerPod(system.core, system.namespace, podName, { outcome: 'failed' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Failed'));
    await system.reapNow();
    expect((await system.requests.get(record.requestId))?.status).toBe('failed');
  });
});
