import { provisionRequest } from '../../../shared/provision';
import { CiUnavailableError } from '../../../shared/sources/errors';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import {
  ciEndsBeforeFailedRelease,
  createTwins,
  livePodWatch,
  recordQueued,
  slowCi,
  waitingBuild2,
  withCiAdapter,
} from './twins';

/**
 * Attempt A (its last delivery) is taken over by B (the reaper's lost rule); B is still making its
 * agent when the CI ends the build, between A's read and A's release. A's release misses (not A's pod
 * name). A first version of bug 84's fix then read the request again and finished it: B's attempt
 * time was cleared and its slot freed while B went on to make its pod, two agents against a cap of
 * one (bug 39's road; a review of the fix, 2026-12-06). A failing attempt finishes only a request
 * that is still its own.
 */
describe('a last delivery whose request a later attempt took over, and the CI ended meanwhile', () => {
  it('leaves an ending request to the later attempt in flight', async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    let releaseA: () => void = () => undefined;
    const gateA = new Promise<void>((resolve) => (releaseA = resolve));
    let reachedA: () => void = () => undefined;
    const atCiA = new Promise<void>((resolve) => (reachedA = resolve));
    const slowA = withCiAdapter(twins, () => ({
      async createAgentCredentials() {
        reachedA();
        await gateA;
        throw new CiUnavailableError('the CI timed out');
      },
    }));
    const { ports: portsA } = ciEndsBeforeFailedRelease(twins, slowA, 'build-1');
    const a = provisionRequest(requestId, portsA, true);
    await atCiA;
    // A outlives its time; the reaper gives the build another agent, whose attempt B stalls at the CI.
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
    const ciB = slowCi(twins);
    const live = livePodWatch(twins);
    const b = provisionRequest(requestId, live.watching(ciB.ports));
    await ciB.atCi;
    const podB = (await twins.state.requests.get(requestId))?.podName;
    expect(podB).not.toBe(podNameFor('gen', requestId));
    const second = await waitingBuild2(twins);

    releaseA();
    const outcomeA = await a.then(
      (outcome) => outcome,
      (error: unknown) => ({ threw: String(error) }),
    );
    expect(outcomeA).toMatchObject({ threw: expect.any(String) });
    const afterA = await twins.state.requests.get(requestId);
    // B's request, `ending`, is B's to finish: nothing is woken into its slot, and B then removes its
    // agent as the CI said.
    expect(twins.queue.sentIds()).not.toContain(second);
    ciB.release();
    await b.catch(() => undefined);

    expect(afterA).toMatchObject({ status: 'ending', holdsSlot: true, podName: podB });
    expect(live.mostLive()).toBeLessThanOrEqual(1);
  });
});
