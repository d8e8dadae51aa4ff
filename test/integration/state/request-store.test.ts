import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { createRequestStore, tableShape } from '../../../shared/state';
import type { TransitionMove } from '../../../shared/ports/request-store';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';
import { describeRequestStoreContract } from '../../contracts/request-store';
import { countingClient, dynamoDbSubject, scratchTable, type Command } from './dynamodb-subject';

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
  const table = scratchTable(db);
  /** The store over a counting client (dynamodb-subject.ts): what the calls cost, and stand-in answers. */
  const counted = (answer?: (command: Command) => Promise<unknown> | undefined) => {
    const { sent, client } = countingClient(db, answer);
    return { sent, requests: createRequestStore(client, table.tableName()) };
  };
  const isTransaction = (command: Command): boolean => command.constructor.name === 'TransactWriteCommand';
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

  it('counts a transaction whose answer was lost as made: each move, tried alone, finds itself made then', async () => {
    let lost = 0;
    const { requests } = counted((command) => {
      if (!isTransaction(command) || lost > 0) return undefined;
      lost += 1;
      // Applied, then the answer never came (the SDK's retries spent): not an answer at all.
      return db.send(command as never).then(() => {
        throw new Error('socket hang up');
      });
    });
    for (const id of ['lost-1', 'lost-2']) await requests.createIfAbsent(holding(id));
    const results = await requests.transitionAll(['lost-1', 'lost-2'].map(recordPod));
    expect(lost).toBe(1);
    expect(results).toEqual([{ kind: 'moved' }, { kind: 'moved' }]);
  });

  it('makes each move alone when the transaction meets another writer, and tries a lone write again', async () => {
    let conflicts = 0;
    const { sent, requests } = counted((command) => {
      const conflicted = conflicts < 2;
      if (isTransaction(command) && conflicted) {
        conflicts += 1;
        return Promise.reject(
          new TransactionCanceledException({
            message: 'Transaction cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
          }),
        );
      }
      if (command.constructor.name === 'UpdateCommand' && conflicts === 1) {
        conflicts += 1;
        return Promise.reject(
          new TransactionConflictException({ message: 'in a transaction', $metadata: {} }),
        );
      }
      return undefined;
    });
    for (const id of ['conflict-1', 'conflict-2']) await requests.createIfAbsent(holding(id));
    sent.length = 0;
    const results = await requests.transitionAll(['conflict-1', 'conflict-2'].map(recordPod));
    expect(results).toEqual([{ kind: 'moved' }, { kind: 'moved' }]);
    // The transaction, then each move alone; the one that met the conflict, again.
    expect(sent.sort()).toEqual(['TransactWrite', 'Update', 'Update', 'Update']);
  });
});
