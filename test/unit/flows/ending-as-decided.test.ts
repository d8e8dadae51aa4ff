import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import { cancel, retry } from '../../../shared/ops/requests';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import {
  createTwins,
  genericDelivery,
  livePods,
  namedCi,
  recordQueued,
  webhookRacing,
  type Twins,
} from './twins';

/**
 * Bug 77: a started build whose pod ran past its lifetime while its CI could not remove the agent is
 * marked `ending` as the reaper decided (endAs failed, endReason), and ends so once the agent is gone.
 * The reviews of the fix (2026-12-06) found the reaper's word outweighing the others': a CI's end
 * event that came meanwhile went unrecorded, so `retry` would queue a build the CI had ended
 * (docs/state.md, `note-ci-end`: "so that `retry` refuses it"), also when the reaper's next run ended
 * the request first; and an operator's cancel, before or during a run, still ended it `failed`.
 */
describe('a build the reaper marked ending as it decided (bug 77)', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  /** A started build of the named CI whose pod ran past its lifetime; with `ciDown`, the CI down for its removal. */
  async function tooOld(ciDown: boolean) {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', requestId), { phase: 'Running' });
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    twins.clock.advance(14_400 + 60);
    ci.state.down = ciDown;
    await reap(ci.reapPorts);
    expect(livePods(twins)).toEqual([]);
    if (ciDown)
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'failed' });
    return { ci, requestId };
  }

  /** The CI back, and a reaper run a minute later. */
  async function ciBack(ci: ReturnType<typeof namedCi>, ports: ReapPorts = ci.reapPorts) {
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ports);
  }

  const completed = () => genericDelivery(twins, 'completed', 'build-1');
  const retryRefused = (requestId: string) =>
    expect(retry(requestId, twins.ops)).rejects.toThrow(/the CI has since completed its build/);

  it('control: with the CI up, the late completed event is noted and retry refuses', async () => {
    const { requestId } = await tooOld(false);
    await receiveWebhook(completed(), twins.webhook);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'completed',
    });
    await retryRefused(requestId);
  });

  it('keeps the CI’s end that came while it was marked: the request ends failed with ciEnded noted', async () => {
    const { ci, requestId } = await tooOld(true);
    // The CI (its webhooks still delivered, its API failing) ends the build whose agent was killed.
    await receiveWebhook(completed(), twins.webhook);
    await ciBack(ci);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      holdsSlot: false,
      ciEnded: 'completed',
    });
    await retryRefused(requestId);
  });

  it('notes the CI’s end on the failed request when the reaper’s release lands first, and its retry is a duplicate', async () => {
    const { ci, requestId } = await tooOld(true);
    ci.state.down = false;
    twins.clock.advance(60);
    const racing = webhookRacing(twins, async () => {
      await reap(ci.reapPorts);
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
    });
    await receiveWebhook(completed(), racing);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'completed',
    });
    expect(await receiveWebhook(completed(), twins.webhook)).toMatchObject({ kind: 'ignored' });
    await retryRefused(requestId);
  });

  it('ends cancelled when an operator cancels it, as the operator said', async () => {
    const { ci, requestId } = await tooOld(true);
    const answer = await cancel(requestId, { ...twins.ops, sources: ci.reapPorts.sources });
    expect(answer).toMatchObject({ status: 'ending', agent: 'kept' });
    await ciBack(ci);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'cancelled' });
  });

  it('ends cancelled when an operator cancels it during a reaper run that read the reaper’s mark', async () => {
    const { ci, requestId } = await tooOld(true);
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
    twins.clock.advance(60);
    await reap(cancelAfterList);
    expect(answer).toMatchObject({ status: 'ending' });
    // The run's release, into the `failed` it read, misses the operator's mark: the next run ends it so.
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'cancelled' });
    await ciBack(ci);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
    });
    await expect(retry(requestId, twins.ops)).rejects.toThrow();
  });

  describe('then failed, and queued again by an operator', () => {
    /** Failed as the reaper decided, no CI end come, retried: its second agent running. */
    async function retried() {
      const { ci, requestId } = await tooOld(true);
      await ciBack(ci);
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
      await retry(requestId, twins.ops);
      twins.queue.clear();
      expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
      const second = podNameFor('gen', requestId, 2);
      twins.agents.setStatus(twins.namespace, second, { phase: 'Running' });
      return { ci, requestId, second };
    }
    const again = (action: 'started' | 'completed') =>
      receiveWebhook(
        genericDelivery(twins, action, 'build-1', { delivery: `${action}-again` }),
        twins.webhook,
      );

    // A first version kept the reaper's `endReason` through the retry, and the webhook took the new
    // run for one the reaper had ended: its start and end were not written (a review, 2026-12-06).
    it('records the CI’s start of the build on its new agent', async () => {
      const { requestId } = await retried();
      expect(await again('started')).toMatchObject({ kind: 'recorded', status: 'started' });
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started' });
    });

    it('ends it as the CI says, its agent removed and its slot freed', async () => {
      const { ci, requestId, second } = await retried();
      await again('started');
      expect(await again('completed')).toMatchObject({ kind: 'recorded' });
      for (const message of [...twins.queue.whole]) await provisionRequest(message.requestId, ci.provision);
      expect(await twins.state.requests.get(requestId)).toMatchObject({
        status: 'completed',
        holdsSlot: false,
      });
      expect(livePods(twins)).not.toContain(second);
    });
  });
});
