import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { retry } from '../../../shared/ops/requests';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, namedCi, recordQueued, webhookRacing, type Twins } from './twins';

/**
 * The webhook reads a reaper-marked `ending` request (endAs failed, endReason), and the reaper's
 * next run (its CI back) releases it into `failed` before the webhook's `ciEnded` note lands: the
 * note's transition from ['ending'] misses, its answer is ignored, and the webhook answers
 * `recorded` ending without noting the CI's end anywhere.
 */
describe('the CI end note racing the reaper release of a reaper-marked request', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('notes ciEnded on the failed request even when the release lands first', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = true;
    await reap(ci.reapPorts);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'failed' });

    ci.state.down = false;
    twins.clock.advance(60);
    const racing = webhookRacing(twins, async () => {
      await reap(ci.reapPorts);
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
    });
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), racing);
    const ended = await twins.state.requests.get(requestId);
    expect(ended).toMatchObject({ status: 'failed', ciEnded: 'completed' });
    await expect(retry(requestId, twins.ops)).rejects.toThrow(/the CI has since completed its build/);
  });

  it('and the CI retrying the same delivery is a duplicate: nothing records it later', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = true;
    await reap(ci.reapPorts);
    ci.state.down = false;
    twins.clock.advance(60);
    const racing = webhookRacing(twins, async () => {
      await reap(ci.reapPorts);
    });
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), racing);
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'completed',
    });
  });
});
