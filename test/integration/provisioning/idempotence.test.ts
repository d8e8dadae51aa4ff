import { requestIdFor } from '../../../shared/requests';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

const queued = (id: string) => ({ action: 'queued', job: { id, labels: ['linux'] } });
const delivery = (id: string) => ({ 'x-pitcrew-delivery': id });

describe('duplicates and out-of-order events', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem();
  });
  afterAll(() => system.close());

  const podsFor = async (jobId: string) =>
    (await system.listPods()).filter(
      (pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestIdFor('generic', jobId),
    );

  it('a duplicate delivery creates one pod', async () => {
    expect((await system.sendWebhook('generic', queued('dup-1'), delivery('same'))).statusCode).toBe(202);
    const again = await system.sendWebhook('generic', queued('dup-1'), delivery('same'));
    expect(again).toMatchObject({ statusCode: 200, body: { status: 'ignored' } });
    await system.provisionAll();
    expect(await podsFor('dup-1')).toHaveLength(1);
  });

  it('the same job queued twice with new delivery ids creates one pod', async () => {
    expect((await system.sendWebhook('generic', queued('dup-2'), delivery('a'))).statusCode).toBe(202);
    expect((await system.sendWebhook('generic', queued('dup-2'), delivery('b'))).body).toMatchObject({
      status: 'ignored',
    });
    await system.provisionAll();
    expect(await podsFor('dup-2')).toHaveLength(1);
  });

  it('the same provision message delivered twice creates one pod', async () => {
    await system.sendWebhook('generic', queued('dup-3'), delivery('c'));
    // A second copy of the message, as SQS may deliver at least once.
    const { createSqsProvisionQueue } = await import('../../../shared/queue');
    await createSqsProvisionQueue(system.sqs, system.resources.queueUrl).send({
      requestId: requestIdFor('generic', 'dup-3'),
    });
    await system.provisionAll(2);
    expect(await podsFor('dup-3')).toHaveLength(1);
  });

  it('completed before queued leaves a tombstone, and the late queued event creates no pod', async () => {
    const completed = await system.sendWebhook(
      'generic',
      { action: 'completed', job: { id: 'early', labels: ['linux'] } },
      delivery('e1'),
    );
    expect(completed).toMatchObject({ statusCode: 202, body: { status: 'completed' } });
    const late = await system.sendWebhook('generic', queued('early'), delivery('e2'));
    expect(late).toMatchObject({ statusCode: 200, body: { status: 'ignored' } });
    await system.provisionAll();
    expect(await podsFor('early')).toHaveLength(0);
    expect(await system.requests.get(requestIdFor('generic', 'early'))).toMatchObject({
      status: 'completed',
      tombstone: true,
    });
  });

  it('a build no template serves is ignored with the reason, and nothing is recorded', async () => {
    const answer = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: 'gpu', labels: ['gpu'] } },
      delivery('g1'),
    );
    expect(answer).toMatchObject({
      statusCode: 200,
      body: { status: 'ignored', reason: expect.stringContaining('gpu') },
    });
    expect(await system.requests.get(requestIdFor('generic', 'gpu'))).toBeUndefined();
  });
});
