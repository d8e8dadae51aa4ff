import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import { cancel, retry } from '../../../shared/ops/requests';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, namedCi, recordQueued, type Twins } from './twins';

/**
 * A reaper-marked `ending` request (endAs failed). A reaper run lists it; an operator cancels it while
 * the run goes on (the CI still down for the operator's removal: ops answers `ending`, endAs
 * cancelled); the CI is back by the time the run's `ended` rule reaches it. A first version released
 * into the endAs the run read (`failed`): the operator's word was lost, and ops `retry` would have
 * queued a build the operator cancelled (a review of the fixes of bug 77). The release now holds to
 * the mark read (its `statusSince`), and the next run ends the request as marked since.
 */
describe('an operator cancel landing during a reaper run that finishes a reaper-marked request', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('ends cancelled, as the operator said (docs/state.md: the operator replaces the reaper)', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = true;
    await reap(ci.reapPorts);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'failed' });
    twins.clock.advance(60);

    let answer: unknown;
    const cancelAfterList: ReapPorts = {
      ...ci.reapPorts,
      requests: {
        ...ci.reapPorts.requests,
        listByStatus: async (status: RequestStatus, limit?: number): Promise<RequestRecord[]> => {
          const listed = await twins.state.requests.listByStatus(status, limit);
          if (status === 'ending') {
            answer = await cancel(requestId, { ...twins.ops, sources: ci.reapPorts.sources });
            ci.state.down = false;
          }
          return listed;
        },
      },
    };
    await reap(cancelAfterList);
    expect(answer).toMatchObject({ status: 'ending' });
    // The run's release, into the `failed` it read, misses the operator's mark: the next run ends it so.
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'cancelled' });
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
    });
    await expect(retry(requestId, twins.ops)).rejects.toThrow();
  });
});
