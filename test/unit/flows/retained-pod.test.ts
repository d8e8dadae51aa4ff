import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { retainedAgentRemovalSeconds } from '../../../shared/reap/decide';
import { podNameFor } from '../../../shared/requests/identity';
import { createTwins, finishPod, flowConfigYaml, livePods, namedCi, recordQueued, type Twins } from './twins';

/**
 * A finished pod kept for its logs (a template's `retention`) runs nothing, but its agent stayed listed
 * at the CI until the pod went: a build that killed its agent knows its name and secret, and could
 * connect another agent under them and take the next builds (bug 69, a security review of the example
 * config's Jenkins retention). The agent now goes at once; the pod stays for its logs.
 */
describe('a finished pod kept for its logs', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins(
      flowConfigYaml.replace(
        'instanceCap: 1, retries: 1 }',
        'instanceCap: 1, retries: 1, retention: { policy: onFailure, minutes: 30 } }',
      ),
    );
  });

  async function failedAgent(
    ci: ReturnType<typeof namedCi>,
  ): Promise<{ requestId: string; podName: string }> {
    const requestId = await recordQueued(twins, 'build-1', 'gen', ['linux']);
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = podNameFor('gen', requestId);
    expect(ci.registered.has(podName)).toBe(true);
    finishPod(twins, podName, 'Failed', 1);
    twins.clock.advance(10);
    return { requestId, podName };
  }

  it('has its agent removed at the first run, and is deleted once its retention is over', async () => {
    const ci = namedCi(twins);
    const { requestId, podName } = await failedAgent(ci);

    await reap(ci.reapPorts);
    expect(ci.registered.has(podName)).toBe(false);
    expect(livePods(twins)).toEqual([podName]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
    });

    twins.clock.advance(31 * 60);
    expect(await reap(ci.reapPorts)).toMatchObject({ deleted: { finished: 1 } });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ holdsSlot: false });
  });

  it('is asked about again while its CI is down, for a while, then left to the pod’s own delete', async () => {
    const ci = namedCi(twins);
    const { podName } = await failedAgent(ci);
    ci.state.down = true;
    await reap(ci.reapPorts);
    expect(ci.registered.has(podName)).toBe(true);
    const asked = ci.removals.length;
    expect(asked).toBeGreaterThan(0);

    // The next run, a minute later, with the CI back: the agent goes.
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    expect(ci.registered.has(podName)).toBe(false);
    expect(livePods(twins)).toEqual([podName]);

    // Past the window, runs no longer ask the CI.
    twins.clock.advance(retainedAgentRemovalSeconds);
    const before = ci.removals.length;
    await reap(ci.reapPorts);
    expect(ci.removals.length).toBe(before);
    expect(livePods(twins)).toEqual([podName]);
  });
});
