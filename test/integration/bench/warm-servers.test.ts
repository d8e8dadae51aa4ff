import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { warmServers, warmUpLanes } from '../../../bench/lib/warm-servers';
import {
  countByOperation,
  startAwsFaultProxy,
  type AwsFaultProxy,
} from '../../../infra/local/stand-ins/aws-fault-proxy';
import { testSqsClient, testStateClient } from '../../support/aws';
import { requiredTestEnv } from '../../support/env';

/**
 * The bench warms the JVM servers before it times anything (bench/lib/warm-servers.ts): each side's
 * calls as the measures make them, each round's slot taken (warmServers throws on a refused
 * transaction, which would warm another path), and nothing left behind for the measures to find.
 */
describe('the bench warm-up (real DynamoDB Local and ElasticMQ)', () => {
  let dynamo: AwsFaultProxy;
  let sqs: AwsFaultProxy;

  beforeAll(async () => {
    dynamo = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    sqs = await startAwsFaultProxy(requiredTestEnv('sqsEndpoint'));
  });
  afterAll(async () => {
    await dynamo.close();
    await sqs.close();
  });

  it("makes each side's calls once a round, takes every slot, and deletes its table and queues", async () => {
    const rounds = 6;
    const lanes = Math.min(warmUpLanes, rounds);
    await warmServers({ dynamo: dynamo.endpoint, sqs: sqs.endpoint }, rounds);

    expect(dynamo.calls.every((call) => call.fault === undefined)).toBe(true);
    // Per round: Pitcrew's request, marker, slot transaction and pod record and its two reads; the
    // bare chain's request and slot update, and its request and slot transaction. Once: the table,
    // the settings (read, then written), each lane's two bare counters.
    expect(countByOperation(dynamo.calls)).toEqual({
      CreateTable: 1,
      DeleteTable: 1,
      GetItem: rounds + 1,
      PutItem: 4 * rounds + 1 + 2 * lanes,
      TransactWriteItems: 2 * rounds,
      UpdateItem: 2 * rounds,
      BatchGetItem: rounds,
    });
    // Per round: Pitcrew's message and the bare chain's two, each received by a poll already waiting.
    expect(countByOperation(sqs.calls)).toEqual({
      CreateQueue: lanes,
      DeleteQueue: lanes,
      SendMessage: 3 * rounds,
      ReceiveMessage: 3 * rounds,
      DeleteMessageBatch: 3 * rounds,
    });

    const { TableNames = [] } = await testStateClient().send(new ListTablesCommand({}));
    expect(TableNames.filter((name) => name.startsWith('bench-warm-up'))).toEqual([]);
    const { QueueUrls = [] } = await testSqsClient().send(
      new ListQueuesCommand({ QueueNamePrefix: 'bench-warm-up' }),
    );
    expect(QueueUrls).toEqual([]);
  });
});
