import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { newRequestMessage } from '../../shared/queue/messages';
import { requestDigest } from '../../shared/requests/digest';
import type { RequestRecord } from '../../shared/requests/record';
import { reserveFreshSlot } from '../../shared/state/capacity-store';
import { createStateClient } from '../../shared/state/client';
import { createDeliveryStore } from '../../shared/state/delivery-store';
import { keys } from '../../shared/state/keys';
import { createRequestIfAbsent, transitionRequest } from '../../shared/state/request-store';
import { createOperatorSettingsStore } from '../../shared/state/settings-store';
import { createTableInput } from '../../shared/state/table';
import { tableAccess } from '../../shared/state/table-access';

/** Rounds of every call kind: past this, a TransactWriteItems at DynamoDB Local stops getting faster. */
export const warmUpRounds = 600;
/** Rounds run side by side, so the warm-up takes seconds, not a minute; the JIT counts calls, not time. */
const lanes = 3;

/**
 * Runs every kind of DynamoDB and SQS call the measures time, on both sides, `rounds` times before
 * any of them, on a table and a queue of its own that it then deletes.
 *
 * DynamoDB Local and ElasticMQ run on the JVM, whose code is interpreted until its JIT compiles
 * what runs often: DynamoDB Local answers its first 50 transactions in about 11 ms each (median,
 * measured on a quiet server) and takes about 4.4 ms once it has run 500. Unwarmed, a measure pays
 * for whichever code path it is the first to use, and a bare chain timed after Pitcrew's builds
 * runs on paths those builds warmed: the comparison would hold the servers' warm-up against
 * Pitcrew. AWS's services are always warm.
 */
export async function warmServers(
  endpoints: { readonly dynamo: string; readonly sqs: string },
  rounds = warmUpRounds,
): Promise<void> {
  const region = 'us-east-1';
  const db = createStateClient({ region, endpoint: endpoints.dynamo });
  const sqs = new SQSClient({ region, endpoint: endpoints.sqs });
  const tableName = `bench-warm-up-${Date.now()}`;
  const table = tableAccess(db, tableName);
  const deliveries = createDeliveryStore(db, tableName);
  await db.send(new CreateTableCommand(createTableInput(tableName)));
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: tableName }));
  try {
    // The operator settings item exists, as in a deployment drained once, and the transaction checks
    // it: on a new table its first write is version 1.
    await createOperatorSettingsStore(db, tableName).update((current) => current);
    const settingsVersion = 1;
    const round = async (index: number): Promise<void> => {
      const requestId = `warm-up-${index}`;
      const record = warmUpRecord(requestId);
      // The webhook's calls: the request, its message, the delivery marker.
      await createRequestIfAbsent(table, record);
      await sqs.send(
        new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(newRequestMessage(record)) }),
      );
      await deliveries.remember('generic', requestId);
      // Provision's: the message, the slot (the bare chain's single update too), the pod recorded.
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const taken = await reserveFreshSlot(table, {
        requestId,
        template: record.template ?? '',
        podName: requestId,
        globalCap: 1_000_000,
        templateCap: 1_000_000,
        attemptSeconds: 60,
        digest: requestDigest(record),
        settingsVersion,
      });
      // A refused transaction runs another path at the server (its cancellation): the warm-up
      // would then warm what no measure times.
      if (!taken) throw new Error(`the warm-up's slot transaction for ${requestId} was refused`);
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.request(`${requestId}-counter`),
          UpdateExpression: 'SET used = if_not_exists(used, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(used) OR used < :cap',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':cap': 1_000_000 },
        }),
      );
      const recorded = await transitionRequest(table, requestId, ['provisioning'], 'provisioned', {
        podName: requestId,
      });
      if (!recorded) throw new Error(`the warm-up could not record the pod of ${requestId}`);
      if (Messages.length > 0)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((message, entry) => ({
              Id: String(entry),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      // The reads: a marker, a batch of records.
      await db.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.delivery('generic', requestId),
          ConsistentRead: true,
        }),
      );
      await db.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: [keys.request(requestId), keys.settings()], ConsistentRead: true },
          },
        }),
      );
    };
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let index = lane; index < rounds; index += lanes) await round(index);
      }),
    );
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    await db.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    db.destroy();
    sqs.destroy();
  }
}

function warmUpRecord(requestId: string): RequestRecord {
  const at = new Date().toISOString();
  return {
    requestId,
    source: 'generic',
    jobKey: requestId,
    status: 'queued',
    statusSince: at,
    createdAt: at,
    labels: ['bench'],
    details: { source: 'generic' },
    url: undefined,
    holdsSlot: false,
    attempts: 0,
    retriesUsed: 0,
    template: 'bench-warm-up',
  };
}
