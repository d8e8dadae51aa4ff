import { queuedRecord } from '../../support/records';
import { podNameFor, requestIdFor } from '../../../shared/requests';
import { createCapacityStore } from '../../../shared/state';
import { restrictedPod } from '../../support/kube';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

describe('a provisioner that died between creating the pod and recording it', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 3600 },
    });
  });
  afterAll(() => system.close());

  it('is converged: the reaper leaves the pod, the redelivered message adopts it, one pod and one slot', async () => {
    const answer = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: 'crash-1', labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'crash-1' },
    );
    const requestId = requestIdFor('generic', 'crash-1');
    expect(answer.body.requestId).toBe(requestId);
    // What the dead attempt left: the message taken off the queue (it will come back), the slot
    // reserved, and the pod created, but no Secret and no `provisioned` record.
    const taken = await system.sqs.send(
      new (await import('@aws-sdk/client-sqs')).ReceiveMessageCommand({
        QueueUrl: system.resources.queueUrl,
        WaitTimeSeconds: 1,
      }),
    );
    expect(taken.Messages).toHaveLength(1);
    const podName = podNameFor('gen-linux', requestId);
    const capacity = createCapacityStore(system.db, system.resources.tableName);
    expect(
      await capacity.reserve({
        requestId,
        template: 'gen-linux',
        podName,
        attempts: 0,
        globalCap: 100,
        templateCap: 20,
        from: ['queued'],
      }),
    ).toEqual({ reserved: true });
    const pod = restrictedPod(podName);
    pod.metadata!.labels = {
      'app.kubernetes.io/managed-by': 'pitcrew',
      'pitcrew.dev/request-id': requestId,
      'pitcrew.dev/template': 'gen-linux',
      'pitcrew.dev/source': 'generic',
    };
    await system.core.createNamespacedPod({ namespace: system.namespace, body: pod });

    const report = await system.reapNow();
    expect(report.deleted).toEqual({});
    expect(report.counterRepairs).toBe(0);

    // The message comes back after its visibility timeout (1 s here) and the retry adopts the pod.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await system.provisionAll();
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      attempts: 1,
    });
    const pods = await system.listPods();
    expect(pods.map((candidate) => candidate.metadata?.name)).toEqual([podName]);
    const secret = await system.core.readNamespacedSecret({ namespace: system.namespace, name: podName });
    expect(secret.metadata?.ownerReferences?.[0]?.uid).toBe(pods[0]?.metadata?.uid);
  });

  it('a request recorded but never enqueued (a crash between the two) is sent again once stale, and provisioned', async () => {
    const requestId = requestIdFor('generic', 'never-sent');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();
    await system.requests.createIfAbsent({
      ...queuedRecord(requestId, { jobKey: 'never-sent', statusSince: twoHoursAgo, createdAt: twoHoursAgo }),
      template: 'gen-linux',
    });
    const report = await system.reapNow();
    expect(report.resent).toBe(1);
    await system.provisionAll();
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', attempts: 1 });
  });
});
