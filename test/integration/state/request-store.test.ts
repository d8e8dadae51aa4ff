import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { createRequestStore, tableShape } from '../../../shared/state';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { describeRequestStoreContract } from '../../contracts/request-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describe('the local table', () => {
  let resources: LocalAwsResources;

  beforeAll(async () => {
    resources = await createTestAwsResources();
  });

  it('creates the table with the status index and TTL from tableShape', async () => {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: resources.tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      tableShape.statusIndex.name,
    ]);
    const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: resources.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(tableShape.ttlAttribute);
  });
});

// What the request records do (conditional create, moves, tombstones, ends, attempts, the index)
// is the port's contract, which the in-memory twin is held to as well (test/unit/state).
describeRequestStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName, now) => ({ requests: createRequestStore(client, tableName, now) })),
);
