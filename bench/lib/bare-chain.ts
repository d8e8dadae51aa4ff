import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/state';

/** A cap no bare chain reaches: the slot write's condition is checked, never refused. */
const bareCap = 10_000;

/**
 * The calls of the bare chain (bench/measures/end-to-end.ts), each as the chain makes it: the
 * measure times them, and the servers' warm-up (warm-servers.ts) makes the same ones beforehand,
 * so both sides are timed on code paths the servers have already run.
 */
export function bareChainCalls(tableName: string) {
  const takeSlot = (counter: string) => ({
    TableName: tableName,
    Key: keys.request(counter),
    UpdateExpression: 'SET used = used + :one',
    ConditionExpression: 'used < :cap',
    ExpressionAttributeValues: { ':one': 1, ':cap': bareCap },
  });
  return {
    /** A slot counter, at 0; made once, before the chain runs. */
    counter: (counter: string) =>
      new PutCommand({ TableName: tableName, Item: { ...keys.request(counter), used: 0 } }),
    /** A long poll, sent before the build starts: Lambda's pollers are always waiting. */
    waitingReceive: (queueUrl: string) =>
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }),
    /** The request, written only if new. */
    putRequest: (requestId: string) =>
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.request(requestId), status: 'queued' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    message: (queueUrl: string, requestId: string) =>
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ requestId }) }),
    /** The slot as one conditional update of a counter. */
    takeSlot: (counter: string) => new UpdateCommand(takeSlot(counter)),
    /** The slot as Pitcrew takes it: the template's and the global counter and the request's move, together. */
    takeSlotAndMove: (counters: readonly string[], requestId: string) =>
      new TransactWriteCommand({
        TransactItems: [
          ...counters.map((counter) => ({ Update: takeSlot(counter) })),
          {
            Update: {
              TableName: tableName,
              Key: keys.request(requestId),
              UpdateExpression: 'SET #status = :provisioning',
              ConditionExpression: '#status = :queued',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':provisioning': 'provisioning', ':queued': 'queued' },
            },
          },
        ],
      }),
  };
}
