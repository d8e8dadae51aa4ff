import { provisionRequest } from '../../../shared/provision';
import { receiveWebhook } from '../../../shared/webhook';
import {
  createTwins,
  genericDelivery,
  genericRequestId,
  livePods,
  slowCi,
  webhookRacing,
  type Twins,
} from './twins';

/**
 * endBuild('started'): `requests.end` reads the request holding a slot (`holds-slot`), then moves it
 * with `start`. When the slot is given back in between (the attempt failed for now before its pod:
 * `requeue` to queued), the `start` write misses; the webhook answered `ignored` there without reading
 * again, where `end`'s own loop would have used `start-elsewhere`. The CI does not send `started`
 * again, so the request stayed queued and the next delivery made an agent for a build that already
 * runs elsewhere (bug 43). It reads again now.
 */
describe('a started event that meets a slot given back (bug 43)', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('still records the build as started', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const requestId = genericRequestId('build-1');
    twins.queue.clear();
    const ci = slowCi(twins);
    const attempt = provisionRequest(requestId, ci.ports).catch((error: unknown) => error);
    await ci.atCi;

    // The webhook reads the request (provisioning, holding its slot); the attempt's failure for now
    // gives the slot back right after that read.
    const webhook = webhookRacing(twins, async () => {
      twins.agents.failNext(1, 503);
      ci.release();
      await attempt;
    });
    const outcome = await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), webhook);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started' });
    expect(outcome).toMatchObject({ kind: 'recorded', status: 'started' });
    // The attempt's message comes back: no agent for a build that runs elsewhere.
    await provisionRequest(requestId, twins.provision).catch(() => undefined);
    expect(livePods(twins)).toEqual([]);
  });
});

/**
 * endBuild('completed'): `requests.end` reads a `started` request holding its slot, then marks it
 * `ending` (a move that keeps the slot). `started` is held with a slot or without one, so when the
 * slot went back in between and the request was `started` again without it (the reaper retried a
 * lost agent, then a second `started` came: `start-elsewhere`), the mark applied to a request
 * holding none: an `ending` request that nothing finishes until the reaper's next run (bug 47). The
 * mark now requires the slot, and a miss reads again and ends the request at once.
 */
describe('an end event that meets a slot given back with the build still started (bug 47)', () => {
  it('ends the request at once, rather than mark it ending with no slot', async () => {
    const twins = createTwins();
    await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook);
    const requestId = genericRequestId('build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: true });
    twins.queue.clear();

    // Right after the read, the slot goes back (a retry of a lost agent), and the build is `started`
    // again on an agent not ours (a second started delivery).
    const webhook = webhookRacing(twins, async () => {
      expect(await twins.state.capacity.release(requestId, 'gen', 'queued', 'lost')).toBe(true);
      expect(
        await receiveWebhook(
          genericDelivery(twins, 'started', 'build-1', { delivery: 'started-again' }),
          twins.webhook,
        ),
      ).toMatchObject({ status: 'started' });
    });
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), webhook)).toMatchObject({
      kind: 'recorded',
      status: 'completed',
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
  });
});
