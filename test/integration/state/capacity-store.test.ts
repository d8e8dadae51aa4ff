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
  describe('reserveMany: one transaction for a batch of one template', () => {
    const many = (ids: string[], template: string, templateCap: number, globalCap = 1000) => ({
      template,
      requests: ids.map((requestId) => ({ requestId, podName: `pc-${requestId}` })),
      globalCap,
      templateCap,
      from: ['queued', 'waiting'] as const,
    });

    it('takes every slot at once and moves every request to provisioning', async () => {
      const ids = Array.from({ length: 10 }, (_, index) => `many-a-${index}`);
      await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
      const globalBefore = await used(keys.globalCounter());
      expect(await capacity.reserveMany(many(ids, 'tpl-many-a', 10))).toBe(true);
      expect(await used(keys.templateCounter('tpl-many-a'))).toBe(10);
      expect(await used(keys.globalCounter())).toBe(globalBefore + 10);
      const records = await requests.getMany(ids);
      expect(
        [...records.values()].every((record) => record.status === 'provisioning' && record.holdsSlot),
      ).toBe(true);
      expect(records.get('many-a-3')?.podName).toBe('pc-many-a-3');
    });

    it('takes nothing when the cap lacks room for all of them', async () => {
      const ids = Array.from({ length: 4 }, (_, index) => `many-b-${index}`);
      await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
      await capacity.reserve(slot('many-b-0', 'tpl-many-b', 3));
      // One slot of three is taken: three more do not fit, though two would.
      expect(await capacity.reserveMany(many(ids.slice(1), 'tpl-many-b', 3))).toBe(false);
      expect(await used(keys.templateCounter('tpl-many-b'))).toBe(1);
      const records = await requests.getMany(ids.slice(1));
      expect([...records.values()].map((record) => record.status)).toEqual(['queued', 'queued', 'queued']);
    });

    it('takes nothing when one of the requests was taken meanwhile', async () => {
      const ids = ['many-c-0', 'many-c-1', 'many-c-2'];
      await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
      expect((await capacity.reserve(slot('many-c-1', 'tpl-many-c', 10))).reserved).toBe(true);
      expect(await capacity.reserveMany(many(ids, 'tpl-many-c', 10))).toBe(false);
      expect(await used(keys.templateCounter('tpl-many-c'))).toBe(1);
      expect((await requests.get('many-c-0'))?.status).toBe('queued');
    });

    it('refuses a request named twice (DynamoDB would refuse the transaction)', async () => {
      await expect(capacity.reserveMany(many(['dup', 'dup'], 'tpl-many-d', 10))).rejects.toThrow(
        /each request may appear once/,
      );
    });
  });
});
