import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { createTableInput } from '../../../shared/state';
import type { MakeSubject } from '../../contracts/harness';

/**
 * The contract suites' subject on DynamoDB Local: the stores on a table of their own per test
 * (deleted after it), and the same stores on a table that does not exist.
 */
export function dynamoDbSubject<Stores>(
  db: DynamoDBDocumentClient,
  build: (db: DynamoDBDocumentClient, tableName: string, now: () => Date) => Stores,
): MakeSubject<Stores> {
  return async (now) => {
    const tableName = `contract-${randomUUID().slice(0, 8)}`;
    await db.send(new CreateTableCommand(createTableInput(tableName)));
    return {
      stores: build(db, tableName, now),
      unavailable: build(db, `${tableName}-missing`, now),
      item: async (key) =>
        (await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item,
      dispose: async () => {
        await db.send(new DeleteTableCommand({ TableName: tableName }));
      },
    };
  };
}
