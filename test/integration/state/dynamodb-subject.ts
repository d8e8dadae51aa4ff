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

/**
 * A table of its own for the tests of one describe block: created before them, deleted after.
 * `tableName()` is valid from the first test on.
 */
export function scratchTable(db: DynamoDBDocumentClient): { tableName(): string } {
  let subject: Awaited<ReturnType<MakeSubject<string>>> | undefined;
  beforeAll(async () => {
    subject = await dynamoDbSubject(db, (_client, table) => table)(() => new Date());
  });
  afterAll(async () => {
    await subject?.dispose?.();
  });
  return {
    tableName: () => {
      if (!subject) throw new Error('the scratch table is made before the tests');
      return subject.stores;
    },
  };
}

/** A command as the SDK's document client takes it; its class name says which call it is. */
export type Command = { readonly constructor: { readonly name: string } };

/**
 * A client over `db` that notes each command it sends (`sent`, names without `Command`: what the
 * calls cost) and lets a test stand in for DynamoDB's answer to one: `answer` may send it, throw,
 * or both; undefined sends it as is.
 */
export function countingClient(
  db: DynamoDBDocumentClient,
  answer?: (command: Command) => Promise<unknown> | undefined,
): { sent: string[]; client: DynamoDBDocumentClient } {
  const sent: string[] = [];
  const client = {
    send: (command: Command) => {
      sent.push(command.constructor.name.replace(/Command$/, ''));
      return answer?.(command) ?? db.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return { sent, client };
}
