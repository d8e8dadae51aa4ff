import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { deleteBatch, receiveBatch } from '../../infra/local/dev/sqs-poller';
import { newRequestMessage } from '../../shared/queue/messages';
import { queueLimits } from '../../shared/queue/limits';
import { sendProvisionMessage } from '../../shared/queue/provision-queue';
import { requestDigest } from '../../shared/requests/digest';
import type { RequestRecord } from '../../shared/requests/record';
import { newRecord } from '../../shared/webhook/enqueue-build';
import { reserveFreshSlot } from '../../shared/state/capacity-store';
import { createStateClient } from '../../shared/state/client';
import { createDeliveryStore } from '../../shared/state/delivery-store';
import { keys } from '../../shared/state/keys';
import { createRequestIfAbsent, transitionRequest } from '../../shared/state/request-store';
import { createOperatorSettingsStore } from '../../shared/state/settings-store';
import { createTableInput } from '../../shared/state/table';
import { tableAccess } from '../../shared/state/table-access';
import { bareChainCalls } from './bare-chain';

/** Rounds of every call kind: past this, a TransactWriteItems at DynamoDB Local stops getting faster. */
export const warmUpRounds = 600;
/**
 * Rounds run side by side, each lane on a queue of its own (so each long poll gets its own lane's
 * message), so the warm-up takes seconds, not a minute: the JIT counts calls, not time.
 */
export const warmUpLanes = 3;

/**
 * Runs every DynamoDB and SQS call the measures time, as each side makes it, `rounds` times before
 * any measure, on a table and queues of its own that it then deletes: Pitcrew's own store calls
 * and its poller's receive, and the bare chain's calls as the chain makes them (bare-chain.ts).
 *
 * DynamoDB Local and ElasticMQ run on the JVM, whose code is interpreted until its JIT compiles
 * what runs often: DynamoDB Local answered Pitcrew's slot transaction in about 11 ms (median) over
 * the first 50 it ran and about 4.4 ms once it had run 500. Unwarmed, a measure paid for every code
 * path it was the first to use: webhook → pod ran its transactions on a server that had run none,
 * and its bare chains after them. AWS's services are always warm.
 */
export async function warmServers(
  endpoints: { readonly dynamo: string; readonly sqs: string },
  rounds = warmUpRounds,
): Promise<void> {
  const region = 'us-east-1';
  const db = createStateClient({ region, endpoint: endpoints.dynamo });
  const sqs = new SQSClient({ region, endpoint: endpoints.sqs });
  const name = `bench-warm-up-${Date.now()}`;
  const table = tableAccess(db, name);
  const deliveries = createDeliveryStore(db, name);
  const bare = bareChainCalls(name);
  const queues: string[] = [];
  let tableMade = false;
  /** A long poll's one message, or why the warm-up cannot go on. */
  const oneMessage = async (poll: Promise<{ Messages?: Message[] }>, what: string): Promise<Message[]> => {
    const { Messages = [] } = await poll;
    if (Messages.length !== 1)
      throw new Error(`the warm-up's ${what} got ${Messages.length} messages, not 1`);
    return Messages;
  };

  /** A new build as Pitcrew takes it: the webhook's calls, then provision's, on a waiting poll. */
  const pitcrewRound = async (
    queueUrl: string,
    requestId: string,
    settingsVersion: number,
  ): Promise<void> => {
    const record = warmUpRecord(requestId);
    // The longest poll SQS allows: the calls before the send may take seconds on a loaded machine.
    const poll = sqs.send(receiveBatch(queueUrl, queueLimits.provisionBatchSize, 20));
    await createRequestIfAbsent(table, record);
    await sendProvisionMessage(sqs, queueUrl, newRequestMessage(record));
    await deliveries.remember('generic', requestId);
    const messages = await oneMessage(poll, 'provision poll');
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
    // A refused transaction runs another path at the server (its cancellation): the warm-up would
    // then warm what no measure times.
    if (!taken) throw new Error(`the warm-up's slot transaction for ${requestId} was refused`);
    const recorded = await transitionRequest(table, requestId, ['provisioning'], 'provisioned', {
      podName: requestId,
    });
    if (!recorded) throw new Error(`the warm-up could not record the pod of ${requestId}`);
    await sqs.send(deleteBatch(queueUrl, messages));
    // The reads of a marker (a retried delivery) and of a batch of records.
    await db.send(
      new GetCommand({ TableName: name, Key: keys.delivery('generic', requestId), ConsistentRead: true }),
    );
    await db.send(
      new BatchGetCommand({
        RequestItems: { [name]: { Keys: [keys.request(requestId), keys.settings()], ConsistentRead: true } },
      }),
    );
  };

  /** The bare chain's calls, each way it takes the slot (bench/measures/end-to-end.ts). */
  const bareRound = async (
    queueUrl: string,
    requestId: string,
    counters: readonly string[],
  ): Promise<void> => {
    for (const [slot, id] of [
      ['update', `${requestId}-bare`],
      ['transaction', `${requestId}-bare-tx`],
    ] as const) {
      const poll = sqs.send(bare.waitingReceive(queueUrl));
      await db.send(bare.putRequest(id));
      await sqs.send(bare.message(queueUrl, id));
      const messages = await oneMessage(poll, 'bare long poll');
      if (slot === 'update') await db.send(bare.takeSlot(counters[0] ?? ''));
      else await db.send(bare.takeSlotAndMove(counters, id));
      await sqs.send(deleteBatch(queueUrl, messages));
    }
  };

  try {
    await db.send(new CreateTableCommand(createTableInput(name)));
    tableMade = true;
    // The operator settings item exists, as in a deployment drained once, and Pitcrew's transaction
    // checks it: on a new table its first write is version 1.
    await createOperatorSettingsStore(db, name).update((current) => current);
    const settingsVersion = 1;
    await Promise.all(
      Array.from({ length: Math.min(warmUpLanes, rounds) }, async (_, lane) => {
        const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${lane}` }));
        queues.push(QueueUrl);
        const counters = [`${name}-${lane}-template`, `${name}-${lane}-global`];
        for (const counter of counters) await db.send(bare.counter(counter));
        for (let index = lane; index < rounds; index += warmUpLanes) {
          await pitcrewRound(QueueUrl, `warm-up-${index}`, settingsVersion);
          await bareRound(QueueUrl, `warm-up-${index}`, counters);
        }
      }),
    );
  } finally {
    for (const queueUrl of queues)
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    if (tableMade) await db.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    db.destroy();
    sqs.destroy();
  }
}

/** A new generic build's record, as the webhook makes it (enqueue-build.ts), for the warm-up's template. */
const warmUpRecord = (requestId: string): RequestRecord => ({
  ...newRecord(
    {
      source: 'generic',
      jobKey: requestId,
      action: 'queued',
      labels: ['bench'],
      deliveryId: requestId,
      details: { source: 'generic' },
    },
    requestId,
    new Date(),
  ),
  template: 'bench-warm-up',
});
