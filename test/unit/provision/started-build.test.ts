import {
  provisionRequest,
  retireOncePerBatch,
  RetryLaterError,
  type ProvisionPorts,
} from '../../../shared/provision';
import { CiRejectedError, CiUnavailableError } from '../../../shared/sources/errors';
import type { CiSourceAdapter } from '../../../shared/sources/types';
import { createTwins, recordQueued, type Twins } from '../flows/twins';

/** Provision's answer to a message saying a build started: one build per agent (retire.ts). */
describe('provision, when a build started (retireAgentsOf)', () => {
  let twins: Twins;
  let calls: number;
  const withRetire = (retire: () => Promise<readonly string[]>): ProvisionPorts => {
    const adapter: CiSourceAdapter = {
      ...twins.provision.sources.generic!.adapter,
      retireBusyAgents: () => {
        calls += 1;
        return retire();
      },
    };
    return { ...twins.provision, sources: { generic: { adapter } } };
  };
  const startedRequest = async (): Promise<string> => {
    const requestId = await recordQueued(twins, 'build-1');
    await twins.state.requests.transition(requestId, ['queued'], 'started');
    return requestId;
  };

  beforeEach(() => {
    twins = createTwins();
    calls = 0;
  });

  const retiring = { retireAgentsOf: 'generic' as const };

  it('takes the agents running builds out of rotation, then handles the request as any message', async () => {
    const requestId = await startedRequest();
    const before = twins.state.table.items();
    const ports = withRetire(() => Promise.resolve(['pc-a', 'pc-b']));
    expect(await provisionRequest(requestId, ports, false, retiring)).toEqual({
      kind: 'skipped',
      reason: 'agent already started',
    });
    expect(calls).toBe(1);
    expect(twins.state.table.items()).toEqual(before);
    expect(twins.agents.pods(twins.namespace)).toEqual([]);
    // Without the flag, nothing is asked of the CI.
    await provisionRequest(requestId, ports);
    expect(calls).toBe(1);
  });

  it("whatever the request's state: the build may run on any agent, even one of an ended request", async () => {
    const requestId = await startedRequest();
    await twins.state.requests.transition(requestId, ['started'], 'failed', { reason: 'expired' });
    const ports = withRetire(() => Promise.resolve(['pc-a']));
    expect(await provisionRequest(requestId, ports, false, retiring)).toMatchObject({ kind: 'skipped' });
    expect(await provisionRequest('no-such-request', ports, false, retiring)).toMatchObject({
      kind: 'skipped',
    });
    expect(calls).toBe(2);
  });

  it('is tried again when the CI is down, and past the last delivery, or refused, is logged and let go', async () => {
    const requestId = await startedRequest();
    const down = withRetire(() => Promise.reject(new CiUnavailableError('Jenkins answered 503')));
    await expect(provisionRequest(requestId, down, false, retiring)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await provisionRequest(requestId, down, true, retiring)).toEqual({
      kind: 'skipped',
      reason: 'agent already started',
    });
    const refused = withRetire(() =>
      Promise.reject(new CiRejectedError('needs Agent/Disconnect permission', 403)),
    );
    expect(await provisionRequest(requestId, refused, false, retiring)).toMatchObject({ kind: 'skipped' });
    expect(calls).toBe(3);
  });

  it("shares one retire among a batch's messages, each deciding on a failure by its own delivery", async () => {
    const requestId = await startedRequest();
    const ports = withRetire(() => Promise.resolve(['pc-a']));
    const batch = { ...retiring, retireOnce: retireOncePerBatch() };
    await Promise.all([
      provisionRequest(requestId, ports, false, batch),
      provisionRequest('another-build', ports, false, batch),
    ]);
    expect(calls).toBe(1);
    // A new batch lists again.
    await provisionRequest(requestId, ports, false, { ...retiring, retireOnce: retireOncePerBatch() });
    expect(calls).toBe(2);

    const down = withRetire(() => Promise.reject(new CiUnavailableError('Jenkins answered 503')));
    const failing = { ...retiring, retireOnce: retireOncePerBatch() };
    const [early, last] = await Promise.allSettled([
      provisionRequest(requestId, down, false, failing),
      provisionRequest('another-build', down, true, failing),
    ]);
    expect(early).toMatchObject({ status: 'rejected', reason: expect.any(RetryLaterError) });
    expect(last).toMatchObject({ status: 'fulfilled' });
    expect(calls).toBe(3);
  });
});
