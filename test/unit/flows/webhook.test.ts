import { provisionRequest } from '../../../shared/provision';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, flowConfigYaml, genericDelivery, genericRequestId, type Twins } from './twins';

/** receiveWebhook on the twins: what each delivery leaves in the table and on the queue. */
describe('webhook intake on the twins', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('a signed generic queued delivery records a queued request for its template and sends one message', async () => {
    const outcome = await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook);
    const requestId = genericRequestId('build-1');
    expect(outcome).toEqual({ kind: 'accepted', requestId });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      source: 'generic',
      jobKey: 'build-1',
      template: 'gen',
      labels: ['linux'],
      holdsSlot: false,
      attempts: 0,
    });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    // Nothing is reserved at intake.
    expect((await twins.state.capacity.readCounters()).global).toBe(0);
  });

  it('its duplicate (the same delivery again) is told so and sends nothing', async () => {
    const delivery = genericDelivery(twins, 'queued', 'build-1');
    await receiveWebhook(delivery, twins.webhook);
    const before = twins.state.table.items();
    expect(await receiveWebhook(delivery, twins.webhook)).toEqual({
      kind: 'ignored',
      reason: 'delivery queued-build-1 was already received',
    });
    expect(twins.queue.sentIds()).toEqual([genericRequestId('build-1')]);
    expect(twins.state.table.items()).toEqual(before);
  });

  it('another delivery for a build still queued sends its message again (the first may be lost)', async () => {
    await receiveWebhook(genericDelivery(twins, 'queued', 'build-1', { delivery: 'd-1' }), twins.webhook);
    const outcome = await receiveWebhook(
      genericDelivery(twins, 'queued', 'build-1', { delivery: 'd-2' }),
      twins.webhook,
    );
    expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('sent again') });
    expect(twins.queue.sentIds()).toEqual([genericRequestId('build-1'), genericRequestId('build-1')]);
  });

  it('a completed for a provisioned build moves it to ending, keeps its slot, and sends a message', async () => {
    await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook);
    const requestId = genericRequestId('build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.queue.clear();

    const outcome = await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    expect(outcome).toEqual({ kind: 'recorded', requestId, status: 'ending' });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'ending',
      endAs: 'completed',
      holdsSlot: true,
    });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    // The slot stays until the agent is gone (the provision message's job).
    expect((await twins.state.capacity.readCounters()).global).toBe(1);
  });

  it('a completed for a queued build (no slot) ends it at once and sends nothing', async () => {
    await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook);
    twins.queue.clear();
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      { kind: 'recorded', status: 'completed' },
    );
    expect(await twins.state.requests.get(genericRequestId('build-1'))).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
    expect(twins.queue.sentIds()).toEqual([]);
  });

  it('a completed for an unknown build leaves a tombstone, so a late queued provisions nothing', async () => {
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-9'), twins.webhook);
    expect(await twins.state.requests.get(genericRequestId('build-9'))).toMatchObject({
      status: 'completed',
      tombstone: true,
    });
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-9'), twins.webhook)).toMatchObject({
      kind: 'ignored',
      reason: 'build already known (completed)',
    });
    expect(twins.queue.sentIds()).toEqual([]);
  });

  it('a started for a provisioned build marks it started and keeps its slot; nothing is sent', async () => {
    await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook);
    const requestId = genericRequestId('build-1');
    await provisionRequest(requestId, twins.provision);
    twins.queue.clear();
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook)).toEqual({
      kind: 'recorded',
      requestId,
      status: 'started',
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: true });
    expect(twins.queue.sentIds()).toEqual([]);
    expect((await twins.state.capacity.readCounters()).global).toBe(1);
  });

  it("past the source's maxBacklog a queued build is answered 429 and nothing is recorded", async () => {
    twins = createTwins(
      flowConfigYaml.replace(
        'webhookSecret: { value: generic-secret }',
        'webhookSecret: { value: generic-secret }\n    maxBacklog: 2',
      ),
    );
    for (const job of ['build-1', 'build-2'])
      expect(await receiveWebhook(genericDelivery(twins, 'queued', job), twins.webhook)).toMatchObject({
        kind: 'accepted',
      });
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-3'), twins.webhook)).toMatchObject({
      kind: 'backlog-full',
      retryAfterSeconds: 60,
    });
    expect(await twins.state.requests.get(genericRequestId('build-3'))).toBeUndefined();
    expect(twins.queue.sentIds()).toEqual([genericRequestId('build-1'), genericRequestId('build-2')]);
    // Once one is provisioned (no longer waiting) and the cached count is old, there is room again.
    await provisionRequest(genericRequestId('build-1'), twins.provision);
    twins.clock.advance(6);
    expect(
      await receiveWebhook(genericDelivery(twins, 'queued', 'build-3', { delivery: 'd-3b' }), twins.webhook),
    ).toMatchObject({ kind: 'accepted' });
  });

  it('a bad signature is refused and writes nothing', async () => {
    const outcome = await receiveWebhook(
      genericDelivery(twins, 'queued', 'build-1', { secret: 'wrong-secret' }),
      twins.webhook,
    );
    expect(outcome).toMatchObject({ kind: 'unauthorized' });
    expect(twins.state.table.items()).toEqual([]);
    expect(twins.queue.sentIds()).toEqual([]);
  });

  it('a delivery signed too long ago (the twin clock moved on) is refused and writes nothing', async () => {
    const delivery = genericDelivery(twins, 'queued', 'build-1');
    twins.clock.advance(3600);
    expect(await receiveWebhook(delivery, twins.webhook)).toMatchObject({
      kind: 'unauthorized',
      problem: expect.stringContaining('outside the allowed window'),
    });
    expect(twins.state.table.items()).toEqual([]);
  });

  it('a job no template serves is ignored and writes nothing', async () => {
    expect(
      await receiveWebhook(
        genericDelivery(twins, 'queued', 'build-1', { labels: ['windows'] }),
        twins.webhook,
      ),
    ).toMatchObject({ kind: 'ignored' });
    expect(await twins.state.requests.get(genericRequestId('build-1'))).toBeUndefined();
    expect(twins.queue.sentIds()).toEqual([]);
  });

  it('a failed send answers unavailable with the request left queued; the retried delivery sends it', async () => {
    twins.queue.failNextSends(1);
    const delivery = genericDelivery(twins, 'queued', 'build-1');
    expect(await receiveWebhook(delivery, twins.webhook)).toMatchObject({ kind: 'unavailable' });
    const requestId = genericRequestId('build-1');
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued' });
    expect(twins.queue.sentIds()).toEqual([]);
    // The CI retries the same delivery: it was never remembered, so its message goes now.
    expect(await receiveWebhook(delivery, twins.webhook)).toMatchObject({ kind: 'ignored' });
    expect(twins.queue.sentIds()).toEqual([requestId]);
  });

  it('a failing table answers unavailable and sends nothing', async () => {
    twins.state.table.failNext();
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'unavailable',
    });
    twins.state.table.recover();
    expect(twins.state.table.items()).toEqual([]);
    expect(twins.queue.sentIds()).toEqual([]);
  });
});

/**
 * The retry of a delivery a build's own request answered `ignored` (a second delivery id for a build
 * already queued), past the backlog cap: told it was received, not 429. A first version of "an
 * ignored delivery writes no marker" (bug 76) forgot it, and the sender was told to retry a delivery
 * that needed nothing (a review of the fixes, 2026-12-06).
 */
describe('the retry of an ignored delivery of a known build, past the backlog cap', () => {
  it('is told it was already received, not 429', async () => {
    const twins = createTwins(
      flowConfigYaml.replace(
        'webhookSecret: { value: generic-secret }',
        'webhookSecret: { value: generic-secret }\n    maxBacklog: 2',
      ),
    );
    const deliver = (job: string, delivery: string) =>
      receiveWebhook(genericDelivery(twins, 'queued', job, { delivery }), twins.webhook);
    expect(await deliver('build-1', 'd-1')).toMatchObject({ kind: 'accepted' });
    expect(await deliver('build-1', 'd-2')).toMatchObject({ kind: 'ignored' });
    expect(await deliver('build-2', 'd-3')).toMatchObject({ kind: 'accepted' });
    // d-2's answer was lost; the sender retries it, byte for byte, with the backlog full.
    expect(await deliver('build-1', 'd-2')).toMatchObject({
      kind: 'ignored',
      reason: 'delivery d-2 was already received',
    });
  });
});
