import { provisionRequest } from '../../../shared/provision';
import { retry } from '../../../shared/ops/requests';
import { ciEndsBeforeFailedRelease, createTwins, namedCi, recordQueued, type Twins } from './twins';

/**
 * Provision's last delivery gives up, and the CI's `completed` lands between its read of the request
 * and its release into `failed`: the webhook marks the request `ending` (endAs completed). A first
 * version released from any active state, `ending` included, so the build failed over the CI's word,
 * with no `ciEnded`, and `retry` queued a build the CI completed (bug 40's road, found again by a
 * review on 2026-12-06). The release now leaves `ending` out, and the attempt ends it as the CI said.
 */
describe('a last delivery that gives up on a build the CI has just ended', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('ends it as the CI said, not failed, and retry refuses it', async () => {
    const ci = namedCi(twins, { failOnce: true });
    const requestId = await recordQueued(twins, 'build-1');
    const { ports, raced } = ciEndsBeforeFailedRelease(twins, ci.provision, 'build-1');
    await provisionRequest(requestId, ports, true).catch(() => undefined);
    expect(raced()).toBe(true);
    const record = await twins.state.requests.get(requestId);
    expect(record).toMatchObject({ status: 'completed', holdsSlot: false });
    // The retry is refused (the CI completed the build): it must not queue it again.
    const retried = await retry(requestId, twins.ops).then(
      (answer) => ({ queued: answer.status, record }),
      (error: unknown) => ({ refused: String(error) }),
    );
    expect(retried).toMatchObject({ refused: expect.any(String) });
  });
});
