import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  countByOperation,
  startAwsFaultProxy,
  type AwsFaultProxy,
} from '../../../infra/local/stand-ins/aws-fault-proxy';
import { deliveryFor, requestIdOf } from '../../../infra/local/stand-ins/builds';
import { podNameFor } from '../../../shared/requests/identity';
import { ciSources } from '../../../shared/sources';
import { createOperatorSettingsStore } from '../../../shared/state';
import { pitcrewLabels } from '../../../shared/templates/labels';
import { requiredTestEnv } from '../../support/env';
import {
  genericTemplate as gen,
  startProvisioningSystem,
  type ProvisioningSystem,
} from '../../support/provisioning';

/**
 * A new build's message carries its record, and the provision handler takes its slot on it without
 * reading the request or the settings (shared/provision/steps/snapshot-start.ts), on the real servers:
 * only while DynamoDB finds the record as created and the settings at the version last read.
 */
describe('provision takes a new build on its message snapshot (real DynamoDB, SQS and API server)', () => {
  let system: ProvisioningSystem;
  let dynamo: AwsFaultProxy;

  beforeAll(async () => {
    dynamo = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    system = await startProvisioningSystem({
      dynamoDbEndpoint: dynamo.endpoint,
      templates: [
        gen('gen-snap', ['snap'], { instanceCap: 10 }),
        gen('gen-wide', ['wide'], { instanceCap: 50 }),
      ],
    });
  });
  afterAll(async () => {
    await system.close();
    await dynamo.close();
  });

  async function queue(jobId: string, labels = ['snap']): Promise<string> {
    const answer = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: jobId, labels } },
      { 'x-pitcrew-delivery': jobId },
    );
    expect(answer.statusCode).toBe(202);
    return String(answer.body.requestId);
  }

  /** The DynamoDB calls of one poll of the provision handler, by operation. */
  async function provisionOnce(): Promise<Record<string, number>> {
    const from = dynamo.calls.length;
    expect(await system.pollOnce(2)).toEqual({ received: 1, failed: 0 });
    return countByOperation(dynamo.calls.slice(from));
  }

  const podOf = async (requestId: string, template = 'gen-snap') =>
    (await system.listPods()).find((pod) => pod.metadata?.name === podNameFor(template, requestId));

  it('reads first in a fresh container, then takes each new build in one transaction, reading nothing', async () => {
    const first = await queue('snap-1');
    // Cold: no settings read yet, so the usual way (the record and the settings in one BatchGetItem).
    expect(await provisionOnce()).toMatchObject({ BatchGetItem: 1, TransactWriteItems: 1 });
    expect(await system.requests.get(first)).toMatchObject({ status: 'provisioned' });

    const second = await queue('snap-2');
    const calls = await provisionOnce();
    // The slot, the record's move and the settings' check in one transaction; the pod recorded after.
    expect(calls).toEqual({ TransactWriteItems: 1, UpdateItem: 1 });
    expect(await system.requests.get(second)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(await podOf(second)).toBeDefined();
  });

  it.each(ciSources)(
    "%s: a new build's snapshot digests to its stored record's, so it is taken without a read",
    async (source) => {
      // Each CI's receiver builds its own details; a snapshot that did not survive the queue as the
      // same JSON would fall back to the read every time, unnoticed but for the lost round trip.
      const build = { source, id: 500 + ciSources.indexOf(source) };
      const delivery = deliveryFor(build, 'queued');
      const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
      expect(answer.statusCode).toBe(202);
      const requestId = requestIdOf(build, system.jenkins.url);
      expect(await provisionOnce()).not.toHaveProperty('BatchGetItem');
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    },
  );

  it('reads first once an operator changed the settings, and keeps to them: drained, nothing made', async () => {
    const settings = createOperatorSettingsStore(system.db, system.resources.tableName);
    await settings.update((current) => ({ ...current, drained: true }));
    try {
      const requestId = await queue('snap-drained');
      const calls = await provisionOnce();
      // The snapshot's transaction fails on the settings' version, and the read finds them drained.
      expect(calls).toMatchObject({ TransactWriteItems: 1, BatchGetItem: 1 });
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'waiting', holdsSlot: false });
      expect(await podOf(requestId)).toBeUndefined();
    } finally {
      await settings.update((current) => ({ ...current, drained: false }));
    }
  });

  it('never acts on a snapshot that is not the stored record: a forged one gets the stored template', async () => {
    // A build first, so that the handler's settings are the stored ones (the test before changed them).
    await queue('snap-before-forged');
    await provisionOnce();
    const requestId = await queue('snap-forged');
    // The webhook's own message taken off the queue, and a forged one sent in its place.
    const { Messages = [] } = await system.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: system.resources.queueUrl, WaitTimeSeconds: 2 }),
    );
    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}').requestId)).toEqual([requestId]);
    await system.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: system.resources.queueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
      }),
    );
    const stored = await system.requests.get(requestId);
    const forged = { ...stored, template: 'gen-wide', labels: ['wide'] };
    await system.sqs.send(
      new SendMessageCommand({
        QueueUrl: system.resources.queueUrl,
        MessageBody: JSON.stringify({ requestId, snapshot: forged }),
      }),
    );
    // Its transaction fails on the digest, and the read finds the stored record, which decides.
    expect(await provisionOnce()).toMatchObject({ TransactWriteItems: 2, BatchGetItem: 1 });
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      template: 'gen-snap',
    });
    const pod = await podOf(requestId);
    expect(pod?.metadata?.labels?.[pitcrewLabels.template]).toBe('gen-snap');
    expect(await podOf(requestId, 'gen-wide')).toBeUndefined();
  });
});
