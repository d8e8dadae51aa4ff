import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one DynamoDB table's shape. `serverless.yml` declares the same table for AWS and
 * `test/integration/packaging/template.test.ts` checks the packaged template agrees with this, so the
 * local table (made from `createTableInput`) and the deployed one cannot drift apart.
 * Item layout and access patterns: docs/state.md.
 */
export const tableShape = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB's TTL deletes ended requests and dedupe markers after it. */
  ttlAttribute: 'expiresAt',
  statusIndex: { name: 'byStatus', partitionKey: 'status', sortKey: 'statusSince' },
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, statusIndex } = tableShape;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: statusIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: statusIndex.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: statusIndex.name,
        KeySchema: [
          { AttributeName: statusIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: statusIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
