import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { createRequestStore, tableShape } from '../../../shared/state';
import type { TransitionMove } from '../../../shared/ports/request-store';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';
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

describe('transitionAll on DynamoDB', () => {
  let tableName: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const subject = await dynamoDbSubject(db, (_client, table) => table)(() => new Date());
    tableName = subject.stores;
    dispose = subject.dispose ?? (async () => undefined);
  });
  afterAll(() => dispose());

  /** The store over a client that notes each command it sends: what the calls cost. */
  const counted = () => {
    const sent: string[] = [];
    const client = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name.replace(/Command$/, ''));
        return db.send(command as never);
      },
    } as unknown as typeof db;
    return { sent, requests: createRequestStore(client, tableName) };
  };
  const recordPod = (requestId: string): TransitionMove => ({
    requestId,
    from: ['provisioning'],
    to: 'provisioned',
    set: { podName: `pod-${requestId}` },
  });
  const holding = (requestId: string) =>
    queuedRecord(requestId, { status: 'provisioning', holdsSlot: true, template: 'tpl' });

  it('makes moves that all apply in one TransactWriteItems, where each would be an UpdateItem', async () => {
    const { sent, requests } = counted();
    const ids = Array.from({ length: 10 }, (_, index) => `one-call-${index}`);
    for (const id of ids) await requests.createIfAbsent(holding(id));
    sent.length = 0;
    const results = await requests.transitionAll(ids.map(recordPod));
    expect(results.every((result) => result.kind === 'moved')).toBe(true);
    expect(sent).toEqual(['TransactWrite']);
    expect((await requests.get('one-call-9'))?.status).toBe('provisioned');
  });

  it('moves the others again when one fails its condition, and reads only that one', async () => {
    const { sent, requests } = counted();
    for (const id of ['again-1', 'again-2', 'again-3']) await requests.createIfAbsent(holding(id));
    await requests.transition('again-2', ['provisioning'], 'failed', {}, [], {});
    sent.length = 0;
    const results = await requests.transitionAll(['again-1', 'again-2', 'again-3'].map(recordPod));
    expect(results.map((result) => result.kind)).toEqual(['moved', 'not-moved', 'moved']);
    expect(sent.sort()).toEqual(['Get', 'TransactWrite', 'TransactWrite']);
  });
});
