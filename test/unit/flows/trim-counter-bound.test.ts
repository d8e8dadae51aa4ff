import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, livePods, provisionedBuild, slots, type Twins } from './twins';

/**
 * Bug 16 (docs/reliability.md): the requests list can hold a holder that already gave its slot back
 * (the byStatus index lags the table on AWS, bug 36), so "the trim acts only while the counter itself
 * is over the cap". The counter gates the trim, but the number trimmed is still taken from the list.
 */
describe('how many the trim of a lowered cap gives up', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  const provisioned = (jobId: string): Promise<string> => provisionedBuild(twins, jobId, 'big', ['big']);

  it('gives up no more slots than the counter is over the cap, when a lagging index lists an ended build', async () => {
    // a-1 runs a started build; x, y are pending agents made after it.
    const ended = await provisioned('a-1');
    twins.agents.setStatus(twins.namespace, podNameFor('big', ended), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'a-1', { labels: ['big'] }), twins.webhook);
    twins.clock.advance(1);
    const x = await provisioned('x');
    twins.clock.advance(1);
    const y = await provisioned('y');
    // The `started` index as it stands now: on AWS it lags the table (bug 36).
    const laggedStarted = await twins.state.requests.listByStatus('started');
    expect(laggedStarted.map((record) => record.requestId)).toEqual([ended]);
    // a-1's build ends: its agent goes and its slot is given back; z takes the freed slot.
    await receiveWebhook(genericDelivery(twins, 'completed', 'a-1', { labels: ['big'] }), twins.webhook);
    await provisionRequest(ended, twins.provision);
    expect(await twins.state.requests.get(ended)).toMatchObject({ status: 'completed', holdsSlot: false });
    twins.clock.advance(1);
    const z = await provisioned('z');
    expect(await slots(twins)).toMatchObject({ templates: { big: 3 } });
    // An operator lowers big's cap from 3 to 2: one slot over.
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 2 } }));
    const lagging: ReapPorts = {
      ...twins.reap,
      requests: {
        ...twins.reap.requests,
        listByStatus: async (status: RequestStatus, limit?: number): Promise<RequestRecord[]> =>
          status === 'started' ? laggedStarted : twins.state.requests.listByStatus(status, limit),
      },
    };
    const report = await reap(lagging);
    // One over the cap: the newest pending agent (z) goes, and y and x keep theirs.
    expect(report.deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(z)).toMatchObject({ status: 'waiting' });
    for (const kept of [x, y])
      expect(await twins.state.requests.get(kept)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(livePods(twins).sort()).toEqual([x, y].map((id) => podNameFor('big', id)).sort());
  });
});
