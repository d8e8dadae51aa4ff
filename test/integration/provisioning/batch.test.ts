import {
  countByOperation,
  startAwsFaultProxy,
  type AwsFaultProxy,
} from '../../../infra/local/stand-ins/aws-fault-proxy';
import { requiredTestEnv } from '../../support/env';
import {
  genericTemplate as gen,
  startProvisioningSystem,
  type ProvisioningSystem,
} from '../../support/provisioning';

describe('a provision batch reads and reserves together (real DynamoDB, SQS and API server)', () => {
  let system: ProvisioningSystem;
  let dynamo: AwsFaultProxy;

  beforeAll(async () => {
    dynamo = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    system = await startProvisioningSystem({
      dynamoDbEndpoint: dynamo.endpoint,
      templates: [
        gen('gen-many', ['many'], { instanceCap: 50 }),
        gen('gen-five', ['five'], { instanceCap: 5 }),
      ],
    });
  });
  afterAll(async () => {
    await system.close();
    await dynamo.close();
  });

  async function queue(prefix: string, labels: string[], count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const answer = await system.sendWebhook(
        'generic',
        { action: 'queued', job: { id: `${prefix}-${index}`, labels } },
        { 'x-pitcrew-delivery': `${prefix}-${index}` },
      );
      expect(answer.statusCode).toBe(202);
      ids.push(String(answer.body.requestId));
    }
    return ids;
  }

  const operations = (from: number): Record<string, number> => countByOperation(dynamo.calls.slice(from));

  it('ten requests of one template: one BatchGetItem for the records and the settings, one transaction for the slots, ten pods, recorded in batches', async () => {
    const ids = await queue('many', ['many'], 10);
    const from = dynamo.calls.length;
    const batch = await system.pollOnce(2);
    expect(batch).toEqual({ received: 10, failed: 0 });
    const calls = dynamo.calls.slice(from);
    // The records and the operator settings in one BatchGetItem (shared/state/batch-read.ts).
    expect(operations(from)).toMatchObject({ BatchGetItem: 1 });
    expect(operations(from)).not.toHaveProperty('GetItem');
    // The slots in one transaction (two counters and ten requests); then the ten pods recorded
    // together (record-batch.ts), where each was an UpdateItem: in one transaction, or in a few if
    // a pod took longer than the recorder waits on a busy machine.
    const [slots, ...records] = calls.filter(
      (call) => call.operation === 'TransactWriteItems' || call.operation === 'UpdateItem',
    );
    expect(slots).toMatchObject({ operation: 'TransactWriteItems', items: 12 });
    expect(records.reduce((sum, call) => sum + (call.items ?? 1), 0)).toBe(10);
    // Batched, however the pods spread over the recorder's windows: fewer calls than pods, one of
    // them holding several (one per pod would be 10 UpdateItems).
    expect(records.length).toBeLessThan(10);
    expect(Math.max(...records.map((call) => call.items ?? 1))).toBeGreaterThan(1);
    const statuses = await Promise.all(ids.map(async (id) => (await system.requests.get(id))?.status));
    expect(statuses.every((status) => status === 'provisioned')).toBe(true);
    expect(
      (await system.listPods()).filter(
        (pod) => pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-many',
      ),
    ).toHaveLength(10);
  });

  it('a batch larger than the room left fills the cap exactly, first queued first served', async () => {
    const ids = await queue('five', ['five'], 10);
    const batch = await system.pollOnce(2);
    expect(batch.received).toBe(10);
    const statuses = await Promise.all(ids.map(async (id) => (await system.requests.get(id))?.status));
    // In the order the builds were queued: the first five start, the last five wait.
    expect(statuses).toEqual([...Array(5).fill('provisioned'), ...Array(5).fill('waiting')]);
    expect(
      (await system.listPods()).filter(
        (pod) => pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-five',
      ),
    ).toHaveLength(5);
  });
});
