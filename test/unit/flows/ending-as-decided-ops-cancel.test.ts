import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { cancel } from '../../../shared/ops/requests';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, namedCi, recordQueued, type Twins } from './twins';

/**
 * An operator cancels a build the reaper marked `ending` (endAs failed, bug 77) while its CI is still
 * down: ops answers `ending` (its agent goes, then its slot). A first version skipped the mark of an
 * `ending` request, so endAs stayed `failed` and the request ended `failed` with the reaper's reason,
 * one that ops `retry` queues again; the operator's word now replaces the reaper's (a review of the
 * fix, 2026-12-06).
 */
describe('ops cancel of a build the reaper marked ending as failed', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('ends cancelled, as the operator said', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = true;
    await reap(ci.reapPorts);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'failed' });
    const answer = await cancel(requestId, { ...twins.ops, sources: ci.reapPorts.sources });
    expect(answer).toMatchObject({ status: 'ending', agent: 'kept' });
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'cancelled' });
  });
});
