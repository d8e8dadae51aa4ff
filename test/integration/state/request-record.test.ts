import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { getRequest, putRequestIfAbsent, tableShape, type RequestRecord } from '../../../shared/state';
import { createTestAwsResources, testStateClient } from '../../support/aws';

describe('request records on DynamoDB Local', () => {
  const db = testStateClient();
  let resources: LocalAwsResources;

  beforeAll(async () => {
    resources = await createTestAwsResources();
  });
  afterAll(() => db.destroy());

  const record = (requestId: string, status = 'queued'): RequestRecord => ({
    requestId,
    source: 'github',
    jobKey: `job-${requestId}`,
    status,
    createdAt: '2026-11-25T06:00:00.000Z',
  });

  it('creates the table with the status index and TTL from tableShape', async () => {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: resources.tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      tableShape.statusIndex.name,
    ]);
    const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: resources.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(tableShape.ttlAttribute);
  });

  it('writes a new request and refuses to overwrite it (conditional put)', async () => {
    expect(await putRequestIfAbsent(db, resources.tableName, record('r-1'))).toEqual({ created: true });
    expect(await putRequestIfAbsent(db, resources.tableName, record('r-1', 'failed'))).toEqual({
      created: false,
      reason: 'exists',
    });
    expect((await getRequest(db, resources.tableName, 'r-1'))?.status).toBe('queued');
  });

  it('lets exactly one of many concurrent writers create the record', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => putRequestIfAbsent(db, resources.tableName, record('r-race'))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('returns undefined for a request that does not exist', async () => {
    expect(await getRequest(db, resources.tableName, 'nope')).toBeUndefined();
  });
});
