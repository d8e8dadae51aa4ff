import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { testStateClient } from '../../support/aws';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

describe('bad webhook input is refused and changes nothing', () => {
  let system: ProvisioningSystem;
  const db = testStateClient();
  beforeAll(async () => {
    system = await startProvisioningSystem();
  });
  afterAll(async () => {
    db.destroy();
    await system.close();
  });

  const valid = { action: 'queued', job: { id: 'x', labels: ['linux'] } };
  const delivery = { 'x-pitcrew-delivery': 'bad-1' };

  it.each([
    ['malformed JSON', 'generic', '{"action": "queued", ', delivery, 'valid', 400, 'body'],
    ['a missing field', 'generic', { action: 'queued' }, delivery, 'valid', 400, 'job'],
    [
      'a wrong type',
      'generic',
      { action: 'queued', job: { id: 'x', labels: 'linux' } },
      delivery,
      'valid',
      400,
      'job.labels',
    ],
    [
      'an unknown action',
      'generic',
      { action: 'exploded', job: { id: 'x', labels: [] } },
      delivery,
      'valid',
      400,
      'action',
    ],
    [
      'a field a sender may not set',
      'generic',
      { ...valid, job: { ...valid.job, image: 'evil:latest' } },
      delivery,
      'valid',
      400,
      'job',
    ],
    ['a missing delivery id', 'generic', valid, {}, 'valid', 400, 'header x-pitcrew-delivery'],
    ['a missing signature', 'generic', valid, delivery, 'none', 401, undefined],
    ['a wrong signature', 'generic', valid, delivery, `sha256=${'0'.repeat(64)}`, 401, undefined],
    ['a malformed signature', 'generic', valid, delivery, 'md5=abc', 401, undefined],
    ['an unknown source', 'teamcity', valid, delivery, 'valid', 404, undefined],
    [
      'a huge body',
      'generic',
      JSON.stringify({ ...valid, padding: 'x'.repeat(600 * 1024) }),
      delivery,
      'valid',
      413,
      undefined,
    ],
    [
      'a non-JSON content type',
      'generic',
      valid,
      { ...delivery, 'content-type': 'text/plain' },
      'valid',
      415,
      undefined,
    ],
  ] as const)('%s -> %s %s', async (_name, source, body, headers, sign, status, field) => {
    const answer = await system.sendWebhook(source, body, headers, sign);
    expect(answer.statusCode).toBe(status);
    if (field) expect(answer.body).toMatchObject({ field });
    expect(typeof answer.body.error).toBe('string');
  });

  it('wrote nothing to the table and enqueued nothing for any of them', async () => {
    const { Items = [] } = await db.send(new ScanCommand({ TableName: system.resources.tableName }));
    expect(Items).toEqual([]);
    const { Attributes } = await system.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: system.resources.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(
      Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    ).toBe(0);
  });

  it('a one-byte change to a signed body is refused', async () => {
    const { signBody } = await import('../../../shared/sources');
    const body = JSON.stringify(valid);
    const signature = signBody(body, 'generic-webhook-secret');
    const tampered = body.replace('"x"', '"y"');
    const answer = await system.sendWebhook('generic', tampered, delivery, signature);
    expect(answer.statusCode).toBe(401);
  });
});
