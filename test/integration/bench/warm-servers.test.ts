import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { warmServers } from '../../../bench/lib/warm-servers';
import {
  countByOperation,
  startAwsFaultProxy,
  type AwsFaultProxy,
} from '../../../infra/local/stand-ins/aws-fault-proxy';
import { testSqsClient, testStateClient } from '../../support/aws';
import { requiredTestEnv } from '../../support/env';

/**
 * The bench warms the JVM servers before it times anything (bench/lib/warm-servers.ts): every call
 * kind the measures time, made for real, each round's slot taken (warmServers throws on a refused
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

  it('makes every call kind once a round and deletes its table and queue', async () => {
    const rounds = 6;
    await warmServers({ dynamo: dynamo.endpoint, sqs: sqs.endpoint }, rounds);

    const dynamoCalls = countByOperation(dynamo.calls);
    expect(dynamoCalls).toMatchObject({
      TransactWriteItems: rounds,
      BatchGetItem: rounds,
      // The request and the settings' read, and a delivery marker's.
      GetItem: rounds + 1,
      // The request's, the marker's, and the settings' first write.
      PutItem: 2 * rounds + 1,
      // The bare chain's counter and the pod recorded.
      UpdateItem: 2 * rounds,
    });
    expect(dynamo.calls.every((call) => call.fault === undefined)).toBe(true);
    const sqsCalls = countByOperation(sqs.calls);
    expect(sqsCalls).toMatchObject({ SendMessage: rounds, ReceiveMessage: rounds });
    expect(sqsCalls.DeleteMessageBatch).toBeGreaterThan(0);

    const { TableNames = [] } = await testStateClient().send(new ListTablesCommand({}));
    expect(TableNames.filter((name) => name.startsWith('bench-warm-up'))).toEqual([]);
    const { QueueUrls = [] } = await testSqsClient().send(
      new ListQueuesCommand({ QueueNamePrefix: 'bench-warm-up' }),
    );
    expect(QueueUrls).toEqual([]);
  });
});
