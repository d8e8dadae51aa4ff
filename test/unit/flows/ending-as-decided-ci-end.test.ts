import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { retry } from '../../../shared/ops/requests';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, livePods, namedCi, recordQueued, type Twins } from './twins';

/**
 * Bug 77 marks a too-old build `ending` (endAs failed, endReason set) while its CI cannot remove the
 * agent. A first version left the CI's end event that came meanwhile unrecorded (the webhook took any
 * endReason for an operator's cancel), so the build ended `failed` without `ciEnded`, and ops `retry`
 * queued a build the CI had ended (docs/state.md, `note-ci-end`: "so that `retry` refuses it"). With
 * the CI up the same build ends `failed` and the late end event notes `ciEnded`; now with it down too
 * (a review of the fix, 2026-12-06).
 */
describe('a CI end event after the reaper marked a build ending as failed', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  async function tooOldWithCiDown() {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = podNameFor('gen', requestId);
    twins.agents.setStatus(twins.namespace, podName, { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = true;
    await reap(ci.reapPorts);
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'failed' });
    return { ci, requestId };
  }

  it('control: with the CI up, the late completed event is noted and retry refuses', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    await reap(ci.reapPorts);
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'completed',
    });
    await expect(retry(requestId, twins.ops)).rejects.toThrow(/the CI has since completed its build/);
  });

  it('keeps the CI’s end: the request ends failed with ciEnded noted', async () => {
    const { ci, requestId } = await tooOldWithCiDown();
    // The CI (its webhooks still delivered, its API failing) ends the build whose agent was killed.
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    const ended = await twins.state.requests.get(requestId);
    expect(ended).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(ended?.ciEnded).toBe('completed');
  });

  it('so ops retry refuses to queue again a build the CI ended', async () => {
    const { ci, requestId } = await tooOldWithCiDown();
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    await expect(retry(requestId, twins.ops)).rejects.toThrow(/the CI has since completed its build/);
  });
});
