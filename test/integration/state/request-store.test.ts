import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import {
  createDeliveryStore,
  createRequestStore,
  tableShape,
  type RequestStore,
} from '../../../shared/state';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';

describe('request records on DynamoDB Local', () => {
  const db = testStateClient();
  let resources: LocalAwsResources;
  let requests: RequestStore;

  beforeAll(async () => {
    resources = await createTestAwsResources();
    requests = createRequestStore(db, resources.tableName);
  });
  afterAll(() => db.destroy());

  it('creates the table with the status index and TTL from tableShape', async () => {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: resources.tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      tableShape.statusIndex.name,
    ]);
    const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: resources.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(tableShape.ttlAttribute);
  });

  it('writes a new request and refuses to overwrite it (conditional put)', async () => {
    expect(await requests.createIfAbsent(queuedRecord('r-1'))).toEqual({ created: true });
    const second = await requests.createIfAbsent(queuedRecord('r-1', { status: 'failed' }));
    expect(second).toMatchObject({ created: false, existing: { status: 'queued' } });
    expect((await requests.get('r-1'))?.status).toBe('queued');
  });

  it('lets exactly one of many concurrent writers create the record', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => requests.createIfAbsent(queuedRecord('r-race'))),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
  });

  it('moves a request only from the states it names', async () => {
    await requests.createIfAbsent(queuedRecord('r-move'));
    expect(await requests.transition('r-move', ['provisioning'], 'provisioned')).toBeUndefined();
    const moved = await requests.transition('r-move', ['queued'], 'waiting', { reason: 'at cap' });
    expect(moved).toMatchObject({ status: 'waiting', reason: 'at cap' });
  });

  it('leaves a tombstone for a build that ends before it was queued, and the late queued event finds it', async () => {
    expect(await requests.end(queuedRecord('r-early'), 'completed')).toEqual({ kind: 'tombstoned' });
    const late = await requests.createIfAbsent(queuedRecord('r-early'));
    expect(late).toMatchObject({ created: false, existing: { status: 'completed', tombstone: true } });
    expect((late as { existing: { expiresAt?: number } }).existing.expiresAt).toBeGreaterThan(
      Date.now() / 1000,
    );
  });

  it('ends a known request once; a second end reports it already ended', async () => {
    await requests.createIfAbsent(queuedRecord('r-end'));
    expect(await requests.end(queuedRecord('r-end'), 'cancelled')).toMatchObject({
      kind: 'ended',
      record: { status: 'cancelled' },
    });
    expect(await requests.end(queuedRecord('r-end'), 'completed')).toMatchObject({
      kind: 'already-ended',
      record: { status: 'cancelled' },
    });
  });

  it('returns undefined for a request that does not exist', async () => {
    expect(await requests.get('nope')).toBeUndefined();
  });

  it('remembers a delivery id once per source, and tells whether it has been seen', async () => {
    const deliveries = createDeliveryStore(db, resources.tableName);
    expect(await deliveries.seen('github', 'd-1')).toBe(false);
    expect(await deliveries.remember('github', 'd-1')).toBe('new');
    expect(await deliveries.remember('github', 'd-1')).toBe('duplicate');
    expect(await deliveries.seen('github', 'd-1')).toBe(true);
    expect(await deliveries.remember('jenkins', 'd-1')).toBe('new');
  });
});
