import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { CiRejectedError, CiUnavailableError } from '../../../shared/sources/errors';
import type { CiSourceAdapter } from '../../../shared/sources/types';
import { createTwins, recordQueued, type Twins } from '../flows/twins';

/** Provision's answer to a message for a started build: one build per agent (retire.ts). */
describe('provision, for a build that started', () => {
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

  it('takes the agents running builds out of rotation, and changes nothing else', async () => {
    const requestId = await startedRequest();
    const before = twins.state.table.items();
    expect(
      await provisionRequest(
        requestId,
        withRetire(() => Promise.resolve(['pc-a', 'pc-b'])),
      ),
    ).toEqual({
      kind: 'skipped',
      reason: 'build started: 2 agent(s) taken out of rotation',
    });
    expect(calls).toBe(1);
    expect(twins.state.table.items()).toEqual(before);
    expect(twins.agents.pods(twins.namespace)).toEqual([]);
  });

  it('skips as before for a CI whose agents end with their build', async () => {
    const requestId = await startedRequest();
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'skipped',
      reason: 'agent already started',
    });
  });

  it('is tried again when the CI is down, and past the last delivery, or refused, is logged and skipped', async () => {
    const requestId = await startedRequest();
    const down = withRetire(() => Promise.reject(new CiUnavailableError('Jenkins answered 503')));
    await expect(provisionRequest(requestId, down)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await provisionRequest(requestId, down, true)).toMatchObject({
      kind: 'skipped',
      reason: expect.stringContaining(
        'agents not taken out of rotation: CiUnavailableError: Jenkins answered 503',
      ),
    });
    const refused = withRetire(() =>
      Promise.reject(new CiRejectedError('needs Agent/Disconnect permission', 403)),
    );
    expect(await provisionRequest(requestId, refused)).toMatchObject({
      kind: 'skipped',
      reason: expect.stringContaining('needs Agent/Disconnect permission'),
    });
    expect(calls).toBe(3);
  });
});
