import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, genericRequestId, type Twins } from './twins';

const hours = (count: number): number => count * 3600;

/**
 * A build the CI runs on an agent not Pitcrew's: its request holds no slot and has no pod, so no
 * reaper rule about agents ever ends it, and a CI may never say it ended (Jenkins's QueueListener
 * script sends `queued`, `started` and `cancelled`, never `completed`). Found by a review of the
 * webhook and the state adapters (bug 48): such a request stayed active for good, read by every
 * reaper run; and a `started` event for a build no template serves (a static node's) wrote an
 * active tombstone, read by every run for the 14 days of its TTL.
 */
describe('a build started on an agent not Pitcrew’s (bug 48)', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('is ended by the reaper once reaper.maxWaitHours pass with no end event, not before', async () => {
    // build-0 takes gen's only slot; build-1 waits behind it, then the CI runs it elsewhere.
    for (const job of ['build-0', 'build-1'])
      expect(await receiveWebhook(genericDelivery(twins, 'queued', job), twins.webhook)).toMatchObject({
        kind: 'accepted',
      });
    expect(await provisionRequest(genericRequestId('build-0'), twins.provision)).toMatchObject({
      kind: 'provisioned',
    });
    const requestId = genericRequestId('build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'waiting' });
    twins.clock.advance(hours(1));
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'recorded',
      status: 'started',
    });

    twins.clock.advance(hours(24) - 60);
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: false });
    twins.clock.advance(61);
    expect(await reap(twins.reap)).toMatchObject({ errors: 0 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'completed',
      reason: 'started on an agent not Pitcrew’s; no end event within reaper.maxWaitHours (24 h)',
    });
    expect(await twins.state.requests.listByStatus('started')).toEqual([]);
    // Its CI's end, should it come late, changes nothing.
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'completed',
      },
    );
  });

  it('leaves the started request of an agent Pitcrew made to its pod', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-0'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const requestId = genericRequestId('build-0');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-0'), twins.webhook);
    twins.clock.advance(hours(25));
    await reap(twins.reap);
    // Past the agent's own rules (idle, lifetime) the pod decides, not this one.
    expect((await twins.state.requests.get(requestId))?.reason).not.toMatch(/not Pitcrew’s/);
  });

  it('ends a started tombstone (its queued event never came) the same way', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-9'), twins.webhook)).toMatchObject({
      status: 'started',
    });
    const requestId = genericRequestId('build-9');
    twins.clock.advance(hours(24) + 1);
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'completed', tombstone: true });
    // A late queued still provisions nothing.
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-9'), twins.webhook)).toMatchObject({
      kind: 'ignored',
    });
  });

  it.each(['started', 'completed', 'cancelled'] as const)(
    'writes nothing for a %s build no template serves (a static node’s)',
    async (action) => {
      expect(
        await receiveWebhook(
          genericDelivery(twins, 'queued', 'static-1', { labels: ['windows'] }),
          twins.webhook,
        ),
      ).toMatchObject({ kind: 'ignored' });
      expect(
        await receiveWebhook(
          genericDelivery(twins, action, 'static-1', { labels: ['windows'] }),
          twins.webhook,
        ),
      ).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/no generic template serves/) });
      expect(await twins.state.requests.get(genericRequestId('static-1'))).toBeUndefined();
    },
  );

  it('still records the end of a build whose end event names no labels: its queued one may have', async () => {
    expect(
      await receiveWebhook(genericDelivery(twins, 'completed', 'build-7', { labels: [] }), twins.webhook),
    ).toMatchObject({ kind: 'recorded', status: 'completed' });
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-7'), twins.webhook)).toMatchObject({
      kind: 'ignored',
    });
  });
});
