import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import {
  createCapacityStore,
  createRequestStore,
  keys,
  type CapacityStore,
  type RequestStore,
} from '../../../shared/state';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';

describe('capacity reservation on DynamoDB Local', () => {
  const db = testStateClient();
  let resources: LocalAwsResources;
  let requests: RequestStore;
  let capacity: CapacityStore;

  beforeAll(async () => {
    resources = await createTestAwsResources();
    requests = createRequestStore(db, resources.tableName);
    capacity = createCapacityStore(db, resources.tableName);
  });
  afterAll(() => db.destroy());

  const used = async (key: { pk: string; sk: string }): Promise<number> =>
    Number(
      (await db.send(new GetCommand({ TableName: resources.tableName, Key: key, ConsistentRead: true }))).Item
        ?.used ?? 0,
    );

  const slot = (requestId: string, template: string, templateCap: number, globalCap = 100) => ({
    requestId,
    template,
    podName: `pc-${requestId}`,
    globalCap,
    templateCap,
    from: ['queued', 'waiting'] as const,
  });

  it('never grants more than the template cap to 40 concurrent reservers', async () => {
    const ids = Array.from({ length: 40 }, (_, index) => `cap-a-${index}`);
    await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
    const results = await Promise.all(ids.map((id) => capacity.reserve(slot(id, 'tpl-a', 5))));
    expect(results.filter((result) => result.reserved)).toHaveLength(5);
    expect(
      results
        .filter((result) => !result.reserved)
        .every((result) => !result.reserved && result.reason === 'template-cap'),
    ).toBe(true);
    expect(await used(keys.templateCounter('tpl-a'))).toBe(5);
    const holders = await Promise.all(ids.map((id) => requests.get(id)));
    expect(holders.filter((record) => record?.holdsSlot && record.status === 'provisioning')).toHaveLength(5);
  });

  it('enforces the global cap across templates', async () => {
    const ids = ['g-1', 'g-2', 'g-3'];
    await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
    // 5 are held by the test above; a global cap of 7 leaves room for two more.
    const results = await Promise.all(
      ids.map((id, index) => capacity.reserve(slot(id, `tpl-g${index}`, 10, 7))),
    );
    expect(results.filter((result) => result.reserved)).toHaveLength(2);
    expect(results.find((result) => !result.reserved)).toEqual({ reserved: false, reason: 'global-cap' });
  });

  it('does not take a second slot for a request that already holds one', async () => {
    await requests.createIfAbsent(queuedRecord('twice'));
    expect(await capacity.reserve(slot('twice', 'tpl-t', 5))).toEqual({ reserved: true });
    expect(await capacity.reserve(slot('twice', 'tpl-t', 5))).toEqual({
      reserved: false,
      reason: 'request-moved',
    });
    expect(await used(keys.templateCounter('tpl-t'))).toBe(1);
  });

  it('releases a slot exactly once, however often release is called', async () => {
    await requests.createIfAbsent(queuedRecord('rel'));
    await capacity.reserve(slot('rel', 'tpl-r', 5));
    const releases = await Promise.all(
      [1, 2, 3].map(() => capacity.release('rel', 'tpl-r', 'queued', 'retry')),
    );
    expect(releases.filter(Boolean)).toHaveLength(1);
    expect(await used(keys.templateCounter('tpl-r'))).toBe(0);
    expect(await requests.get('rel')).toMatchObject({ status: 'queued', holdsSlot: false, reason: 'retry' });
  });

  it('grants nothing when a cap is 0', async () => {
    await requests.createIfAbsent(queuedRecord('zero'));
    expect(await capacity.reserve(slot('zero', 'tpl-z', 0))).toEqual({
      reserved: false,
      reason: 'template-cap',
    });
  });
});
